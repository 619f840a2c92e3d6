"""Figures: numbers with unit, range, approximation, qualifier, period and place."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpers
from bot.answering.fit import kind_fits, part_of_date
from bot.answering.question import analyze
from index.analysis.figures import (
    _CN_NUM,
    _CUT_LEFT_WORDS,
    _DATE,
    _DATE_PATTERN,
    _FIGURE,
    _FIGURE_PATTERN,
    _MEASURE_CUT_LEFT,
    _QUALIFIERS,
    _TRAILING,
    _TRAILING_PATTERN,
    _qualifier,
    extract_figures,
    figure_rows,
    parse_number,
    same_unit,
    sentences,
    unit_kind,
)
from index.models import Figure
from index.reading.clean import clean_line, parse_bulletin
from index.records import figure_row
from index.resources import data_path

FAST = settings(max_examples=200, deadline=None, database=None)

SAMPLE_SENTENCE = ("2022年新增15套公租房租赁，新增租赁面积909.98平方米。至此，青浦局共推动青浦区内100套公租房租赁给快递企业"
                   "一线员工，合计租赁面积6044.86平方米")


def _only(text: str, **match: object) -> Figure:
    """Return the single figure of text whose attributes match (e.g. kind="date")."""
    found = [f for f in extract_figures(text) if all(getattr(f, k) == v for k, v in match.items())]
    assert len(found) == 1, (text, extract_figures(text))
    return found[0]


def _by_text(figures: list[Figure], text: str) -> Figure:
    (fig,) = [f for f in figures if f.text == text]
    return fig


@pytest.mark.parametrize(("text", "span", "value", "unit", "approx"), [
    ("青浦局共有一百套公租房。", "一百套", 100, "套", None),
    ("两个部门参加了会议。", "两个", 2, "个", None),
    ("全市共有1,800个快递网点。", "1,800个", 1800, "个", None),
    ("约50万人参加。", "约50万人", 500_000, "人", "约"),
    ("十余个单位参加。", "十余个", 10, "个", "余"),
    ("总投资11.42亿元。", "11.42亿元", 1_142_000_000, "元", None),
    ("建筑面积近5.6万平方米。", "近5.6万平方米", 56_000, "平方米", "近"),
    ("400余位快递员参加。", "400余位", 400, "位", "余"),
    ("三千余人参加。", "三千余人", 3000, "人", "余"),
    ("人力资源和社会保障局等八部门联合印发。", "八部门", 8, "部门", None),
    ("合计租赁面积6044.86平方米。", "6044.86平方米", 6044.86, "平方米", None),
])
def test_single_figures(text: str, span: str, value: float, unit: str, approx: str | None) -> None:
    (fig,) = extract_figures(text)
    assert fig.text == span
    assert fig.value == pytest.approx(value)
    assert fig.value_max is None
    assert fig.unit == unit
    assert fig.kind == unit_kind(unit)
    assert fig.approx == approx


def test_kinds_follow_units() -> None:
    figs = extract_figures("新增15套，面积909.98平方米，月租金900元，占比15%。")
    assert [f.kind for f in figs] == ["count", "measure", "money", "percent"]


def test_cleaned_spaced_count() -> None:
    fig = _only(clean_line("2022 年新增 15 套公租房租赁。"), unit="套")
    assert fig.text == "15套"
    assert fig.value == 15


def test_range() -> None:
    fig = _only("价格在900-3000元月租金不等。", unit="元")
    assert fig.text == "900-3000元"
    assert fig.value == 900
    assert fig.value_max == 3000
    assert fig.kind == "money"


def test_range_multiplier_applies_to_both_ends() -> None:
    # 3至5亿元 is 3亿 to 5亿: the multiplier written once after the range scales both ends
    fig = _only("投资3至5亿元。", unit="元")
    assert fig.value == 3e8
    assert fig.value_max == 5e8


def test_descending_dash_is_not_a_range() -> None:
    fig = _only("比分为3-1个。", unit="个")
    assert fig.value_max is None


def test_date() -> None:
    fig = _only("3月7日，浦东邮政管理局与区总工会召开专题会议。", kind="date")
    assert fig.text == "3月7日"
    # 3 and 7 are parts of the date, not figures of their own
    assert [f.kind for f in extract_figures("3月7日，浦东局召开会议。")] == ["date"]


def test_date_with_year_and_spaces() -> None:
    fig = _only("2022 年 3 月 15 日召开会议。", kind="date")
    assert fig.text == "2022 年 3 月 15 日"
    assert not any(f.kind == "year" for f in extract_figures("2022 年 3 月 15 日召开会议。"))


def test_month_alone_is_not_a_date() -> None:
    assert not any(f.kind == "date" for f in extract_figures("3月召开会议。"))


def test_impossible_date_is_skipped() -> None:
    assert not any(f.kind == "date" for f in extract_figures("13月7日召开会议。"))


def test_year() -> None:
    fig = _only("2022年开年以来，工作有序推进。", kind="year")
    assert fig.value == 2022


@pytest.mark.parametrize("text", [
    "与会双方达成一致意见。",
    "公共服务类重点行业企业一线职工。",
    "一是通报了快递行业发展情况，二是介绍行业党建工作开展情况。",
    "进一步落实关心关爱快递小哥举措。",
    "快递员合法劳动权益保障工作。",
])
def test_idioms_are_not_figures(text: str) -> None:
    assert extract_figures(text) == []


def test_ordinal() -> None:
    fig = _only("这是第3期简报。", unit="期")
    assert fig.kind == "ordinal"


def test_code_is_a_code_not_a_count() -> None:
    figures = extract_figures("乘坐A380个航班，走编号为G11的高速。")
    assert [(f.text, f.kind, f.unit) for f in figures] == [("A380", "code", None), ("G11", "code", None)]


def test_currency_before_the_number_is_money() -> None:
    [fig] = extract_figures("全程收费：$4.9。")
    assert (fig.text, fig.value, fig.kind) == ("$4.9", 4.9, "money")


# --- context: qualifier, period, places, measure -------------------------------------------------


@pytest.fixture(scope="module")
def sample_figures() -> list[Figure]:
    return extract_figures(SAMPLE_SENTENCE)


def test_sample_qualifiers(sample_figures: list[Figure]) -> None:
    assert _by_text(sample_figures, "15套").qualifier == "新增"
    assert _by_text(sample_figures, "909.98平方米").qualifier == "新增"
    assert _by_text(sample_figures, "100套").qualifier == "共"
    assert _by_text(sample_figures, "6044.86平方米").qualifier == "合计"


def test_sample_period_carries_over_in_an_undated_bulletin(sample_figures: list[Figure]) -> None:
    assert _by_text(sample_figures, "15套").period == "2022年"
    assert _by_text(sample_figures, "909.98平方米").period == "2022年"
    # the sample has no date on its masthead: 至此 … 100套 is the running total of the year its text last named
    assert _by_text(sample_figures, "100套").period == "2022年"


def test_a_dated_bulletin_keeps_periods_sentence_bound() -> None:
    text = "2021年新增15套公租房。至此共有100套公租房。"
    figures = {f.text: f for f in extract_figures(text, issue_date=dt.date(2022, 3, 15))}
    assert (figures["15套"].period, figures["100套"].period) == ("2021年", None)


def test_sample_places(sample_figures: list[Figure]) -> None:
    assert _by_text(sample_figures, "100套").places == ("青浦",)
    assert _by_text(sample_figures, "15套").places == ()


def test_sample_measure_names_the_counted_thing(sample_figures: list[Figure]) -> None:
    assert _by_text(sample_figures, "100套").after.startswith("公租房")
    assert _by_text(sample_figures, "6044.86平方米").before.endswith("租赁面积")


def test_spans_match_sentence_on_the_whole_sample() -> None:
    raw = data_path("bulletins").joinpath("000_1fd2e1b186c74ed6.txt").read_text(encoding="utf-8")
    bulletin = parse_bulletin(raw, "sample.txt")
    figures = [f for a in bulletin.articles for f in extract_figures(a.text)]
    assert len(figures) >= 10
    for fig in figures:
        assert fig.sentence[fig.start:fig.end] == fig.text
        assert fig.text.strip() == fig.text
        assert any(fig.sentence in a.text for a in bulletin.articles)
    # the figures of the 公租房 article, read by the spec of each span
    texts = {f.text for f in figures}
    assert {"3月7日", "八部门", "15套", "909.98平方米", "100套", "6044.86平方米", "900-3000元"} <= texts


@FAST
@given(st.text(alphabet="青浦区新增共合计套平方米元个人约余，。0123456789.-", max_size=40))
def test_spans_match_sentence_property(text: str) -> None:
    for fig in extract_figures(text):
        assert fig.sentence[fig.start:fig.end] == fig.text
        assert fig.sentence in text


@FAST
@given(st.integers(0, 10**12), st.sampled_from(["", ","]))
def test_integer_round_trip(n: int, separator: str) -> None:
    written = f"{n:{separator}}"  # 1234567 or 1,234,567
    fig = _only(f"青浦区共有{written}套公租房。", unit="套")
    assert fig.value == n
    assert fig.text == f"{written}套"


# --- helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [
    ("1,800", 1800), ("6044.86", 6044.86), ("两", 2), ("三千", 3000), ("十五", 15), ("一百", 100),
    ("二〇二二", 2022), ("0", 0),
])
def test_parse_number(raw: str, value: float) -> None:
    assert parse_number(raw) == pytest.approx(value)


@pytest.mark.parametrize("raw", ["万", "亿", "百"])
def test_parse_number_bare_multiplier(raw: str) -> None:
    assert parse_number(raw) is None


def test_same_unit() -> None:
    assert same_unit("人", "位")
    assert same_unit("名", "人")
    assert same_unit("平方米", "平米")
    assert same_unit("套", "套")
    assert not same_unit("套", "个")
    assert not same_unit("元", "平方米")
    assert not same_unit(None, "套")
    assert not same_unit(None, None)


def test_sentences_split_at_end_marks() -> None:
    text = "第一句。第二句！第三句？\n第四句；没有结尾"
    assert sentences(text) == ["第一句。", "第二句！", "第三句？", "第四句；", "没有结尾"]


@FAST
@given(st.text(alphabet="青浦。！？；\n 1", max_size=30))
def test_sentences_cover_text(text: str) -> None:
    parts = sentences(text)
    assert all(sentence in text for sentence in parts)
    # nothing but whitespace is left out
    covered = "".join(parts)
    assert covered.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_a_qualifier_binds_to_the_nearest_number() -> None:
    figures = {f.text: f for f in extract_figures("成员共有220个来自115个国家的消费者组织。")}
    assert figures["220个"].qualifier == "共有"
    assert figures["115个"].qualifier is None


@pytest.mark.parametrize(("text", "value", "unit"), [
    ("总面积46,600m²。", 46600, "m²"),
    ("跟踪距离40km。", 40, "km"),
    ("体长约4cm。", 4, "cm"),
])
def test_latin_units(text: str, value: float, unit: str) -> None:
    [figure] = extract_figures(text)
    assert (figure.value, figure.unit) == (value, unit)


def test_a_latin_unit_must_end_its_word() -> None:
    assert all(f.unit is None for f in extract_figures("销量达5 million份。") if f.value == 5)


@pytest.mark.parametrize("text", ["1-6月，全区快递业务量增长。", "12月召开会议。", "从3月到5月开展专项行动。"])
def test_months_are_periods_not_counts(text: str) -> None:
    assert [f for f in extract_figures(text) if f.kind != "date"] == []


@pytest.mark.parametrize(("text", "figures"), [
    ("徐汇局建成三个快递驿站。", ["三个"]), ("参会人数二百余人。", ["二百余人"]), ("形成十二项成果。", ["十二项"]),
    ("投资数十亿元。", []), ("吸引上千人参加。", []), ("成千上万人参加。", []), ("好几千人参加。", []),
    ("投资十亿元。", ["十亿元"]),
])
def test_a_rough_magnitude_is_no_figure_but_a_number_after_cheng_or_shu_is(text: str, figures: list[str]) -> None:
    assert [f.text for f in extract_figures(text)] == figures


# --- the rows ingest stores are the figures ------------------------------------------------------------------

figure_text = st.text(alphabet=st.sampled_from(list(
    "0123456789一二两三四五六七八九十百千万亿零〇.,-~至到年月日号第约近余多左右以上共新增累计合计其中同比增长%％个套人名"
    "元平方米公里km²m$¥全市全国本市今年去年上半年1至5月，。；、（）“” \n徐汇青浦南桥镇的是在和AZGv")), max_size=60)


@FAST
@given(figure_text, st.sampled_from([None, dt.date(2023, 5, 4)]), st.sampled_from([None, "青浦"]))
def test_figure_rows_hold_the_fields_of_the_figures(text: str, issue_date: dt.date | None, place: str | None) -> None:
    rows = figure_rows(text, issue_date=issue_date, place=place)
    assert [figure_row(f) for f in extract_figures(text, issue_date=issue_date, place=place)] == rows


def reference_qualifier(sentence: str, left: int, start: int) -> str | None:
    """The qualifier search as first written: each word's last place in the window, the one ending last wins."""
    window = sentence[max(left, start - 12):start]
    window = re.split(rf"\d|{_CN_NUM}{{2,}}", window)[-1]
    best: tuple[int, str] | None = None
    for word in _QUALIFIERS:
        pos = window.rfind(word)
        if pos >= 0 and (best is None or pos + len(word) > best[0]):
            best = (pos + len(word), word)
    return best[1] if best else None


@FAST
@given(st.text(alphabet=st.sampled_from(sorted(set("".join(_QUALIFIERS)) | set("的了青1"))), max_size=20),
       st.integers(0, 20), st.integers(0, 20))
def test_the_qualifier_is_the_one_ending_nearest_the_figure(sentence: str, left: int, start: int) -> None:
    start = min(start, len(sentence))
    assert _qualifier(sentence, left, start) == reference_qualifier(sentence, left, start)


# the words and characters the patterns name, and others: what a look-ahead must let through, and what it may skip
PATTERN_WORDS = sorted({w for w in re.findall(r"[^\x00-\x7f]+", _FIGURE_PATTERN + _DATE_PATTERN + _CUT_LEFT_WORDS
                                              + _TRAILING_PATTERN)}
                       | {c for c in _FIGURE_PATTERN + _DATE_PATTERN + _CUT_LEFT_WORDS + _TRAILING_PATTERN
                          if not c.isascii()}
                       | set("0123456789１２.,-~ \n快递网点青浦徐汇的ABmk²效"))
pattern_text = st.lists(st.sampled_from(PATTERN_WORDS), max_size=16).map("".join)


def assert_same_matches(text: str) -> None:
    def found(pattern: re.Pattern[str]) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
        return [(m.span(), m.groupdict()) for m in pattern.finditer(text)]

    assert found(_FIGURE) == found(re.compile(_FIGURE_PATTERN)), text
    assert found(_DATE) == found(re.compile(_DATE_PATTERN)), text
    assert _MEASURE_CUT_LEFT.sub("", text) == re.compile(".*" + _CUT_LEFT_WORDS).sub("", text), text
    assert _TRAILING.sub("", text) == re.compile(_TRAILING_PATTERN).sub("", text), text


def test_the_look_aheads_change_no_match_after_any_word() -> None:
    # each word or character the patterns name, alone, between others, and before a number, a unit or a month
    for word in PATTERN_WORDS:
        for after in ("", "5", "12", "三", "十二", "5个", "三万", "月", "年", "份", "底", "以来", "效", "快递", "，"):
            for before in ("", "快递", "5", "的"):
                assert_same_matches(before + word + after)


@settings(max_examples=500, deadline=None, database=None)
@given(pattern_text)
def test_the_look_aheads_change_no_match(text: str) -> None:
    assert_same_matches(text)


@pytest.mark.parametrize(("text", "figures"), [
    ("共办结宜春市一级平台下派工单 553 ，", ["553"]),  # 宜丰's report: 一级平台 is a platform's grade
    ("设有三级医院5家", ["5家"]),
    ("分为三级", ["三级"]),  # a grade at the end of its clause is still counted
])
def test_a_grade_before_its_noun_is_no_count(text: str, figures: list[str]) -> None:
    assert [f.text for f in extract_figures(text)] == figures


def test_an_ordinal_grade_stays_an_ordinal() -> None:
    assert [f.text for f in extract_figures("位列第一类组")] == ["第一类"]


def test_list_numbers_are_marks_not_figures() -> None:
    text = "1.住房和城乡建设类问题。共受理1099件。（2）市场监管类553件；其中：1、城管20件；2.5万元。"
    assert [f.text for f in extract_figures(text)] == ["1099件", "553件", "20件", "2.5万元"]
    # 高安's report: a list number before a year is still a mark (and the year's month a date)
    assert [f.text for f in extract_figures("1.2023年10月，受理工单1905件。")] == ["2023年10月", "1905件"]


def test_a_numbered_heading_sentence_stays_with_the_sentence_it_heads() -> None:
    # 丰城's report: the heading names what the next sentence's figures count
    fig = extract_figures("1.住房和城乡建设类问题。共受理1099件，占比29.07%。反映占道经营。")[0]
    assert fig.sentence == "1.住房和城乡建设类问题。共受理1099件，占比29.07%。"
    assert sentences("一、受理情况。本月受理38447件。") == ["一、受理情况。本月受理38447件。"]
    assert sentences("一、今年受理38447件，同比下降。下一句。") == ["一、今年受理38447件，同比下降。", "下一句。"]


@pytest.mark.parametrize(("text", "unit"), [("禽流感免疫31.21万羽", "羽"), ("接种第三剂203剂次", "剂次"), ("放流鱼苗5000尾", "尾")])
def test_counting_words_of_livestock_doses_and_fish_are_units(text: str, unit: str) -> None:
    assert extract_figures(text)[-1].unit == unit


@pytest.mark.parametrize("text", ["月租金1200元至2600元。", "月租金1200到2600元。", "月租金1200～2600元。",
                                  "月租金1200—2600元。", "月租金1200元到2600元。"])
def test_a_range_is_one_figure_however_it_is_written(text: str) -> None:
    [fig] = extract_figures(text)
    assert (fig.value, fig.value_max, fig.unit) == (1200, 2600, "元")


def test_a_range_of_two_units_is_no_range() -> None:
    assert [(f.text, f.value_max) for f in extract_figures("共检查5人至10月底。")] == [("5人", None)]


@pytest.mark.parametrize(("text", "name"), [
    ("12345热线全年无休。", "12345"), ("2016年12345政务服务热线受理诉求100件。", "12345"), ("我市12345政务服务便民热线共接收工单4071件。", "12345"), ("可拨打12315反映。", "12315"),
    ("咨询电话0571-88886666。", "0571-88886666"), ("联系13812345678。", "13812345678"),
    ("依据〔2023〕9号文件执行。", "〔2023〕9号")])
def test_numbers_that_name_are_codes_not_counts(text: str, name: str) -> None:
    found = {f.text: f.kind for f in extract_figures(text)}
    assert found[name] == "code"
    assert all(kind != "number" for kind in found.values())


def test_a_count_of_a_noun_with_no_measure_word_is_a_count_of_it() -> None:
    [fig] = extract_figures("县里联合八部门开展专项整治。")
    assert (fig.value, fig.kind) == (8, "count")
    asked = analyze("联合了多少个部门", helpers.segmenter())
    assert kind_fits(asked, fig)
    assert not kind_fits(analyze("联合了多少个单位", helpers.segmenter()), fig)


def test_a_percentage_written_in_words_is_one() -> None:
    found = [(f.value, f.unit, f.kind) for f in extract_figures("占总人口的百分之二十五，另有百分之3.5。")]
    assert found == [(25, "%", "percent"), (3.5, "%", "percent")]
    assert kind_fits(analyze("失业率是几成", helpers.segmenter()), extract_figures("失业率约30%。")[0])


def test_a_dates_year_or_month_answers_a_year_or_month_question() -> None:
    [date] = [f for f in extract_figures("狄托于1980年5月4日过世。") if f.kind == "date"]
    year = part_of_date(date, "year")
    month = part_of_date(date, "month")
    assert year is not None
    assert month is not None
    assert (year.text, year.value, year.kind) == ("1980年", 1980, "year")
    assert (month.text, month.value, month.kind) == ("5月", 5, "month")
    assert date.sentence[year.start:year.end] == "1980年"
    assert date.sentence[month.start:month.end] == "5月"
    [day] = [f for f in extract_figures("会议于5月4日召开。") if f.kind == "date"]
    assert part_of_date(day, "year") is None  # a date with no year has none to give


@pytest.mark.parametrize(("text", "value"), [("可能有四十万。", 400000), ("预估不到三千。", 3000), ("号称三十万大军。", 300000)])
def test_a_large_number_in_words_is_a_figure_without_a_unit(text: str, value: float) -> None:
    assert [f.value for f in extract_figures(text)] == [value]


@pytest.mark.parametrize(("question", "text"), [("共有多少个视杆细胞", "共有1.25亿视杆细胞。"),
                                               ("城市有多少人", "人口达2,790,060。")])
def test_a_number_with_no_unit_answers_a_count_its_noun_or_label_names(question: str, text: str) -> None:
    [fig] = extract_figures(text)
    assert kind_fits(analyze(question, helpers.segmenter()), fig)
