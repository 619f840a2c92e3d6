"""Figures across bulletins and places: a measure's series over issues, and totals over several places."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.models import Answer, FigureHit
from bot.question import Question
from index import DISTRICTS, TOTAL_WORDS, TOWNS, Chunk, Figure, Library, place_names_in, same_unit


def kind_of_count(fig: Figure) -> str:
    """Tell a figure's qualifier class: new (新增), total (累计/共/合计 …) or plain; only like classes add up."""
    if fig.qualifier == "新增":
        return "new"
    return "total" if fig.qualifier in TOTAL_WORDS else "plain"


def is_share(fig: Figure) -> bool:
    """Tell whether a figure is a town's share of its district's (其中漕河泾街道新增4个)."""
    return any(name in TOWNS for name in place_names_in(fig.before))


def same_measure(a: Figure, b: Figure) -> bool:
    """Tell whether two figures count the same thing: measure, unit and qualifier class alike."""
    if not a.measure or not b.measure or (not same_unit(a.unit, b.unit) and a.unit != b.unit):
        return False
    alike = a.measure in b.measure or b.measure in a.measure  # 一线快递员 = 一线快递员总数
    return alike and kind_of_count(a) == kind_of_count(b) and a.places[:1] == b.places[:1]


def series_of(figures: list[FigureHit]) -> list[FigureHit]:
    """Return the best figure's measure as reported by each issue, oldest first ([] if only one issue has it)."""
    best = figures[0]
    by_date: dict[str, FigureHit] = {}
    for item in figures:
        date = item.chunk.issue_date
        if date is None or not same_measure(best.figure, item.figure):
            continue
        if date.isoformat() not in by_date:  # figures come best first: the first of each issue is its best
            by_date[date.isoformat()] = item
    if len(by_date) < 2 or best.chunk.issue_date is None:
        return []
    return [by_date[d] for d in sorted(by_date)]


def combine(question: Question, library: Library, ask: Callable[[Question, Library], Answer]) -> Answer:
    """Answer a question over several places (徐汇和长宁, 各区): each place's figure, and their total if asked."""
    places = question.places
    if not places:  # 各区: the districts the figure index has this measure for
        words = [question.measure] if question.measure else list(question.content)
        having = {place for _, fig in library.measuring(words) for place in fig.places[:1]}
        places = tuple(p for p in DISTRICTS if p in having)
    answers = {p: ask(replace(question, places=(p,), every_place=False), library) for p in places}
    found = {p: a for p, a in answers.items() if a.found and a.figures}
    missing = [p for p in places if p not in found and not question.every_place]
    what = question.measure or "、".join(question.content[:2]) or "这个数字"
    if not found or missing:
        shown = "；".join(f"{p} {a.figures[0].figure.text}" for p, a in found.items())
        gone = "、".join(missing or places)
        headline = f"简报中没有{gone}的{what}数字" + (f"，无法合计。已有：{shown}。" if shown else "。")
        return Answer(question, False, headline, "", None, (), (),
                      elsewhere=tuple(a.figures[0] for a in found.values()))
    parts = [a.figures[0] for a in found.values()]
    hits = tuple(h for a in found.values() for h in a.hits)
    listing = "；".join(f"{p} {f.figure.text}" for p, f in zip(found, parts, strict=True))
    if question.qualifier != "total" and not question.every_place:
        # 徐汇和长宁各有多少: each place's own figure, no sum
        return Answer(question, True, listing, parts[0].figure.sentence, parts[0].chunk, tuple(parts), hits)
    first = parts[0].figure
    if any(not (f.figure.unit == first.unit or same_unit(f.figure.unit, first.unit))
           or kind_of_count(f.figure) != kind_of_count(first) for f in parts):
        # 累计 plus 新增, or 个 plus 人, is no total
        return Answer(question, True, f"口径或单位不同，不能相加：{listing}", parts[0].figure.sentence,
                      parts[0].chunk, tuple(parts), hits)
    total = _total(parts, list(found))
    return Answer(question, True, f"{total.figure.text}（{listing}）", total.figure.sentence, total.chunk,
                  (total, *parts), hits)


def _total(parts: list[FigureHit], places: list[str]) -> FigureHit:
    """Build the total as a figure of its own, its sentence naming each part and its bulletin."""
    value = sum(f.figure.value for f in parts)
    number = f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value)}"
    unit = parts[0].figure.unit or ""
    text = f"合计 {number} {unit}".rstrip()
    sentence = " + ".join(
        f"{place} {f.figure.text}（{f.chunk.issue_date.isoformat() if f.chunk.issue_date else f.chunk.document}）"
        for place, f in zip(places, parts, strict=True))
    documents = "、".join(dict.fromkeys(f.chunk.document for f in parts))
    figure = Figure(text=text, value=value, value_max=None, unit=parts[0].figure.unit, kind=parts[0].figure.kind,
                    start=0, end=len(text), sentence=sentence, places=tuple(places),
                    measure=parts[0].figure.measure, qualifier="合计")
    chunk = Chunk(id=0, document=documents, title=documents, text=sentence)
    return FigureHit(figure, chunk, sum(f.score for f in parts), (("sum of the places' figures", 0.0),))
