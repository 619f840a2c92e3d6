"""Normalise extracted text: characters (newlines, zero-width, odd spaces, full-width) and spacing."""

from __future__ import annotations

import itertools
import re

from index.sanitize import strip_invisible

CJK = "\u3400-\u9fff\uf900-\ufaff"
# a list item's number: 1.住房, 2、市场, 1.2023年10月, （3）城管, （一）总体, 一、受理 (not the 2. of 2.5万元)
# the words that join a list's items: 金海街道、南桥镇和奉城镇
LIST_JOINER = r"、以及|、|和|及|与|以及"
LIST_MARK = r"(?:\d{1,2}(?:、|[.．](?!\d)|[.．](?=(?:19|20)\d\d年))|[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}[、．.])"
CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65“”‘’—…·《》〈〉「」『』【】"

_ODD_SPACE = re.compile("[\u00a0\u2000-\u200a\u3000\u202f\u205f]")
_FULLWIDTH_CHARS = [chr(c) for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]]
_FULLWIDTH = str.maketrans({c: chr(ord(c) - 0xFEE0) for c in _FULLWIDTH_CHARS})


def sentence_text(text: str, start: int, end: int) -> str:
    """Return the sentence at text[start:end] as figures are read in it: a heading joined across its line break."""
    return text[start:end].replace("\n", "")


def normalize_chars(text: str) -> str:
    """Normalise characters: newlines, zero-width and control characters, odd spaces, full-width digits."""
    # one list of invisible characters for bulletins, questions and replies (zero-width, bidi, controls); a form
    # feed is a page break, so a line break
    text = strip_invisible(text.replace("\f", "\n"))
    text = _ODD_SPACE.sub(" ", text)
    # translating looks every character up: only text that has a full-width letter or digit needs it
    return text.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(text) else text


_HAS_FULLWIDTH = re.compile(f"[{''.join(_FULLWIDTH_CHARS)}]")


_SP_CJK_L = re.compile(f"(?<=[{CJK}{CJK_PUNCT}]) +(?=[0-9A-Za-z%{CJK}{CJK_PUNCT}])")
_SP_CJK_R = re.compile(f"(?<=[0-9A-Za-z%.]) +(?=[{CJK}{CJK_PUNCT}])")
_SP_RANGE = re.compile(r"(?<=\d) *([-~～—–至]) *(?=\d)")
_SP_DECIMAL = re.compile(r"(?<=\d) \. (?=\d)")  # 6044 . 86, but not a list's "100. 2022年"
_SPACES = re.compile(r" {2,}")
_LETTER_SPACED = re.compile(r"(?:(?<=\s)|^)((?:\S ){3,}\S)(?=\s|$)")


def fix_spacing(text: str) -> str:
    """Remove the spaces extractors put around numbers and between CJK characters."""
    # Only spaces ever disappear, so repeating the pass until nothing changes ends: one removal can expose the
    # next (青 - - 0 0 青), and the result must be a fixed point. A space between two digits is kept.
    while (fixed := _spacing_pass(text)) != text:
        text = fixed
    return fixed


def _spacing_pass(text: str) -> str:
    if " " not in text:
        return text.strip()  # every pattern below needs a space to match (or, _SP_RANGE, to change anything)
    text = _SPACES.sub(" ", text)
    text = _LETTER_SPACED.sub(_join_letter_spaced, text)
    text = _SP_CJK_L.sub("", text)
    text = _SP_CJK_R.sub("", text)
    text = _SP_RANGE.sub(r"\1", text)
    return _SP_DECIMAL.sub(".", text).strip()


def _join_letter_spaced(m: re.Match[str]) -> str:
    run = m.group(1)
    tokens = run.split(" ")
    # 6 0 4 4 . 8 6 or 工 作 简 报: characters spaced out one by one (letter-spacing). Digits side by side
    # are separate numbers (共 3 4 个, a table row 3 5 8 2 1 6 人) unless a decimal point makes them one.
    digits_apart = any(a.isdigit() and b.isdigit() for a, b in itertools.pairwise(tokens))
    if not digits_apart or "." in tokens:
        return run.replace(" ", "")
    return run


def clean_line(text: str) -> str:
    """Clean one line or paragraph of running text (characters and spacing)."""
    return fix_spacing(normalize_chars(text))
