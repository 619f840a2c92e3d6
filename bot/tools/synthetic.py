"""A seeded synthetic corpus of bulletin-like issues, and questions drawn from its own vocabulary.

Issue i's text is a pure function of (seed, i), so a corpus of N chunks is the first issues of any larger one,
the same arguments give byte-identical files, and the writer streams: one issue in memory at a time.
Every paragraph is one stored chunk (110-290 characters: under index.analysis.chunk's MAX_CHARS, over its MIN_CHARS).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.tools.synthetic_words import (
    BRAND_FIRST,
    BRAND_SECOND,
    DISTRIBUTION,
    FACILITIES,
    FACILITY_ADJ,
    FIGURE_QUESTIONS,
    FILLERS,
    GIVEN,
    HONOURS,
    NAMED_QUESTIONS,
    ROAD_FIRST,
    ROAD_SECOND,
    SERIES,
    SURNAMES,
    TOPICS,
    TOTAL_QUESTIONS,
    TRADES,
    WARM_FIRST,
    WARM_SECOND,
    WORD_QUESTIONS,
)
from index import DISTRICTS, TOWNS, place_names_in

MAX_PARAGRAPH = 290  # under index.analysis.chunk.MAX_CHARS: one paragraph is one chunk, never cut
MARKER = ".synthetic-corpus.json"  # what write_corpus leaves in its folder (not a bulletin suffix: never ingested)
FIRST_DAY = dt.date(2016, 1, 1)
DAYS = 3653  # issues are dated over ten years, whatever the corpus's size
TOWNS_OF: dict[str, list[str]] = {d: sorted(t for t, of in TOWNS.items() if of == d) for d in DISTRICTS}
_DISTRICT_LIST = sorted(DISTRICTS)
_TOPIC_LIST = sorted(TOPICS)


def _placeless(draw: Callable[[random.Random], str]) -> Callable[[random.Random], str]:
    """Redraw a name that contains a place name: a district named by accident would change what a text is about."""

    def drawn(rng: random.Random) -> str:
        while place_names_in(name := draw(rng)):
            pass
        return name

    return drawn


# How each drawn field is made (a field is drawn once per sentence, in the order the template names it).
DRAWS: dict[str, Callable[[random.Random], object]] = {
    "n": lambda r: r.randint(3, 60),
    "k": lambda r: r.randint(2, 12),
    "total": lambda r: r.randint(60, 400),
    "r": lambda r: r.randint(2, 30),
    "p": lambda r: f"{r.uniform(1, 15):.1f}",
    "q": lambda r: r.randint(60, 99),
    "wan": lambda r: r.randint(100, 9000),
    "yi": lambda r: f"{r.uniform(0.3, 5):.1f}",
    "area": lambda r: f"{r.uniform(300, 8000):.2f}",
    "rent": lambda r: r.randint(8, 15) * 100,
    "rent2": lambda r: r.randint(20, 35) * 100,
    "staff": lambda r: r.randint(800, 9000),
    "day": lambda r: r.randint(1, 28),
    "no": lambda r: r.randint(1, 2999),
    "brand": _placeless(lambda r: r.choice(BRAND_FIRST) + r.choice(BRAND_SECOND)),
    "trade": lambda r: r.choice(TRADES),
    "person": _placeless(lambda r: r.choice(SURNAMES) + "".join(r.choices(GIVEN, k=r.choice((1, 2, 2))))),
    "warm": _placeless(lambda r: r.choice(WARM_FIRST) + r.choice(WARM_SECOND)),
    "road": _placeless(lambda r: "".join(r.sample(ROAD_FIRST, 2)) + r.choice(ROAD_SECOND)),
    "facility": lambda r: r.choice(FACILITY_ADJ) + r.choice(FACILITIES),
    "honour": lambda r: r.choice(HONOURS),
}


class _Fields(dict[str, object]):
    """A sentence's fields: the fixed ones given, the others drawn from the generator when first used."""

    def __init__(self, rng: random.Random, fixed: dict[str, object]) -> None:
        super().__init__(fixed)
        self.rng = rng

    def __missing__(self, key: str) -> object:
        value = self[key] = DRAWS[key](self.rng)
        return value


Fill = Callable[[str], tuple[str, str | None]]  # a template -> its text, and the question it answers (if named)


@dataclass(frozen=True)
class Issue:
    """One generated issue: its text and what questions can be drawn from it."""

    index: int  # its place in the corpus, from 0
    date: dt.date
    text: str
    paragraphs: int  # one stored chunk each
    articles: tuple[tuple[str, str], ...]  # (district, topic) of each article
    asks: tuple[str, ...]  # questions its named sentences answer


@dataclass(frozen=True)
class Corpus:
    """A written corpus folder."""

    folder: Path
    seed: int
    files: int
    chunks: int  # paragraphs written: the chunks an ingest stores
    chars: int  # characters of the issue texts
    bytes: int
    seconds: float


def make_issue(seed: int, index: int) -> Issue:
    """Return issue `index` of the corpus of `seed`: masthead, 5-10 titled articles of 1-3 paragraphs, distribution."""
    rng = random.Random(f"{seed}:{index}")  # a str seed is hashed (sha512): the same on every run and platform
    series = index % len(SERIES)
    name, office = SERIES[series]
    date = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
    lines = [name, f"第{index // len(SERIES) + 1}期", f"{office}          {date.year}年{date.month}月{date.day}日", ""]
    own = _DISTRICT_LIST[series - 1] if series else None  # a district office writes mostly about its district
    articles: list[tuple[str, str]] = []
    asks: list[str] = []
    paragraphs = 0
    for _ in range(rng.randint(5, 10)):
        topic = rng.choice(_TOPIC_LIST)
        district = own if own and rng.random() < 0.7 else rng.choice(_DISTRICT_LIST)
        titles, openings, figures = TOPICS[topic]
        fill = _filler(rng, district, date)
        lines.append(fill(rng.choice(titles))[0])
        for i in range(rng.randint(1, 3)):
            lines.append(_paragraph(rng, fill, openings if i == 0 else (), figures, asks))
            paragraphs += 1
        lines.append("")
        articles.append((district, topic))
    lines.append(DISTRIBUTION)
    return Issue(index, date, "\n".join(lines) + "\n", paragraphs, tuple(articles), tuple(asks))


def issue_text(seed: int, index: int) -> str:
    """Return the text of issue `index` of the corpus of `seed`."""
    return make_issue(seed, index).text


def _filler(rng: random.Random, district: str, date: dt.date) -> Fill:
    """Return a function that fills a template for one article: its district, a town of it, the issue's date."""
    fixed: dict[str, object] = {"d": district, "full": DISTRICTS[district], "y": date.year, "m": date.month}

    def fill(template: str) -> tuple[str, str | None]:
        fields = _Fields(rng, {**fixed, "town": rng.choice(TOWNS_OF[district])})
        text = template.format_map(fields)
        question = NAMED_QUESTIONS.get(template)  # its fields are all the sentence's: nothing more is drawn
        return text, question.format_map(fields) if question else None

    return fill


def _paragraph(rng: random.Random, fill: Fill, openings: Sequence[str], figures: Sequence[str],
               asks: list[str]) -> str:
    """Return one paragraph of at most 290 characters: an opening, then distinct figure sentences and fillers."""
    target = rng.randint(110, 270)
    text = fill(rng.choice(openings))[0] if openings else ""
    # the article's own measures, now and then one of another topic's, and the stock phrases
    own = [*figures, *([rng.choice(TOPICS[rng.choice(_TOPIC_LIST)][2])] if rng.random() < 0.3 else [])]
    fillers = list(FILLERS)
    while len(text) < target and (own or fillers):
        pool = own if own and (rng.random() < 0.7 or not fillers) else fillers
        sentence, question = fill(pool.pop(rng.randrange(len(pool))))
        if len(text) + len(sentence) > MAX_PARAGRAPH:
            break
        text += sentence
        if question:
            asks.append(question)
    return text


def issue_path(issue: Issue) -> str:
    """Where an issue goes in the corpus folder: a subfolder per thousand issues keeps folders small."""
    return f"{issue.index // 1000:03d}/{issue.index:06d}-{issue.date.isoformat()}.txt"


def write_corpus(folder: Path, chunks: int, seed: int) -> Corpus:
    """Write issues 0, 1, … into folder until they hold at least `chunks` chunks, one issue at a time.

    A folder this function wrote before is replaced; any other non-empty folder is refused (FileExistsError).
    """
    started = time.perf_counter()
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).is_file():
            raise FileExistsError(f"{folder} is not empty and was not written by the corpus generator")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = total = chars = size = 0
    while total < chunks:
        issue = make_issue(seed, files)
        path = folder / issue_path(issue)
        path.parent.mkdir(exist_ok=True)
        data = issue.text.encode("utf-8")
        path.write_bytes(data)
        files += 1
        total += issue.paragraphs
        chars += len(issue.text)
        size += len(data)
    (folder / MARKER).write_text(json.dumps({"seed": seed, "chunks": chunks, "files": files}), encoding="utf-8")
    return Corpus(folder, seed, files, total, chars, size, time.perf_counter() - started)


def run_on_text(figures: int) -> str:
    """An adversarial bulletin: one sentence of many figures (闵行局新建网点1个，新建网点2个，……。), which once made
    storage grow with the square of its length."""
    return "闵行局推进网点建设\n" + "，".join(f"闵行局新建网点{i}个" for i in range(1, figures + 1)) + "。\n"


def questions(seed: int, files: int, count: int) -> list[str]:
    """Return `count` questions about the first `files` issues: figures of a place, totals, words and names."""
    out = []
    for j in range(count):
        rng = random.Random(f"{seed}:question:{j}")
        issue = make_issue(seed, rng.randrange(files))
        district, topic = rng.choice(issue.articles)
        other = rng.choice([d for d in _DISTRICT_LIST if d != district])
        roll = rng.random()
        if roll < 0.45:
            template = rng.choice(FIGURE_QUESTIONS[topic])
        elif roll < 0.6:
            template = rng.choice(TOTAL_QUESTIONS)
        elif roll < 0.85 and issue.asks:
            out.append(rng.choice(issue.asks))  # a name only this corpus has: 快递员王子涵被评为什么
            continue
        else:
            template = rng.choice(WORD_QUESTIONS)
        out.append(template.format(d=district, d2=other, y=issue.date.year))
    return out
