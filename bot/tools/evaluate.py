"""Score answers against a question set by the rules of the outside benchmark (../shared/bench/qa_eval.py).

A question set is JSON Lines; each line has "q" and "kind":
  figure     "value" (and optional "value_max"): the top figure must carry that number
  date       "month", "day": the answer text must contain <month>月<day>日
  text       "all_of": every string must appear in the answer text
  not_found  the answer must say nothing was found ("found": false)
  retrieval  only "doc" is scored
and optionally "doc": the document the answer must be retrieved from (R@1, R@5).

A set may name its corpus in a file beside it, <set>.corpus.json (corpus.jsonl -> corpus.corpus.json), holding
{"corpus": [bulletin files or folders, relative to that file]}: not as a line of the set, since qa_eval and other
readers take every line for a question. `bulletin eval` then scores on exactly that corpus, in a temporary database.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from bot.answering.engine import Engine
from bot.answering.model import current
from bot.answering.render import error_answer, to_json
from index import LIMITS, BulletinError, Limits, Segmenter, Store, find_documents, ingest_paths

KINDS = ("figure", "date", "text", "not_found", "retrieval")
# the gold fields a failure line shows, as qa_eval prints them
_WANT_KEYS = ("value", "value_max", "month", "day", "all_of", "gold")
_SHOWN_CHARS = 120
CORPUS_SUFFIX = ".corpus.json"  # <set>.corpus.json names the corpus of <set>.jsonl

# what each metric counts, one line each (the report and `bulletin eval --help` print them)
METRICS = {
    "R@1": 'questions with a "doc": that document is the answer\'s first source',
    "R@5": 'questions with a "doc": that document is among the answer\'s first five sources',
    "fig@1": "figure questions: the answer found something and its first figure carries the wanted number (or range)",
    "fig@3": "figure questions: one of the first three figures of an answer that found something carries it",
    "date": "date questions: the answer found something and its text says <month>月<day>日",
    "text": 'text questions: the answer found something and its text holds every "all_of" string',
    "not_found": 'not_found questions: the answer says nothing was found ("found": false)',
    "all": "every question but retrieval-only ones, right by its kind (a figure question counts by fig@1)",
}

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([万亿]?)|([零〇一二两三四五六七八九十百千万亿]+)")


class BadQuestionSet(BulletinError):
    """The question set cannot be read or a line of it is not a question."""


class BadCorpus(BulletinError):
    """The corpus to score on is missing, names no bulletin file, or holds one that cannot be ingested."""


@dataclass(frozen=True, slots=True)
class Metric:
    """One score: how many of the questions it counts were right."""

    name: str  # R@1 | R@5 | fig@1 | fig@3 | date | text | not_found | all
    hits: int
    total: int

    @property
    def percent(self) -> float:
        """Return hits as a percentage of total (0 for no questions)."""
        return 100 * self.hits / max(self.total, 1)


@dataclass(frozen=True, slots=True)
class Failure:
    """A question whose answer was wrong, with that answer (the CLI's JSON object)."""

    question: Mapping[str, Any]
    answer: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Report:
    """The scores of one run over a question set, in the order qa_eval prints them, and what failed."""

    questions: int
    metrics: tuple[Metric, ...]
    failures: tuple[Failure, ...]

    @property
    def scores(self) -> dict[str, tuple[int, int]]:
        """Return every metric as name -> (hits, total)."""
        return {m.name: (m.hits, m.total) for m in self.metrics}


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Read a JSON Lines question set; raise BadQuestionSet naming the file and line of the first bad one."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: a BOM from a Windows editor is not a bad line
    except UnicodeDecodeError as e:
        raise BadQuestionSet(f"{path}: not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise BadQuestionSet(f"{path}: cannot read the question set ({e.strerror or e})") from None
    questions = []
    # split on "\n" only: str.splitlines would also cut at U+2028 and friends, which JSON leaves raw in strings
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            question = json.loads(line)
        except json.JSONDecodeError as e:
            raise BadQuestionSet(f"{path}:{number}: not JSON ({e.msg}, column {e.colno})") from None
        except RecursionError:
            raise BadQuestionSet(f"{path}:{number}: nested too deeply to be a question") from None
        if isinstance(question, dict) and "corpus" in question and "q" not in question:
            # qa_eval would stop at such a line: the corpus has its own file
            raise BadQuestionSet(f"{path}:{number}: a corpus line; name the corpus in "
                                 f"{corpus_file(path).name} beside the set instead")
        problem = _problem(question)
        if problem:
            raise BadQuestionSet(f"{path}:{number}: {problem}")
        if question["q"].strip():  # qa_eval drops blank questions rather than ask them
            questions.append(question)
    if not questions:
        raise BadQuestionSet(f"{path}: no questions")
    return questions


def _problem(question: object) -> str | None:
    """Say what makes one parsed line unusable as a question, or return None."""
    if not isinstance(question, dict):
        return "not a JSON object"
    if not isinstance(question.get("q"), str):
        return 'no "q" (the question text)'
    kind = question.get("kind")
    if kind not in KINDS:
        said = f"unknown kind {kind!r}" if "kind" in question else 'no "kind"'
        return f"{said} (one of {', '.join(KINDS)})"
    if kind == "figure" and not _is_number(question.get("value")):
        return 'a figure question without a numeric "value"'
    if kind == "figure" and question.get("value_max") is not None and not _is_number(question["value_max"]):
        return '"value_max" is not a number'
    if kind == "date" and not all(isinstance(question.get(k), int | str) and not isinstance(question.get(k), bool)
                                  for k in ("month", "day")):
        return 'a date question without "month" and "day"'
    if kind == "text" and not (isinstance(question.get("all_of"), list) and question["all_of"]
                               and all(isinstance(s, str) for s in question["all_of"])):
        return 'a text question without "all_of" (a list of strings)'
    if question.get("doc") is not None and not isinstance(question["doc"], str):
        return '"doc" is not a document name'
    return None


def corpus_file(questions: Path) -> Path:
    """Return the file that names a question set's corpus: <set>.corpus.json beside the set."""
    return questions.with_suffix(CORPUS_SUFFIX)


def named_corpus(questions: Path) -> list[Path] | None:
    """Return the corpus a question set's corpus file names (paths relative to that file), or None without one."""
    named = corpus_file(questions)
    try:
        text = named.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as e:
        raise BadCorpus(f"{named}: not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise BadCorpus(f"{named}: cannot read the corpus file ({e.strerror or e})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadCorpus(f"{named}: not JSON ({e.msg}, line {e.lineno} column {e.colno})") from None
    paths = data.get("corpus") if isinstance(data, dict) else None
    if isinstance(paths, str):
        paths = [paths]
    if not (isinstance(paths, list) and paths and all(isinstance(p, str) and p.strip() for p in paths)):
        raise BadCorpus(f'{named}: no "corpus" (a list of bulletin files or folders, relative to this file)')
    return [named.parent / p for p in paths]


async def corpus_engine(paths: Sequence[Path], limits: Limits = LIMITS) -> Engine:
    """Ingest a corpus into a temporary database, deleted after, and return an engine over exactly that corpus."""
    if missing := [p for p in paths if not p.exists()]:
        raise BadCorpus(f"no such corpus file or folder: {missing[0]}")
    files = list(find_documents(paths))
    if not files:
        raise BadCorpus(f"no bulletin files (.txt .md .pdf .docx) in the corpus {', '.join(map(str, paths))}")
    segmenter = Segmenter()
    # the loaded engine holds its index in memory, so the database can go as soon as it is loaded
    with tempfile.TemporaryDirectory(prefix="bulletin-eval-", ignore_cleanup_errors=True) as work:
        async with await Store.open(Path(work) / "eval.db") as store:
            results = await ingest_paths(store, segmenter, files, limits)
            if refused := [r for r in results if r.status == "refused"]:
                # scores over part of the corpus would pass for scores over all of it
                raise BadCorpus(f"a corpus file cannot be ingested: {' '.join(refused[0].line().split())}")
            return await Engine.load(store, segmenter)


def evaluation(engine: Engine, questions: Sequence[Mapping[str, Any]], *, show: int = 0) -> str:
    """Ask and score every question; return what `bulletin eval` prints: the report, then the model's scores."""
    started = time.perf_counter()
    report = score(questions, run(engine, questions))
    seconds = time.perf_counter() - started
    return f"{format_report(report, show=show, seconds=seconds, legend=True)}\n{format_model(current().trained)}"


def metric_legend(names: Iterable[str] = METRICS) -> list[str]:
    """Return one line per metric saying what it counts."""
    return [f"  {name:9s} {METRICS[name]}" for name in names if name in METRICS]


def run(engine: Engine, questions: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Ask every question in order; return the CLI's JSON object for each (an error object if it cannot be asked)."""
    answers = []
    for question in questions:
        text = question["q"].replace("\n", " ")  # what the CLI sees: qa_eval sends one question per line
        try:
            answers.append(to_json(engine.ask(text)))
        except BulletinError as e:
            answers.append(error_answer(text, str(e)))
    return answers


def score(questions: Sequence[Mapping[str, Any]], answers: Sequence[Mapping[str, Any]]) -> Report:
    """Score answers (the CLI's JSON objects) against the questions they answer, one for one."""
    if len(questions) != len(answers):
        raise ValueError(f"{len(answers)} answers for {len(questions)} questions")
    tally: dict[str, list[int]] = {}  # insertion order is qa_eval's print order: first seen, first shown
    failures = []
    for question, answer in zip(questions, answers, strict=True):
        marks = judge(question, answer)
        for name, ok in marks:
            counts = tally.setdefault(name, [0, 0])
            counts[0] += ok
            counts[1] += 1
        if ("all", False) in marks:
            failures.append(Failure(question, answer))
    return Report(len(questions), tuple(Metric(name, hits, total) for name, (hits, total) in tally.items()),
                  tuple(failures))


def judge(question: Mapping[str, Any], answer: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """Return the marks one answer earns: retrieval first, then its kind's, then "all" (not for retrieval)."""
    marks = []
    doc = question.get("doc")
    if doc:
        documents = _documents(answer)
        marks += [("R@1", documents[:1] == [doc]), ("R@5", doc in documents[:5])]
    kind = question["kind"]
    if kind == "retrieval":
        return marks
    found = answer.get("found") is True  # a figure, date or text is worth nothing in a "not found" answer
    text = re.sub(r"\s+", "", answer["answer"] if isinstance(answer.get("answer"), str) else "")
    if kind == "figure":
        right = [figure_ok(f, question["value"], question.get("value_max")) for f in _list(answer.get("figures"))[:3]]
        ok = found and bool(right) and right[0]
        marks += [("fig@1", ok), ("fig@3", found and any(right))]
    elif kind == "date":
        ok = found and f"{question['month']}月{question['day']}日" in text
        marks.append(("date", ok))
    elif kind == "text":
        ok = found and all(s in text for s in question["all_of"])
        marks.append(("text", ok))
    else:
        ok = answer.get("found") is False
        marks.append(("not_found", ok))
    marks.append(("all", ok))
    return marks


def figure_ok(figure: object, want: float, want_max: float | None) -> bool:
    """Say whether one answer figure carries the wanted number (or, with want_max, the wanted range)."""
    if not isinstance(figure, Mapping):
        return False
    value, value_max = figure.get("value"), figure.get("value_max")
    if want_max is not None:
        return _is_number(value) and _same(value, want) and _is_number(value_max) and _same(value_max, want_max)
    candidates = [value] if _is_number(value) else []
    # The span may write the number another way (50万 is 500000 and 50; 两个 is 2): its numbers count too,
    # but only when it is one figure's span (one number, or two for a range), not a whole sentence.
    text = figure.get("text")
    spans = numbers(text if isinstance(text, str) else "")
    if len(spans) <= (2 if _is_number(value_max) else 1):
        candidates += [n for scaled, unscaled in spans for n in (unscaled, scaled)]
    return any(_same(c, want) for c in candidates)


def numbers(text: str) -> list[tuple[float, float]]:
    """Return every number in text as (scaled, unscaled): 11.42亿 -> (1.142e9, 11.42)."""
    found = []
    for m in _NUMBER.finditer(text):
        if m.group(1):
            value = float(m.group(1).replace(",", ""))
            found.append((value * _CN_BIG.get(m.group(2), 1), value))
        elif m.group(3) not in ("万", "亿", "千", "百"):  # a lone 万 or 千 is a word (千家万户), no number
            whole = _chinese_int(m.group(3))
            if whole is not None:
                found.append((float(whole), float(whole)))
    return found


def _chinese_int(text: str) -> int | None:
    """Read a number written in Chinese numerals (三千二百 -> 3200; 十五 -> 15)."""
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]  # 十五: a unit alone means one of it
            digit = None
        elif ch in _CN_BIG:
            section += digit or 0
            total += section * _CN_BIG[ch]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def format_report(report: Report, *, show: int = 0, seconds: float | None = None, legend: bool = False) -> str:
    """Render a report: head and metric lines as qa_eval prints them, with legend their meaning, then failures."""
    head = f"questions {report.questions}"
    if seconds is not None:
        head += f"; ask {seconds:.2f} s ({1000 * seconds / max(report.questions, 1):.1f} ms/question)"
    lines = [head]
    lines += [f"{m.name:10s} {m.hits:5d}/{m.total:<5d} {m.percent:5.1f}%" for m in report.metrics]
    if legend and report.metrics:
        lines += ["what each metric counts:", *metric_legend(m.name for m in report.metrics)]
    for failure in report.failures[:max(show, 0)]:
        q, a = failure.question, failure.answer
        want = {k: q[k] for k in q if k in _WANT_KEYS}
        got = str(a.get("answer", ""))[:_SHOWN_CHARS].replace("\n", " ")
        # found / not found in words, where qa_eval prints True / False
        lines.append(f"- {q['q']} | want {want} | got {_found_in_words(a.get('found'))}: {got}")
    return "\n".join(lines)


def _found_in_words(found: object) -> str:
    """Say an answer's "found" as words: found, not found, or the odd value itself."""
    if found is True:
        return "found"
    if found is False:
        return "not found"
    return f"found={json.dumps(found, ensure_ascii=False)}"  # a malformed answer: show what it said


def _documents(answer: Mapping[str, Any]) -> list[Any]:
    """Return the answer's source documents, each once, in ranking order."""
    documents: list[Any] = []
    for source in _list(answer.get("sources")):
        if isinstance(source, Mapping) and source.get("document") not in documents:
            documents.append(source.get("document"))
    return documents


def _list(value: object) -> list[Any]:
    """Return value if it is a list, else no items (a malformed answer scores as empty, not as a crash)."""
    return value if isinstance(value, list) else []


def _same(a: float, b: float) -> bool:
    """Say whether a equals the wanted b, up to float noise relative to b."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def _is_number(value: object) -> TypeGuard[int | float]:
    """Say whether a JSON value is a finite number (true and false are not; 1e400 reads as inf, which matches all)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def format_model(trained: Mapping[str, Any]) -> str:
    """Say how the figure chooser in use scored when it was trained: out of fold (folds split by document) and with
    each labelled set left out, per set; scores on the sets it was fitted on are not reported."""
    oof, loso = trained.get("out_of_fold"), trained.get("leave_one_set_out")
    if not isinstance(oof, Mapping) or not isinstance(loso, Mapping):
        return "figure model: no out-of-sample scores recorded (hand-set weights)"
    lines = [f"figure model (trained {trained.get('date', '?')}, {trained.get('questions', '?')} questions; "
             f"not found below p={trained.get('threshold', 0):.3f}) — out of sample, fig@1 / all:",
             f"  {'set':14s} {'out-of-fold':>14s} {'set left out':>14s}"]
    for name, row in oof.items():
        other = loso.get(name, {})
        lines.append(f"  {name:14s} {row.get('fig@1', 0):6.1f}/{row.get('all', 0):5.1f}  "
                     f"  {other.get('fig@1', 0):6.1f}/{other.get('all', 0):5.1f}")
    return "\n".join(lines)
