"""Parse and write numerals as bulletins spell them: 1,800, 6044.86, 一千五百, 二〇二二, 50万, 11.42亿.

Pure functions; nothing here raises on odd input, because the text comes straight from documents.
"""

from __future__ import annotations

import functools
import math
import re
from decimal import Decimal

# Arabic numeral, commas only in whole thousands groups: 1,800 and 1,234,567.5 but not 1,8 or 12,34
_ARABIC = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_CHINESE = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
# the multipliers written after a number (50万, 11.42亿), longest first so 万亿 is not read as 万
_MULTIPLIERS: dict[str, int] = {"万亿": 10**12, "千万": 10**7, "百万": 10**6, "十万": 10**5, "万": 10**4, "亿": 10**8}
_BY_POSITION = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def _common_numerals() -> dict[str, float]:
    """The Chinese numerals text writes most, 零 … 九十九 and 一百 … 九亿, with their values as cn2an reads them.

    Looked up before cn2an is asked, so most documents never import it: that takes some 0.5 s in each process
    that parses (its patterns are compiled on first use). tests/test_numerals.py checks every one against cn2an.
    """
    digits = {c: float(v) for c, v in _BY_POSITION.items()}
    nine = list("一二三四五六七八九")
    table = dict(digits)
    table["十"] = 10.0
    table.update((f"十{y}", 10 + digits[y]) for y in nine)
    table.update((f"{x}十", 10 * digits[x]) for x in nine)
    table.update((f"{x}十{y}", 10 * digits[x] + digits[y]) for x in nine for y in nine)
    table.update((f"{x}{unit}", digits[x] * scale) for x in [*nine, "两"]
                 for unit, scale in (("百", 100), ("千", 1000), ("万", 10**4), ("亿", 10**8)))
    return table


COMMON_NUMERALS = _common_numerals()


def parse_number(raw: str) -> float | None:
    """Parse an Arabic or Chinese numeral: 1,800 -> 1800, 两 -> 2, 三千 -> 3000, 二〇二二 -> 2022; None if it is none."""
    if _ARABIC.fullmatch(raw):
        return _finite(float(raw.replace(",", "")))
    # a lone multiplier (万, 亿, 百) is a word, not a number; 十万 and 十亿 are numbers, and 数十万 is left to the
    # figure extractor, which sees the 数
    if not raw or (len(raw) == 1 and raw in "百千万亿"):
        return None
    if raw in _MULTIPLIERS:  # 百万, 万亿: cn2an reads 十万 but not these
        return float(_MULTIPLIERS[raw])
    if (common := COMMON_NUMERALS.get(raw)) is not None:
        return common
    import cn2an  # imported on first use: it takes 0.15 s, a third of the command's start-up

    try:
        return _finite(float(cn2an.cn2an(raw, "smart")))
    except Exception:  # cn2an raises ValueError, KeyError, IndexError … on text it does not expect
        return _digits_by_position(raw)


def _digits_by_position(raw: str) -> float | None:
    """Read 二〇二二 (a year's spelling) digit by digit."""
    if raw and all(c in _BY_POSITION for c in raw):
        return _finite(float("".join(str(_BY_POSITION[c]) for c in raw)))
    return None


def _finite(value: float) -> float | None:
    # a 400-digit string reads as inf, which no figure is
    return value if math.isfinite(value) else None


def scaled(num: str, mult: str | None) -> float | None:
    """Return num times its multiplier (50, 万 -> 500000); None if num is no numeral or mult is unknown."""
    value = parse_number(num)
    if value is None or not mult:
        return value
    if mult not in _MULTIPLIERS:
        return None
    # through the decimal the reader saw: 0.07 * 1e8 in floats is 7000000.000000001
    return _finite(float(Decimal(repr(value)) * _MULTIPLIERS[mult]))


def parse_amount(text: str) -> float | None:
    """Parse one whole written amount, a numeral with an optional multiplier: 2,173, 一千五百, 50万, 11.42亿."""
    text = text.strip()
    # the whole text as one numeral first, so 五十万 reads as cn2an reads it; then each multiplier it ends with
    splits = [(text, None)] + [(text[: -len(m)], m) for m in _MULTIPLIERS if text.endswith(m) and len(text) > len(m)]
    for num, mult in splits:
        if _ARABIC.fullmatch(num) or _CHINESE.fullmatch(num):
            value = scaled(num, mult)
            if value is not None:
                return value
    return None


def format_amount(value: float, style: str) -> str:
    """Write value as a bulletin would: comma (1,234,567.5), plain (6044.86), chinese (一千五百) or wan (11.42亿)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite amount: {value}")
    # the shortest decimal that reads back as value, so formatting adds no float noise
    exact = Decimal(repr(value))
    exact = exact.to_integral_value() if exact == exact.to_integral_value() else exact.normalize()
    if style == "comma":
        return format(exact, ",f")
    if style == "plain":
        return format(exact, "f")
    if style == "chinese":
        if exact != exact.to_integral_value():
            raise ValueError(f"Chinese numerals are written for whole numbers only: {value}")
        import cn2an

        return str(cn2an.an2cn(int(exact)))
    if style == "wan":
        # 亿 from 1亿 up unless it needs more than 4 decimals (1.00001亿 is written 10000.1万)
        for mult, power in (("亿", 8), ("万", 4)):
            mantissa = exact.scaleb(-power).normalize()
            fits = mantissa.scaleb(4) == mantissa.scaleb(4).to_integral_value()
            if fits and (abs(exact) >= 10**power or mult == "万"):
                return format(mantissa, "f") + mult
        raise ValueError(f"{value} needs more than 4 decimals in 万")
    raise ValueError(f"unknown style: {style}")


_CN_WORD = re.compile(r"([零〇一二两三四五六七八九十百千]+)([万亿]?)(.*)")


@functools.lru_cache(maxsize=4096)  # asked of every question word against every candidate's sentence
def arabic_form(word: str) -> str | None:
    """Return a word with its leading Chinese numeral written in digits (十万人 -> 10万人, 三千 -> 3000), or None."""
    m = _CN_WORD.fullmatch(word)
    if m is None or (len(m.group(1)) < 2 and not m.group(2)):
        return None  # 一 alone is an article, 三 alone is in words such as 三农
    number = parse_number(m.group(1))
    return f"{int(number)}{m.group(2)}{m.group(3)}" if number is not None and number.is_integer() else None
