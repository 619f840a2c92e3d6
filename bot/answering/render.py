"""Render answers as plain text (CLI, chat) and as the JSON object of the CLI contract."""

from __future__ import annotations

from typing import Any

from bot.answering.answer import Answer
from bot.answering.combine import is_share, labelled
from index import Chunk, Hit, strip_invisible

QUOTE_CHARS = 120


def sources(answer: Answer, *, limit: int = 10) -> list[Hit]:
    """Return the passages behind an answer in ranking order (the answer cites its own passage separately)."""
    return list(answer.hits[:limit])


def cite(chunk: Chunk) -> str:
    """Say where a passage stands: the bulletin file, its date if known, and the article title."""
    date = f" · {chunk.issue_date.isoformat()}" if chunk.issue_date else ""
    title = f" ·《{chunk.title}》" if chunk.title != chunk.document else ""
    return f"{chunk.document}{date}{title}"


def shorten(sentence: str, start: int | None = None, limit: int = QUOTE_CHARS) -> str:
    """Cut a long sentence to about limit characters around position start, marking cuts with ……."""
    sentence = sentence.strip()
    if len(sentence) <= limit:
        return sentence
    centre = start if start is not None else 0
    left = max(0, min(centre - limit // 3, len(sentence) - limit))
    text = sentence[left:left + limit]
    return ("……" if left > 0 else "") + text + ("……" if left + limit < len(sentence) else "")


def render_plain(answer: Answer) -> str:
    """Render an answer for a terminal: the figure first, then the sentence, then where it stands."""
    # the text comes from documents and users: a bidi override (U+202E) in it would flip how a figure reads
    return strip_invisible(_plain(answer))


def _plain(answer: Answer) -> str:
    if not answer.found or answer.chunk is None:
        return answer.headline
    start = answer.figures[0].figure.start if answer.figures else None
    lines = [answer.headline]
    if answer.quote and answer.quote.strip() != answer.headline.strip():
        lines.append(f"“{shorten(answer.quote, start)}”")
    lines.append(f"—— {cite(answer.chunk)}")
    if line := series_line(answer):
        lines.append(line)
    return "\n".join(lines)


def series_line(answer: Answer) -> str:
    """Say how the measure moved across issues: 各期：2022-09-20 120个（新增12个） → 2023-03-10 130个 ("" if one issue)."""
    steps = []
    for item in answer.series:
        date = item.chunk.issue_date.isoformat() if item.chunk.issue_date else item.chunk.document
        # the same issue's 新增 of the same measure, when the series is of totals
        new = next((f.figure.text for f in answer.figures if f.chunk.id == item.chunk.id and f.figure.qualifier == "新增"
                    and item.figure.qualifier != "新增" and f.figure.measure == item.figure.measure
                    and f.figure.unit == item.figure.unit and not is_share(f.figure)), None)
        steps.append(f"{date} {labelled(item.figure)}" + (f"（新增{new}）" if new else ""))
    return "各期：" + " → ".join(steps) if steps else ""


def to_json(answer: Answer) -> dict[str, Any]:
    """Return the CLI contract's JSON object for an answer (no invisible characters in its strings)."""
    return _visible({
        "question": answer.question.text,
        "found": answer.found,
        "answer": render_plain(answer),
        "figures": [
            {"text": f.figure.text, "value": _number(f.figure.value),
             "value_max": _number(f.figure.value_max) if f.figure.value_max is not None else None,
             "unit": f.figure.unit, "sentence": f.figure.sentence.strip(), "document": f.chunk.document,
             "title": f.chunk.title}
            for f in answer.figures[:10]
        ],
        "sources": [
            {"document": h.chunk.document, "title": h.chunk.title, "text": h.chunk.text,
             "score": round(h.score, 6)}
            for h in sources(answer)
        ],
    })


def error_answer(question: str, message: str) -> dict[str, Any]:
    """Return the JSON object the CLI prints for a question it could not ask."""
    return {"question": question, "found": False, "answer": message, "figures": [], "sources": []}


def _visible(value: Any) -> Any:
    """Return a JSON value with invisible characters (bidi overrides, zero-width, controls) out of its strings."""
    if isinstance(value, str):
        return strip_invisible(value)
    if isinstance(value, dict):
        return {key: _visible(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_visible(item) for item in value]
    return value


def _number(value: float) -> int | float:
    """Write whole numbers as integers (100, not 100.0)."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value
