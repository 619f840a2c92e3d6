"""Explain an answer for staff and developers: the question analysis, the passages, the candidates and why one won."""

from __future__ import annotations

from bot.answering.model import contributions, current, model_path
from bot.answering.models import Answer, FigureHit, Reasons
from bot.answering.render import cite
from index import strip_invisible

CANDIDATES = 5


def explain(answer: Answer) -> str:
    """Return a plain-text account of how the answer was chosen."""
    q = answer.question
    unit = f"{q.unit or '-'} ({'spoken' if q.unit_spoken else 'implied'}, {q.unit_kind or 'any kind'})"
    lines = [
        "question analysis",
        f"  wants {q.wants} · unit {unit} · place {'、'.join(q.places) or '-'}"
        f"{' (every district)' if q.every_place else ''} · period {q.period or '-'} · qualifier {q.qualifier or '-'}",
        f"  measure {q.measure or '-'} · keyword {q.keyword or '-'} · content {' '.join(q.content) or '-'}",
        f"  terms {' '.join(dict.fromkeys(q.terms)) or '-'}",
        "passages (BM25, re-ranked by the question's phrases)",
    ]
    for hit in answer.hits[:CANDIDATES]:
        text = f"{hit.chunk.title}\n{hit.chunk.text}"
        matched = [t for t in dict.fromkeys(q.terms) if t in text]
        lines.append(f"  {hit.rank + 1}. {hit.score:8.3f}  {cite(hit.chunk)}  matched: {' '.join(matched) or '-'}")
    if answer.figures:
        lines.append(f"candidate figures (score = bias {current().bias:+.2f} + Σ feature × fitted weight; model {model_path().name})")
        for i, item in enumerate(answer.figures[:CANDIDATES], start=1):
            lines.append(f"  {i}. {item.score:7.3f}  {_describe(item)}")
            lines.append(f"       {_reasons(item)}")
        lines.append(f"why: {_why(answer)}")
    if answer.series:
        lines.append("series: " + "；".join(f"{_date(f)} {f.figure.text}" for f in answer.series))
    if answer.elsewhere:
        lines.append("elsewhere (not the answer): " + "；".join(_describe(f) for f in answer.elsewhere))
    lines.append(f"answer: {answer.headline}" if answer.found else f"not found: {answer.headline}")
    return strip_invisible("\n".join(lines))  # titles and sentences come from documents: no bidi overrides


def _describe(item: FigureHit) -> str:
    f = item.figure
    parts = [f.text, f"measure {f.measure or '-'}", f"place {'、'.join(f.places) or '-'}", f"period {f.period or '-'}",
             f"qualifier {f.qualifier or '-'}", f"kind {f.kind}"]
    return " · ".join(parts) + f"  — {cite(item.chunk)}"


def _parts(item: FigureHit) -> Reasons:
    """Return what a candidate's score is made of: its features with their weights, or its own reasons."""
    return contributions(current(), item.features) if item.features else item.reasons


def _reasons(item: FigureHit) -> str:
    """Each feature the candidate has, as value × weight = its part of the score."""
    return ", ".join(f"{name} {value:g}×{weight:+.2f}" for name, value, weight in _parts(item)
                     if weight) or "no weighed feature"


def _why(answer: Answer) -> str:
    """Say what set the winner apart from the runner-up: the features whose weighed values differ most."""
    best = answer.figures[0]
    if best is not max(answer.figures, key=lambda f: f.score):
        return f"{best.figure.text} is the newest issue's figure of this measure ({_date(best)}); the question names no year"
    if len(answer.figures) == 1:
        return f"{best.figure.text} is the only figure that fits"
    second = answer.figures[1]
    mine = {name: value * weight for name, value, weight in _parts(best)}
    theirs = {name: value * weight for name, value, weight in _parts(second)}
    gaps = sorted(((mine.get(k, 0.0) - theirs.get(k, 0.0), k) for k in {*mine, *theirs}), reverse=True)
    telling = ", ".join(f"{k} {d:+.2f}" for d, k in gaps if d > 0)[:200]
    return (f"{best.figure.text} beat {second.figure.text} by {best.score - second.score:.2f}"
            + (f" on: {telling}" if telling else ""))


def _date(item: FigureHit) -> str:
    return item.chunk.issue_date.isoformat() if item.chunk.issue_date else item.chunk.document
