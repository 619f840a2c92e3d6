"""Clean text from outside (questions, file names) and text shown to people: markup and invisible characters."""

from __future__ import annotations

import html
import re

# Control characters (Unicode category Cc) but tab and newline, and format characters (Cf): zero-width characters,
# bidi marks, embeddings, overrides and isolates (U+202E flips how a figure reads), the soft hyphen, tag characters.
# Written out rather than looked up character by character: this runs on every question and every reply. The
# ranges are Unicode 15's (a test checks them against the running Python's unicodedata).
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_CARRIAGE_RETURN = re.compile(r"\r\n?")
# only what looks like a tag: <b>, </i>, <a href=…>; a lone < or > (1<2, 3>2) is text
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_SPACES = re.compile(r"\s+")


def strip_invisible(text: str) -> str:
    """Remove control characters (but newline and tab) and format characters; a carriage return ends a line."""
    # a bare \r on a terminal returns to the line's start, so what follows overwrites what was shown
    return _INVISIBLE.sub("", _CARRIAGE_RETURN.sub("\n", text))


def strip_markup(text: str) -> str:
    """Decode HTML entities (&amp; -> &), then remove HTML tags, including those the entities spelled."""
    text = html.unescape(text)
    while (bare := _TAG.sub("", text)) != text:  # <<b>b> leaves a tag once the inner one is gone
        text = bare
    return text


def clean_text(text: str) -> str:
    """Clean text a person typed or pasted: no HTML entities or tags, no invisible characters."""
    return strip_invisible(strip_markup(text))


def one_line(text: str) -> str:
    """Show text on one line: no invisible characters, every run of spaces and line breaks one space."""
    return _SPACES.sub(" ", strip_invisible(text)).strip()


def clean_name(name: str) -> str:
    """Clean a file name for storing, showing and logging: no HTML or invisible characters, on one line."""
    return one_line(strip_markup(name))


def for_log(text: str) -> str:
    """Return text for a log line as it is, or quoted with escapes if it holds a line break or invisible character."""
    # a newline in a file name would forge a second log line; U+202E would disguise this one
    return text if text.isprintable() else repr(text)
