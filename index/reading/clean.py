"""Turn extracted bulletin text into an issue: masthead, titled articles, clean paragraphs.

The rules follow what PDF text extractors do to Chinese bulletins (shared notes, ecosystem §2.5):
lines broken mid-sentence, spaces around numbers, page footers, a masthead and a 报：/送： list.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from index.analysis.places import places_in
from index.analysis.text import clean_line, fix_spacing, normalize_chars  # also imported from here by callers
from index.errors import EmptyDocument
from index.models import Article, Bulletin, IssueMeta
from index.reading.issues import read_issue
from index.reading.tables import linearize_tables

_END_PUNCT = "。！？；”’）」』】!?;)"
_NOT_TITLE_END = "。！？；，、：,;:!?"

_FOOTER = re.compile(r"^(?:[-—－–]{1,2}\s*\d{1,3}\s*[-—－–]{1,2}|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|"
                     r"\d{1,3}\s*/\s*\d{1,3}|\d{1,3})$")
_DISTRIBUTION = re.compile(r"^(?:报|送|抄送|抄报|发|分送)\s*[：:]")
_SECTION = re.compile(r"^[一二三四五六七八九十]{1,3}[、．.]\S{1,12}$")


@dataclass
class _Line:
    text: str
    closed: bool  # ends a paragraph or title (trailing-space cue, or a short line ending in 。)


def _join(a: str, b: str) -> str:
    if a and b and re.match(r"[A-Za-z0-9]", a[-1]) and re.match(r"[A-Za-z0-9]", b[0]):
        return f"{a} {b}"
    return a + b


# a line that opens with a figure and goes on (409 起、死亡 228 人) continues the sentence before it: no title
# or paragraph begins so
_FIGURE_FIRST = re.compile(r"\s*\d[\d,.]*\s*(?![年月日号时])[\u4e00-\u9fff]{1,2}\s*[、，；]")
# a sentence ended inside the line and the next one begun (死亡 11 人。发生较): no title, and no paragraph's end
_SENTENCE_BEGUN = re.compile(r"[。！？；][^。！？；]*[^\s。！？；”’）」』】!?;)]$")
_TABLE_ROW = re.compile(r"\S\t+\S.*\t|\S {3,}\S.* {3,}\S")


def _lines(body: list[str]) -> tuple[list[_Line], float]:
    """Mark each line as closing its paragraph or not; also return the full line width."""
    raw = [ln for ln in body if ln.strip() and not _FOOTER.match(ln.strip())]
    trailing_mode = sum(1 for ln in raw if re.search(f"[{_END_PUNCT}] +$", ln)) >= 3
    lengths = sorted(len(ln.strip()) for ln in raw)
    full = statistics.median(lengths[len(lengths) // 2:]) if lengths else 0
    # wrapped text (a PDF's visual lines) breaks mid-sentence at full width; hand-typed text never does
    breaks = sum(1 for ln in raw if len(ln.strip()) >= full - 2 and ln.strip()[-1] not in _END_PUNCT)
    wrapped = trailing_mode or (full <= 80 and breaks >= max(2, 0.25 * len(raw)))
    out = []
    for ln, nxt in zip(raw, [*raw[1:], ""], strict=False):
        text = ln.strip()
        if trailing_mode:
            # extractors put a space after a number (468 个): a line ending "… 468 " continues when the
            # next line goes on with the unit or with punctuation
            runs_on = bool(re.search(r"\d$", text) and re.match(f"\\s*[^\\d\\s{_END_PUNCT}]", nxt)) \
                or bool(re.match(r"\s*[，、。；：）”]", nxt)) or bool(_FIGURE_FIRST.match(nxt)) \
                or bool(_SENTENCE_BEGUN.search(text))
            # a full-width line of running text (a comma in it: no title) not ending a sentence is a wrap whatever
            # its trailing space (some extractors put one after every line)
            wraps = len(text) >= full - 2 and text[-1] not in _END_PUNCT and "，" in text
            closed = ln != ln.rstrip() and not runs_on and not wraps
        elif wrapped:
            closed = len(text) < full - 1 and (text[-1] in _END_PUNCT or len(text) < 0.85 * full)
        else:
            closed = True  # one paragraph per line (plain text, .docx)
        if _TABLE_ROW.search(ln) or _TABLE_ROW.search(nxt):
            closed = True  # a table's row (cells apart by tabs or wide gaps) is a line of its own, never run on
        out.append(_Line(text, closed))
    if out:
        out[-1].closed = True
    return out, full


def _is_title(block: list[str], full: float) -> bool:
    text = "".join(block)
    if not 4 <= len(text) <= 40 or text[-1] in _NOT_TITLE_END or len(block) > 2 or text.count("，") > 1:
        return False
    # a title has no sentence-ending punctuation inside; a two-line title has no full-width line
    if re.search("[。！？；]", text):
        return False
    return len(block) == 1 or all(len(line) < max(full * 0.95, 20) for line in block)


def split_masthead(lines: list[str]) -> tuple[IssueMeta, list[str]]:
    """Take the issue's series, number, date and period from its header; return them and the lines less the masthead."""
    return read_issue(lines)


def parse_bulletin(text: str, document: str) -> Bulletin:
    """Parse a bulletin's text into its issue (series, number, date, period), articles and distribution list."""
    lines = normalize_chars(text).split("\n")
    cut = next((i for i, ln in enumerate(lines) if _DISTRIBUTION.match(ln.strip())), len(lines))
    distribution = "\n".join(clean_line(ln) for ln in lines[cut:] if ln.strip())
    meta, body = read_issue(lines[:cut])
    marked, full = _lines(linearize_tables(body))

    blocks: list[list[str]] = []
    current: list[str] = []
    for line in marked:
        current.append(line.text)
        if line.closed:
            blocks.append(current)
            current = []
    articles: list[Article] = []
    title_parts: list[str] = []
    paragraphs: list[str] = []

    def flush() -> None:
        title = clean_line("".join(title_parts)) if title_parts else ""
        if paragraphs:
            articles.append(Article(title=title or document, paragraphs=tuple(paragraphs),
                                    place=_subject(title, paragraphs)))
        elif title:  # a title with no body: keep it as text of its own
            articles.append(Article(title=title, paragraphs=(title,), place=_subject(title, [])))

    for block in blocks:
        tail = "".join(block)
        if _SECTION.match(tail):
            flush()  # 二、基层通讯: a section heading ends the article before it and titles nothing
            paragraphs, title_parts = [], []
            continue
        if title_parts and not paragraphs and len(tail) < 12 and not re.search(f"[{_NOT_TITLE_END}]", tail):
            title_parts.extend(block)  # the short last line of a wrapped title (…保障 / 工作)
            continue
        if not _is_title(block, full):
            if para := fix_spacing(_join_all(block)):
                paragraphs.append(para)
            continue
        if paragraphs or len(title_parts) >= 2:  # a new title: the previous article is complete
            flush()
            paragraphs, title_parts = [], []
        title_parts.extend(block)
    flush()
    if not articles:
        raise EmptyDocument("no text found in the document")
    return Bulletin(document=document, meta=meta, articles=tuple(articles), distribution=distribution)


def _join_all(block: list[str]) -> str:
    out = ""
    for part in block:
        out = _join(out, part)
    return out


def _subject(title: str, paragraphs: list[str] | tuple[str, ...]) -> str | None:
    """Return the district an article is about: the first one its title names, else its first paragraph."""
    named = places_in(title)
    if named:
        return named[0]
    if paragraphs:
        first = places_in(paragraphs[0][:60])
        return first[0] if first else None
    return None
