"""Numerals: examples for each spelling, and properties that a written amount reads back and that no text raises."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering.fit import found_share
from index.analysis.figures import extract_figures
from index.analysis.numerals import arabic_form, format_amount, parse_amount, parse_number, scaled

# --- parse_number --------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [
    ("1,800", 1800), ("1,234,567.5", 1234567.5), ("6044.86", 6044.86), ("0", 0), ("两", 2), ("三千", 3000),
    ("十", 10), ("十五", 15), ("一百", 100), ("一千五百", 1500), ("二〇二二", 2022), ("四百六十七万六千", 4676000),
    ("一亿零一", 100000001), ("１２３", 123),
])
def test_parse_number(raw: str, value: float) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize("raw", ["万", "亿", "千", "百"])
def test_parse_number_lone_multiplier_is_no_number(raw: str) -> None:
    assert parse_number(raw) is None


@pytest.mark.parametrize(("raw", "value"), [("十万", 1e5), ("百万", 1e6), ("十亿", 1e9), ("万亿", 1e12)])
def test_parse_number_multiplier_words_are_numbers(raw: str, value: float) -> None:
    assert parse_number(raw) == value  # 投资十亿元; 数十亿元 is the figure extractor's to refuse


@pytest.mark.parametrize("raw", ["", ",", "1,8", "12,34", "1,2,3", "abc", "五 ", "1.", ".5", "9" * 400, "九" * 400])
def test_parse_number_rejects(raw: str) -> None:
    # "" and "," used to raise ValueError; 1,2,3 read as 123; 400 nines read as inf
    assert parse_number(raw) is None


# --- scaled --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("num", "mult", "value"), [
    ("50", "万", 500000), ("11.42", "亿", 1142000000), ("3.5", "万亿", 3500000000000), ("1.5", "千万", 15000000),
    ("2", "十万", 200000), ("6", "百万", 6000000), ("五十", "万", 500000), ("1,800", None, 1800), ("0.07", "亿", 7000000),
])
def test_scaled(num: str, mult: str | None, value: float) -> None:
    assert scaled(num, mult) == value


def test_scaled_is_exact_where_floats_are_not() -> None:
    # the float products scaled avoids
    assert 0.07 * 1e8 != 7000000
    assert 2.3 * 1e8 != 230000000
    assert scaled("0.07", "亿") == 7000000
    assert scaled("2.3", "亿") == 230000000


@pytest.mark.parametrize(("num", "mult"), [("万", "亿"), ("abc", "万"), ("5", "千"), ("5", "兆")])
def test_scaled_none(num: str, mult: str) -> None:
    assert scaled(num, mult) is None


# --- parse_amount --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("2,173", 2173), ("6044.86", 6044.86), ("一千五百", 1500), ("50万", 500000), ("11.42亿", 1142000000),
    ("3.5万亿", 3500000000000), (" 50万 ", 500000), ("五十万", 500000), ("十万", 100000), ("十亿", 1000000000),
    ("5十万", 500000), ("二〇二二", 2022), ("0", 0),
])
def test_parse_amount(text: str, value: float) -> None:
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", [
    "近5.6万", "5.6万多", "约50万", "50万元", "50 万", "万", "亿", "1,8", "-5", "负五", "一点五", "5千", "1.5万3",
    "50万万", "", "  ", "2,173 6044.86",
])
def test_parse_amount_rejects(text: str) -> None:
    assert parse_amount(text) is None


# --- format_amount -------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "style", "text"), [
    (2173, "comma", "2,173"), (1234567.5, "comma", "1,234,567.5"), (6044.86, "plain", "6044.86"),
    (2173.0, "plain", "2173"), (1e16, "plain", "10000000000000000"), (1500, "chinese", "一千五百"),
    (500000, "wan", "50万"), (1142000000, "wan", "11.42亿"), (5000, "wan", "0.5万"), (0, "wan", "0万"),
    (100001000, "wan", "10000.1万"), (10**12, "wan", "10000亿"),
])
def test_format_amount(value: float, style: str, text: str) -> None:
    assert format_amount(value, style) == text


@pytest.mark.parametrize(("value", "style"), [
    (1.5, "chinese"), (1234.56, "wan"), (float("inf"), "comma"), (float("nan"), "plain"), (5, "roman"),
])
def test_format_amount_refuses(value: float, style: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011  # each refusal is its own ValueError message
        format_amount(value, style)


# --- properties ----------------------------------------------------------------------------------

_INTEGERS = st.integers(min_value=0, max_value=10**12)
# 2-decimal amounts as a bulletin prints them: 6044.86, 0.07
_CENTS = st.integers(min_value=0, max_value=10**12).map(lambda n: n / 100)


@settings(max_examples=150)
@given(value=_INTEGERS | _CENTS, style=st.sampled_from(["comma", "plain"]))
def test_arabic_round_trip(value: float, style: str) -> None:
    assert parse_amount(format_amount(value, style)) == value


@settings(max_examples=150)
@given(value=st.integers(min_value=0, max_value=10**8))
def test_chinese_round_trip(value: int) -> None:
    assert parse_amount(format_amount(value, "chinese")) == value


@settings(max_examples=150)
@given(mantissa=st.integers(min_value=0, max_value=10**6), decimals=st.integers(min_value=0, max_value=4),
       power=st.sampled_from([4, 8]))
def test_wan_round_trip(mantissa: int, decimals: int, power: int) -> None:
    # mantissa with up to 4 decimals, times 万 or 亿: 50万, 11.42亿, 0.0001万
    value = mantissa * 10 ** (power - decimals)
    text = format_amount(value, "wan")
    assert text[-1] in "万亿"
    assert parse_amount(text) == value


_NUMERAL_TEXT = st.text(
    st.sampled_from("0123456789零〇一二两三四五六七八九十百千万亿,.") | st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    max_size=12,
)


@settings(max_examples=300)
@given(text=st.text() | _NUMERAL_TEXT)
def test_never_raises(text: str) -> None:
    for parse in (parse_number, parse_amount):
        value = parse(text)
        assert value is None or (isinstance(value, float) and math.isfinite(value))


# --- through the figure extractor: what a bulletin prints is what the index stores --------------------


@settings(max_examples=150)
@given(value=st.integers(min_value=1, max_value=10**9), style=st.sampled_from(["comma", "plain", "chinese", "wan"]))
def test_figure_round_trip(value: int, style: str) -> None:
    if style == "wan" and value % 100:
        value *= 100  # 万 with up to 2 decimals, as bulletins print it (1.25万)
    amount = format_amount(value, style)
    figures = extract_figures(f"青浦区共有{amount}套公租房。", issue_date=dt.date(2023, 5, 4), place="青浦")
    [fig] = [f for f in figures if f.unit == "套"]
    assert (fig.value, fig.text) == (value, f"{amount}套")
    assert (fig.measure, fig.places, fig.qualifier) == ("公租房", ("青浦",), "共有")


@settings(max_examples=300)
@given(text=st.text(max_size=80) | _NUMERAL_TEXT)
def test_extractor_never_raises_and_spans_hold(text: str) -> None:
    for fig in extract_figures(text, issue_date=dt.date(2023, 5, 4), place="青浦"):
        assert fig.sentence[fig.start:fig.end] == fig.text
        assert math.isfinite(fig.value)


def test_the_common_numerals_are_read_as_cn2an_reads_them() -> None:
    import cn2an

    from index.analysis.numerals import COMMON_NUMERALS

    assert len(COMMON_NUMERALS) > 150
    for raw, value in COMMON_NUMERALS.items():
        assert float(cn2an.cn2an(raw, "smart")) == value, raw


@pytest.mark.parametrize(("word", "digits"), [("十万", "10万"), ("十万人", "10万人"), ("三千", "3000"),
                                              ("两百万元", "200万元"), ("一", None), ("三农", None), ("第三", None)])
def test_a_number_word_has_its_digits_form(word: str, digits: str | None) -> None:
    assert arabic_form(word) == digits


def test_a_question_word_in_chinese_numerals_is_found_in_digits() -> None:
    assert found_share("十万人", "人口超过10万人的城市") == 1.0
    assert found_share("十万人", "人口超过20万人的城市") < 1.0
