"""What the pages show (web room): an answer as a card, the issues as rows, usage as an SVG chart — plain data for
the templates, which escape every string."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.answering.answer import Answer
from bot.answering.engine import NOTHING_INDEXED
from bot.answering.render import cite, series_line, shorten
from bot.ops.refusals import STATES
from bot.telegram.messages import ingest_blocks
from index import IngestResult, StoredIssue, strip_invisible

QUOTE_CHARS = 240  # a card has room for more of the sentence than a chat message
MORE = 10  # candidates listed under 「更多」


@dataclass(frozen=True, slots=True)
class Marked:
    """A text cut in three around what is marked in it (the figure in its sentence, the sentence in its passage)."""

    before: str
    marked: str
    after: str


def card(answer: Answer, key: str) -> dict[str, Any]:
    """The card for an answer: the figure large, its sentence with the figure marked, where it stands, the passage
    (原文), the other candidates (更多) and the key its votes are stored under."""
    if answer.headline == NOTHING_INDEXED:
        return {"found": False, "question": answer.question.text, "headline": answer.headline,
                "hint": "简报收录后即可提问（管理员在「简报」页上传简报文件即可收录）。", "key": ""}
    if not answer.found or answer.chunk is None:
        return {"found": False, "question": answer.question.text, "headline": _clean(answer.headline),
                "hint": "可以换个说法再问，或问问别的数字。", "key": key}
    chunk = answer.chunk
    return {
        "found": True, "question": answer.question.text, "headline": _clean(answer.headline), "key": key,
        "sentence": _sentence(answer), "series": _clean(series_line(answer)),
        "source": {"issue": chunk.issue or "", "date": chunk.issue_date.isoformat() if chunk.issue_date else "",
                   "title": chunk.title if chunk.title != chunk.document else "", "document": chunk.document},
        # a made-up total (合计) has no passage of its own: its parts' sources are listed under 更多
        "passage": _passage(chunk.text, answer.quote) if chunk.id else None,
        "more": _more(answer),
    }


def _clean(text: str) -> str:
    return strip_invisible(text)


def _sentence(answer: Answer) -> Marked | None:
    """The answer's sentence, shortened around the figure, the figure marked (the figure's own span when it is
    the sentence's; the whole sentence otherwise)."""
    quote = answer.quote.strip()
    if not quote or quote == answer.headline.strip():
        return None
    if answer.figures and answer.figures[0].figure.sentence.strip() == quote:
        fig = answer.figures[0].figure
        sentence = fig.sentence
        if 0 <= fig.start < fig.end <= len(sentence) and sentence[fig.start:fig.end] == fig.text:
            text = shorten(sentence, fig.start, QUOTE_CHARS)
            cut = text.find(fig.text)
            if cut >= 0:
                return Marked(_clean(text[:cut]), _clean(fig.text), _clean(text[cut + len(fig.text):]))
    return Marked("", "", _clean(shorten(quote, None, QUOTE_CHARS)))


def _passage(text: str, quote: str) -> Marked:
    """The whole passage, the quoted sentence marked in it where it stands."""
    quote = quote.strip()
    at = text.find(quote) if quote else -1
    if at < 0:
        return Marked(_clean(text), "", "")
    return Marked(_clean(text[:at]), _clean(quote), _clean(text[at + len(quote):]))


def _more(answer: Answer) -> list[dict[str, str]]:
    """The other candidates: figures after the first, or for a word answer the other passages."""
    if answer.figures:
        return [{"figure": _clean(f.figure.text), "text": _clean(shorten(f.figure.sentence, f.figure.start, 100)),
                 "cite": _clean(cite(f.chunk))} for f in answer.figures[1:MORE + 1]]
    own = answer.chunk.id if answer.chunk is not None else None
    return [{"figure": "", "text": _clean(shorten(h.chunk.text, None, 100)), "cite": _clean(cite(h.chunk))}
            for h in answer.hits if h.chunk.id != own][:MORE]


def issue_json(issue: StoredIssue) -> dict[str, Any]:
    """An issue as `GET /api/bulletins` gives it: what `bulletin list` shows, field by field."""
    return {"id": issue.id, "date": issue.issue_date, "series": issue.issue_name, "number": issue.issue_number,
            "period": issue.issue_period, "document": issue.document, "articles": issue.articles,
            "chunks": issue.chunks, "figures": issue.figures, "ingested": issue.ingested_at, "state": issue.state,
            "replaced_by": issue.replaced_by}


def issue_row(issue: StoredIssue, replaced: Sequence[str]) -> dict[str, Any]:
    """An issue as the 简报 page lists it: its fields, its state in Chinese, the versions it replaced."""
    return {**issue_json(issue), "state_text": STATES.get(issue.state, issue.state), "replaced": list(replaced),
            "ingested": issue.ingested_at.replace("T", " ")[:16]}


def replaced_by_each(issues: Sequence[StoredIssue]) -> dict[str, list[str]]:
    """For each document, the older versions that it replaced."""
    out: dict[str, list[str]] = {}
    for issue in issues:
        if issue.replaced_by:
            out.setdefault(issue.replaced_by, []).append(issue.document)
    return out


def ingest_json(result: IngestResult) -> dict[str, Any]:
    """What an upload did to one file, as `bulletin ingest` says it, with the bot's Chinese words beside it."""
    return {"document": result.document, "status": result.status, "reason": result.reason, "issue": result.issue,
            "articles": result.articles, "chunks": result.chunks, "figures": result.figures,
            "replaced": list(result.replaced), "line": result.line(),
            "message": "；".join(text for text, _ in ingest_blocks(result))}


def day_chart(per_day: Sequence[tuple[str, int, int]], days: int, today: dt.date) -> dict[str, Any]:
    """Bars of questions per day over the last days (found and not found stacked), as numbers for an SVG."""
    counts = {day: (asked, missing) for day, asked, missing in per_day}
    width, height, gap = 18, 120, 4
    top = max((asked for asked, _ in counts.values()), default=0) or 1
    bars = []
    for i in range(days):
        day = (today - dt.timedelta(days=days - 1 - i)).isoformat()
        asked, missing = counts.get(day, (0, 0))
        h_all, h_missing = round(asked / top * height), round(missing / top * height)
        x = i * (width + gap)
        bars.append({"day": day, "asked": asked, "missing": missing, "x": x, "width": width,
                     "y": height - h_all, "h_found": h_all - h_missing, "y_missing": height - h_missing,
                     "h_missing": h_missing, "label": day[5:] if i % 7 == days % 7 or i == days - 1 else ""})
    return {"bars": bars, "width": days * (width + gap), "height": height, "top": top}
