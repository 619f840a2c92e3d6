"""Figures across bulletins and places: a measure's series over issues, and totals over several places."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from bot.answering.features import FEATURES, PASSAGE_FEATURES
from bot.answering.fit import year_of
from bot.answering.model import current
from bot.answering.models import Answer, FigureHit
from bot.answering.question import Question
from index import (
    NOT_ADDABLE_WORDS,
    TOTAL_WORDS,
    TOWNS,
    Chunk,
    Figure,
    Hit,
    Library,
    canonical,
    clause_before,
    format_amount,
    local,
    place_names_in,
    same_unit,
)

_NOT_ADDABLE = NOT_ADDABLE_WORDS  # a rate or an average is no amount (the lexicon says which words make one)
_SUFFIXES = ("总数", "总量", "总额", "数量", "人数", "数")
_PASSAGE = [i for i, name in enumerate(FEATURES) if name in PASSAGE_FEATURES]
PER_PLACE = 24  # of each district's figures of a measure, the newest so many are looked at

Ask = Callable[[Sequence[Question], Library], list[Answer]]  # each place's part of a question, answered


def kind_of_count(fig: Figure) -> str:
    """Tell a figure's qualifier class: new (新增), total (累计/共/合计 …) or plain; new never adds to the others."""
    if fig.qualifier == "新增":
        return "new"
    return "total" if fig.qualifier in TOTAL_WORDS else "plain"


def towns_of(fig: Figure) -> list[str]:
    """Return the towns the figure's clause names (a town's figure, not its district's)."""
    return list(_towns_in(clause_before(fig)))


@functools.lru_cache(maxsize=8192)  # a clause holds several figures, and a 各区 question reads its issues' again
def _towns_in(clause: str) -> tuple[str, ...]:
    return tuple(name for name in place_names_in(clause) if name in TOWNS)


def is_share(fig: Figure) -> bool:
    """Tell whether a figure is a town's share of its district's (其中漕河泾街道新增4个)."""
    return bool(towns_of(fig))


def _core(measure: str) -> str:
    for suffix in _SUFFIXES:
        if measure.endswith(suffix) and len(measure) > len(suffix) + 1:
            return measure[:-len(suffix)]
    return measure


def alike_measure(a: Figure, b: Figure) -> bool:
    """Tell whether two figures count the same thing (up to 总数), whatever their qualifiers."""
    return bool(a.measure) and _core(a.measure) == _core(b.measure)


def same_measure(a: Figure, b: Figure) -> bool:
    """Tell whether two figures are the same statistic: measure (up to 总数), unit, class and place alike."""
    if not a.measure or not b.measure or not (a.unit == b.unit or same_unit(a.unit, b.unit)):
        return False
    return _core(a.measure) == _core(b.measure) and kind_of_count(a) == kind_of_count(b) \
        and a.places[:1] == b.places[:1]


def newest_first(figures: list[FigureHit], margin: float) -> tuple[list[FigureHit], list[FigureHit]]:
    """Put the newest issue's figure of the best one's statistic first, unless it fits worse by more than margin
    (in log-odds, how its passage ranked aside: the same sentence in sixteen issues ranks sixteen ways).

    Returns the figures, reordered, and the series the choice was made from (oldest first; [] for one issue).
    """
    series = series_of(figures)
    best = series[-1] if series and own_fit(series[-1]) >= own_fit(figures[0]) - margin else figures[0]
    return [best, *(f for f in figures if f is not best)], series


def own_fit(item: FigureHit) -> float:
    """Return a candidate's score without its passage's part: how the figure itself fits the question."""
    if not item.features:
        return item.score
    weights = current().weights
    return item.score - sum(item.features[i] * weights[i] for i in _PASSAGE)


def series_of(figures: list[FigureHit]) -> list[FigureHit]:
    """Return the best figure's statistic as reported by each issue, oldest first ([] if only one issue has it)."""
    best = figures[0]
    by_date: dict[str, FigureHit] = {}
    for item in figures:
        date = item.chunk.issue_date
        if date is None or not same_measure(best.figure, item.figure) or is_share(item.figure):
            continue
        by_date.setdefault(date.isoformat(), item)  # figures come best first: the first of each issue is its best
    if len(by_date) < 2 or best.chunk.issue_date is None:
        return []
    return [by_date[d] for d in sorted(by_date)]


def measured_places(question: Question, library: Library) -> set[str]:
    """Return the places the figure index has figures of what a 各区/全市 question counts for (the first place each
    figure names): of its measure, else of a content word."""
    for word in [question.measure or "", *sorted(question.content, key=len, reverse=True)]:
        if question.unit_spoken:  # 多少架 counts 架: a district whose 快递 figures are all 个 or 人 has none of it
            if figures := [f for _, f in library.measuring([word], per_place=PER_PLACE)
                           if same_unit(question.unit, f.unit)]:
                return {place for f in figures for place in f.places[:1]}
        elif (places := library.first_places_measuring(word)) is not None:
            return places
    return set()


def names_measure(question: Question, fig: Figure) -> bool:
    """Tell whether a figure's measure is what the question counts (快递网点 is not 快递驿站)."""
    word = question.measure or max(question.content, key=len, default="")  # 快递业务量: 业务量, not 快递
    return len(word) >= 2 and bool(fig.measure) and (word in fig.measure or _core(fig.measure) in word)


def what_is_asked(question: Question) -> str:
    """Name what was asked, for a reply: the measure, or the phrase it starts (充电 -> 充电桩)."""
    measure = question.measure or ""
    phrase = next((p for p in question.phrases if p.startswith(measure)), "")  # any phrase when no measure
    phrase = re.sub(r"[共有是为约达的了]+$", "", phrase)  # 快递网点共(多少): the noun, not its verb
    return phrase or measure or "、".join(question.content[:2]) or "这个问题"


def combine(question: Question, library: Library, ask: Ask) -> Answer:
    """Answer a question over several places (徐汇和长宁, 各区, 全市): each place's figure, and their total if asked."""
    what = what_is_asked(question)
    places = question.towns or question.places  # 七宝镇和莘庄镇: the towns, each with its district
    if not places:  # 各区: the districts the figure index has this measure for
        having = measured_places(question, library)
        places = tuple(p for p in library.corpus.places if p in having and local(p))  # districts, counties
    asked = [replace(question, places=(canonical(p) or p,), towns=(p,) if p in TOWNS else (), every_place=False,
                     city=False) for p in places]
    answers = dict(zip(places, ask(asked, library), strict=True))
    # 新增多少: a place whose best figure is a total has no 新增 figure to give
    found = {p: a for p, a in answers.items() if a.found and a.figures
             and (question.qualifier != "新增" or kind_of_count(a.figures[0].figure) == "new")}
    missing = [p for p in places if p not in found and not question.every_place]
    if not found or missing:
        shown = "；".join(f"{p} {a.figures[0].figure.text}" for p, a in found.items())
        gone = "、".join(missing or ([] if question.every_place else places)) or ("全市" if question.city else "各区")
        headline = f"简报中没有{gone}{question.period or ''}的{what}数字" + (f"，无法合计。已有：{shown}。" if shown else "。")
        return Answer(question, False, headline, "", None, (), (),
                      elsewhere=tuple(a.figures[0] for a in found.values()))
    parts = [a.figures[0] for a in found.values()]
    hits = _merged(found.values(), parts)
    listing = "；".join(f"{p} {labelled(f.figure)}" for p, f in zip(found, parts, strict=True))
    dated = "；".join(f"{p} {labelled(f.figure)}（{when(f)}）" for p, f in zip(found, parts, strict=True))
    if not question.sum_asked:
        # 徐汇和长宁各有多少: each place's own figure, no sum (dated when the dates differ)
        each = dated if len({when(f) for f in parts}) > 1 else listing
        return Answer(question, True, each, parts[0].figure.sentence, parts[0].chunk, tuple(parts), hits)
    if why := _not_addable(parts):
        return Answer(question, True, f"{why}，不能相加：{dated}", parts[0].figure.sentence, parts[0].chunk,
                      tuple(parts), hits)
    total = _total(parts, list(found))
    scope = f"简报中有此数字的{len(parts)}个区" if question.every_place else ""
    return Answer(question, True, f"{scope}{total.figure.text}（{listing}）", total.figure.sentence, total.chunk,
                  (total, *parts), hits)


def _not_addable(parts: list[FigureHit]) -> str:
    """Say why the parts cannot be summed ("" when they can)."""
    first = parts[0].figure
    if any(f.figure.kind == "percent" or f.figure.qualifier in _NOT_ADDABLE for f in parts):
        return "比例或增幅"
    if any(not (f.figure.unit == first.unit or same_unit(f.figure.unit, first.unit)) for f in parts):
        return "单位不同"
    if len({kind_of_count(f.figure) == "new" for f in parts}) > 1:
        return "新增与累计口径不同"  # 累计 plus 新增 is no total
    # flows (新增, 业务量) add up only over the same period; stocks (累计) are each place's latest
    if kind_of_count(first) != "total" and len({(year_of(f.figure, f.chunk.issue_date), _span(f.figure))
                                               for f in parts}) > 1:
        return "时期不同"
    return ""


def _span(fig: Figure) -> str:
    return re.sub(r"^\d{4}年", "", fig.period or "")  # 上半年 of 2022年上半年, 1至5月 of 2023年1至5月


def labelled(fig: Figure) -> str:
    """A figure with the qualifier its text lacks: 下降3.5% (never a bare 3.5%), 累计88个 (never passed off as 新增)."""
    if fig.qualifier in _NOT_ADDABLE | TOTAL_WORDS | {"新增"} and fig.qualifier not in fig.text:
        return f"{fig.qualifier}{fig.text}"
    return fig.text


def when(item: FigureHit) -> str:
    """Say when a figure is of: its period (2022年上半年), else its bulletin's date, else its document."""
    return item.figure.period or (item.chunk.issue_date.isoformat() if item.chunk.issue_date else item.chunk.document)


def _merged(answers: Iterable[Answer], parts: list[FigureHit]) -> tuple[Hit, ...]:
    """Every place's passages by score, each part's own passage first among its place's, each passage once."""
    seen: set[int] = set()
    out: list[Hit] = []
    pool = sorted((h for a in answers for h in a.hits), key=lambda h: -h.score)
    own = [h for h in pool if h.chunk.id in {p.chunk.id for p in parts}]
    for hit in [*own, *pool]:
        if hit.chunk.id not in seen:
            seen.add(hit.chunk.id)
            out.append(replace(hit, rank=len(out)))
    return tuple(out)


def _total(parts: list[FigureHit], places: list[str]) -> FigureHit:
    """Build the total as a figure of its own, its sentence naming each part and its bulletin."""
    value = float(sum(Decimal(repr(f.figure.value)) for f in parts))
    number = format_amount(value, "wan") if value >= 100_000 else format_amount(value, "plain")
    unit = parts[0].figure.unit or ""
    approx = "约" if any(f.figure.approx for f in parts) else ""
    text = f"合计 {approx}{number}{'' if unit in ('%', '％') or number[-1] in '万亿' else ' '}{unit}".rstrip()
    sentence = " + ".join(f"{place} {f.figure.text}（{when(f)}）" for place, f in zip(places, parts, strict=True))
    documents = "、".join(dict.fromkeys(f.chunk.document for f in parts))
    figure = Figure(text=text, value=value, value_max=None, unit=parts[0].figure.unit, kind=parts[0].figure.kind,
                    start=0, end=len(text), sentence=sentence, places=tuple(places),
                    measure=parts[0].figure.measure, qualifier="合计", approx=approx or None)
    chunk = Chunk(id=0, document=documents, title=documents, text=sentence)
    return FigureHit(figure, chunk, sum(f.score for f in parts), (("sum of the places' figures", 1.0, 0.0),))
