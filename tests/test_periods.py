"""Periods: the phrases bulletins and questions write periods in, which figure belongs to which, and what answers what.

Sentences are from the real bulletins of the bench (../shared/real-bulletins), questions from its real_qa.jsonl.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis.periods import (
    NO_YEAR,
    OPEN_END,
    OPEN_START,
    Period,
    covers,
    figure_period,
    find_periods,
    matches,
    parse_period,
    question_period,
)

FAST = settings(max_examples=200, deadline=None, database=None)
D = dt.date


def _p(text: str, year: int | None = None) -> Period:
    period = parse_period(text, year=year)
    assert period is not None, text
    return period


def _days(period: Period | None) -> tuple[dt.date, dt.date] | None:
    return (period.start, period.end) if period else None


# --- parse_period --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "start", "end", "grain"), [
    ("2024年12月", D(2024, 12, 1), D(2024, 12, 31), "month"),
    ("2023年9月", D(2023, 9, 1), D(2023, 9, 30), "month"),
    ("2024年2月", D(2024, 2, 1), D(2024, 2, 29), "month"),
    ("二〇二三年十月", D(2023, 10, 1), D(2023, 10, 31), "month"),
    ("2020年第一季度", D(2020, 1, 1), D(2020, 3, 31), "quarter"),
    ("2024年第四季度", D(2024, 10, 1), D(2024, 12, 31), "quarter"),
    ("2024年Q3", D(2024, 7, 1), D(2024, 9, 30), "quarter"),
    ("2017年上半年", D(2017, 1, 1), D(2017, 6, 30), "half"),
    ("2019年", D(2019, 1, 1), D(2019, 12, 31), "year"),
    ("2019年全年", D(2019, 1, 1), D(2019, 12, 31), "year"),
    ("2019年度", D(2019, 1, 1), D(2019, 12, 31), "year"),
    ("2017年1-6月", D(2017, 1, 1), D(2017, 6, 30), "span"),
    ("2020年1-3月份", D(2020, 1, 1), D(2020, 3, 31), "span"),
    ("2022年8月19日", D(2022, 8, 19), D(2022, 8, 19), "day"),
    ("2022年7月1日至2022年7月31日", D(2022, 7, 1), D(2022, 7, 31), "span"),
    ("2020年11月2日至2023年8月15日", D(2020, 11, 2), D(2023, 8, 15), "span"),
    ("2023年8月1日至8月15日", D(2023, 8, 1), D(2023, 8, 15), "span"),
    ("2022年11月至2023年2月", D(2022, 11, 1), D(2023, 2, 28), "span"),
    ("2020年至2022年", D(2020, 1, 1), D(2022, 12, 31), "span"),
    ("2022年底", D(2022, 12, 31), D(2022, 12, 31), "day"),
])
def test_parse_period_with_a_year(text: str, start: dt.date, end: dt.date, grain: str) -> None:
    period = _p(text)
    assert (period.start, period.end, period.grain) == (start, end, grain)
    assert period.year_known
    assert not period.cumulative
    assert period.text == text


@pytest.mark.parametrize(("text", "start", "end", "grain"), [
    ("12月份", D(2022, 12, 1), D(2022, 12, 31), "month"),
    ("十二月", D(2022, 12, 1), D(2022, 12, 31), "month"),
    ("一季度", D(2022, 1, 1), D(2022, 3, 31), "quarter"),
    ("第一季度", D(2022, 1, 1), D(2022, 3, 31), "quarter"),
    ("Q1", D(2022, 1, 1), D(2022, 3, 31), "quarter"),
    ("前三季度", D(2022, 1, 1), D(2022, 9, 30), "span"),
    ("前5个月", D(2022, 1, 1), D(2022, 5, 31), "span"),
    ("上半年", D(2022, 1, 1), D(2022, 6, 30), "half"),
    ("下半年", D(2022, 7, 1), D(2022, 12, 31), "half"),
    ("全年", D(2022, 1, 1), D(2022, 12, 31), "year"),
    ("1-11月", D(2022, 1, 1), D(2022, 11, 30), "span"),
    ("1至11月", D(2022, 1, 1), D(2022, 11, 30), "span"),
    ("1月至11月", D(2022, 1, 1), D(2022, 11, 30), "span"),
    ("1-6月份", D(2022, 1, 1), D(2022, 6, 30), "span"),
    ("今年 1-6 月份", D(2022, 1, 1), D(2022, 6, 30), "span"),
    ("8月19日", D(2022, 8, 19), D(2022, 8, 19), "day"),
    ("8月19号", D(2022, 8, 19), D(2022, 8, 19), "day"),
    ("十月一日", D(2022, 10, 1), D(2022, 10, 1), "day"),
    ("8月1日至8月15日", D(2022, 8, 1), D(2022, 8, 15), "span"),
    ("8月1日到15日", D(2022, 8, 1), D(2022, 8, 15), "span"),
    ("1月1日至7日", D(2022, 1, 1), D(2022, 1, 7), "span"),
    ("4月11日—4月14日", D(2022, 4, 11), D(2022, 4, 14), "span"),
    ("3月17日至4月16日", D(2022, 3, 17), D(2022, 4, 16), "span"),
    ("12月25日至1月5日", D(2022, 12, 25), D(2023, 1, 5), "span"),
    ("8月上半月", D(2022, 8, 1), D(2022, 8, 15), "span"),
    ("8月下半月", D(2022, 8, 16), D(2022, 8, 31), "span"),
    ("8月上旬", D(2022, 8, 1), D(2022, 8, 10), "span"),
    ("8月中旬", D(2022, 8, 11), D(2022, 8, 20), "span"),
    ("2月下旬", D(2022, 2, 21), D(2022, 2, 28), "span"),
    ("6月底", D(2022, 6, 30), D(2022, 6, 30), "day"),
])
def test_parse_period_without_a_year_takes_the_default(text: str, start: dt.date, end: dt.date, grain: str) -> None:
    period = _p(text, 2022)
    assert (period.start, period.end, period.grain) == (start, end, grain)
    assert period.year_known
    assert not period.cumulative
    loose = _p(text)  # no default: the same days, in no year yet
    assert not loose.year_known
    assert loose.start.year == NO_YEAR
    assert loose.in_year(2022) == period


@pytest.mark.parametrize(("text", "start", "end", "grain"), [
    ("截至2022年8月18日", OPEN_START, D(2022, 8, 18), "day"),
    ("截至6月23日", OPEN_START, D(2022, 6, 23), "day"),
    ("截止到6月底", OPEN_START, D(2022, 6, 30), "day"),
    ("截至11月", OPEN_START, D(2022, 11, 30), "month"),
    ("自2020年以来", D(2020, 1, 1), OPEN_END, "span"),
    ("年初以来", D(2022, 1, 1), OPEN_END, "span"),
    ("今年以来", D(2022, 1, 1), OPEN_END, "span"),
    ("2021年至今", D(2021, 1, 1), OPEN_END, "span"),
    ("截至目前", OPEN_START, OPEN_END, "day"),
])
def test_parse_period_running_totals_are_cumulative(text: str, start: dt.date, end: dt.date, grain: str) -> None:
    period = _p(text, 2022)
    assert (period.start, period.end, period.grain, period.cumulative) == (start, end, grain, True)


def test_a_relative_year_needs_a_year_to_count_from() -> None:
    assert _days(parse_period("去年12月", year=2023)) == (D(2022, 12, 1), D(2022, 12, 31))
    assert _days(parse_period("今年8月", year=2023)) == (D(2023, 8, 1), D(2023, 8, 31))
    assert parse_period("去年12月") is None  # which year is 去年 of nothing
    assert not _p("今年8月").year_known  # 今年 alone says no more than 8月 does


@pytest.mark.parametrize("text", [
    "12345热线", "3到11岁", "18-59岁", "第十六批", "2-17批", "2023年第5期", "2022年第四次", "底数", "较好", "", "13月",
    "2月30日", "8月32日", "2019-13-01", "十三月", "8月19日和8月20日", "8月19日新增23人", "上期", "本月", "去年同期",
])
def test_parse_period_rejects_what_names_no_one_period(text: str) -> None:
    # 上期/本月 name a period only through an issue: parse_period has none (find_periods takes a reference)
    assert parse_period(text, year=2022) is None


def test_placing_a_year_less_period() -> None:
    assert _days(_p("2月29日").in_year(2023)) == (D(2023, 2, 28), D(2023, 2, 28))  # a day the year lacks: the last
    assert _p("2月").in_year(2023).end == D(2023, 2, 28)
    assert _p("截至6月23日").in_year(2022).end == D(2022, 6, 23)
    assert _p("2019年").in_year(2022) == _p("2019年")  # a known year is kept
    # latest_by: bulletins report the past, so 12月 read in May 2025 is December 2024
    assert _days(_p("12月").latest_by(D(2025, 5, 31))) == (D(2024, 12, 1), D(2024, 12, 31))
    assert _days(_p("5月").latest_by(D(2025, 5, 31))) == (D(2025, 5, 1), D(2025, 5, 31))
    assert _days(_p("5月").latest_by(D(2025, 4, 30))) == (D(2024, 5, 1), D(2024, 5, 31))


# --- find_periods --------------------------------------------------------------------------------

DEC_2024 = _p("2024年12月")


def test_find_periods_takes_the_longest_phrase() -> None:
    sentence = HEFEI
    found = find_periods(sentence)
    assert [sentence[s:e] for s, e, _ in found] == ["2020年11月2日至2023年8月15日", "2023年8月1日至8月15日"]
    assert all(p.text == sentence[s:e] for s, e, p in found)
    assert [p.text for _, _, p in find_periods("今年 1-6 月份，全市发生生产安全事故409起")] == ["今年 1-6 月份"]
    assert [p.text for _, _, p in find_periods("2019年1-11月，…")] == ["2019年1-11月"]


def test_find_periods_reads_no_period_in_numbers() -> None:
    assert find_periods("丰城12345热线，3到11岁人群第一针接种人数5人，第十六批信访件，2-17批累计") == []
    assert [p.text for _, _, p in find_periods("宜春12345 5月转派给市直单位的工单数")] == ["5月"]
    assert [p.text for _, _, p in find_periods("丰城2024年12月12345一共接了多少工单")] == ["2024年12月"]


@pytest.mark.parametrize(("sentence", "start", "end", "grain"), [
    ("当月办结3780件", D(2024, 12, 1), D(2024, 12, 31), "month"),
    ("本月受理各类诉求38447件", D(2024, 12, 1), D(2024, 12, 31), "month"),
    ("上月未办结工单233件", D(2024, 11, 1), D(2024, 11, 30), "month"),
    ("上期", D(2024, 11, 1), D(2024, 11, 30), "month"),
    ("本期", D(2024, 12, 1), D(2024, 12, 31), "month"),
    ("限期内291件工单至下月办结", D(2025, 1, 1), D(2025, 1, 31), "month"),
    ("去年同期", D(2023, 12, 1), D(2023, 12, 31), "month"),
    ("今年", D(2024, 1, 1), D(2024, 12, 31), "year"),
    ("去年", D(2023, 1, 1), D(2023, 12, 31), "year"),
    ("今年1-11月", D(2024, 1, 1), D(2024, 11, 30), "span"),
    ("当日", D(2024, 12, 31), D(2024, 12, 31), "day"),
    ("本周", D(2024, 12, 30), D(2025, 1, 5), "week"),  # the week of the issue's last day, Monday to Sunday
    ("那一周", D(2024, 12, 30), D(2025, 1, 5), "week"),
    ("上周", D(2024, 12, 23), D(2024, 12, 29), "week"),
    ("目前完成率84.31%", OPEN_START, D(2024, 12, 31), "day"),
    ("12月", D(2024, 12, 1), D(2024, 12, 31), "month"),
    ("1月", D(2024, 1, 1), D(2024, 1, 31), "month"),  # a year-less month: the latest by the issue's date
])
def test_find_periods_reads_words_relative_to_the_issue(sentence: str, start: dt.date, end: dt.date,
                                                        grain: str) -> None:
    ((_, _, period),) = find_periods(sentence, reference=DEC_2024)
    assert (period.start, period.end, period.grain) == (start, end, grain)


@pytest.mark.parametrize(("issue", "start", "end"), [
    ("2022年8月18日", D(2022, 8, 17), D(2022, 8, 17)),
    ("2020年第一季度", D(2019, 10, 1), D(2019, 12, 31)),
    ("2017年上半年", D(2016, 7, 1), D(2016, 12, 31)),
    ("2019年", D(2018, 1, 1), D(2018, 12, 31)),
    ("2023年8月1日至8月15日", D(2023, 7, 17), D(2023, 7, 31)),  # a span: the same number of days before it
])
def test_the_issue_before_is_of_the_same_grain(issue: str, start: dt.date, end: dt.date) -> None:
    ((_, _, period),) = find_periods("较上期相比增长了369件", reference=_p(issue))
    assert (period.start, period.end) == (start, end)


def test_relative_words_need_a_reference() -> None:
    assert find_periods("当月办结3780件，上期，本周，当日") == []
    assert [p.text for _, _, p in find_periods("今年1-6月", year=2017)] == ["今年1-6月"]
    assert find_periods("去年") == []


# --- figure_period -------------------------------------------------------------------------------

def _figure(sentence: str, figure: str, issue: Period | None) -> Period | None:
    return figure_period(sentence, sentence.index(figure), issue=issue)


HEFEI = ("2020年11月2日至2023年8月15日，全市共拆除违法建设10.64万处，面积约1504万㎡。"
         "其中，2023年8月1日至8月15日拆除124处，面积约3万㎡。")


def test_figures_take_the_nearest_period_before_them() -> None:
    issue = _p("2023年8月1日至8月15日")
    for figure in ("124处", "3万"):
        assert _figure(HEFEI, figure, issue) == replace_text(issue, "2023年8月1日至8月15日")
    for figure in ("10.64万", "1504万"):
        period = _figure(HEFEI, figure, issue)
        assert _days(period) == (D(2020, 11, 2), D(2023, 8, 15))
        assert period is not None
        assert period.cumulative  # reaching back before the issue's half month to its end: a running total


def replace_text(period: Period, text: str) -> Period:
    return Period(period.start, period.end, period.grain, period.cumulative, period.year_known, text)


GUANGZHOU = ("1-11月，全市发生各类生产安全事故（以下简称“事故”）601起、死亡339人、受伤442人。"
             "11月，全市发生各类事故49起、死亡29人、受伤37人，同比分别下降9.3%、上升16%和下降9.8%")


def test_a_year_to_date_span_and_its_month_stay_apart() -> None:
    issue = _p("2019年11月")
    for figure in ("601起", "339人"):
        assert _days(_figure(GUANGZHOU, figure, issue)) == (D(2019, 1, 1), D(2019, 11, 30))
    for figure in ("49起", "29人", "9.3%"):
        assert _figure(GUANGZHOU, figure, issue) == replace_text(issue, "11月")


LIANNAN = ("截至2022年8月18日，我县未收到疑似病例和确诊病例。2021年1月1日至2022年8月18日，我县累计核酸检测686189份，"
           "核酸检测结果阴性为686189份。2022年8月18日，县人民医院为……等共3844份进行核酸检测。今天新增23名排查人员。"
           "目前我县新冠疫苗第一针全人群接种完成率84.28%。")


def test_running_totals_and_days_of_a_daily_report() -> None:
    issue = _p("2022年8月18日")
    first = _figure(LIANNAN, "我县未收到", issue)
    assert first is not None
    assert (first.start, first.end, first.cumulative) == (OPEN_START, D(2022, 8, 18), True)
    tested = _figure(LIANNAN, "686189份", issue)
    assert tested is not None
    assert (tested.start, tested.end, tested.cumulative) == (D(2021, 1, 1), D(2022, 8, 18), True)
    assert _figure(LIANNAN, "3844份", issue) == replace_text(issue, "2022年8月18日")  # 共 sums a day, runs no total
    assert _days(_figure(LIANNAN, "23名", issue)) == (D(2022, 8, 18), D(2022, 8, 18))
    rate = _figure(LIANNAN, "84.28%", issue)
    assert rate is not None
    assert (rate.end, rate.cumulative) == (D(2022, 8, 18), True)


def test_a_monthly_reports_figures_are_its_months() -> None:
    issue = _p("2023年5月")
    sentence = ("本月受理各类诉求38447件，同比下降24.85%。市民工单3656件，较上期相比减少41件，环比下降1.11%。"
                "其中，累计免疫31.21万羽。")
    for figure in ("38447件", "24.85%"):
        assert _days(_figure(sentence, figure, issue)) == (D(2023, 5, 1), D(2023, 5, 31))
    assert _figure(sentence, "41件", issue) == issue  # 较上期: the month compared with, not the figure's
    assert _figure(sentence, "3656件", issue) == issue  # no phrase: the issue's own period
    total = _figure(sentence, "31.21万", issue)
    assert total is not None
    assert (total.start, total.end, total.cumulative) == (OPEN_START, D(2023, 5, 31), True)
    assert _figure("共办结宜春市一级平台下派工单 553 件", "553", None) is None  # nothing says when


def test_a_span_written_in_full_belongs_to_its_figures() -> None:
    sentence = "第7期（2022年7月1日至2022年7月31日）共办结宜春市一级平台下派工单 553 件"
    assert _days(_figure(sentence, "553", None)) == (D(2022, 7, 1), D(2022, 7, 31))
    since = _figure("今年以来，全市共发生事故12起", "12起", _p("2023年5月"))
    assert since is not None
    assert (since.start, since.end, since.cumulative) == (D(2023, 1, 1), D(2023, 5, 31), True)  # the issue closes 以来


# --- question_period -----------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "start", "end", "year_known"), [
    ("丰城2024年12月12345一共接了多少工单", D(2024, 12, 1), D(2024, 12, 31), True),
    ("广州2019年1-11月生产安全事故多少起", D(2019, 1, 1), D(2019, 11, 30), True),
    ("连南8月20日做了多少份核酸", D(NO_YEAR, 8, 20), D(NO_YEAR, 8, 20), False),
    ("西区4月一网通办主动评价率多少", D(NO_YEAR, 4, 1), D(NO_YEAR, 4, 30), False),
    ("衡东县2024年第四季度12345话务总数是多少", D(2024, 10, 1), D(2024, 12, 31), True),
    ("广州2019年全年生产安全事故死亡多少人", D(2019, 1, 1), D(2019, 12, 31), True),
    ("广州2020年一季度发生多少起生产安全事故", D(2020, 1, 1), D(2020, 3, 31), True),
    ("广州2017年上半年建筑业事故多少起", D(2017, 1, 1), D(2017, 6, 30), True),
    ("合肥8月上半月拆违面积多少平方米", D(NO_YEAR, 8, 1), D(NO_YEAR, 8, 15), False),
    ("合肥8月1号到15号拆了几处违建", D(NO_YEAR, 8, 1), D(NO_YEAR, 8, 15), False),
    ("瑶海区8月1日到15日拆了多少处违建", D(NO_YEAR, 8, 1), D(NO_YEAR, 8, 15), False),
    ("连南8月18日3到11岁打第一针的有几个", D(NO_YEAR, 8, 18), D(NO_YEAR, 8, 18), False),
    ("丰城5月工单比上期少了多少件", D(NO_YEAR, 5, 1), D(NO_YEAR, 5, 31), False),
    ("截至8月29日连南累计核酸检测多少份", OPEN_START, D(NO_YEAR, 8, 29), False),
])
def test_question_period(question: str, start: dt.date, end: dt.date, year_known: bool) -> None:
    period = question_period(question)
    assert period is not None
    assert (period.start, period.end, period.year_known) == (start, end, year_known)


def test_question_period_places_a_year_less_question_by_the_newest_issue() -> None:
    day = question_period("连南8月20日做了多少份核酸", newest=D(2022, 8, 29))
    assert _days(day) == (D(2022, 8, 20), D(2022, 8, 20))
    month = question_period("丰城12月市监局承办了多少件", newest=D(2025, 6, 1))  # December before the newest issue
    assert _days(month) == (D(2024, 12, 1), D(2024, 12, 31))
    assert _days(question_period("今年新增多少", newest=D(2023, 3, 10))) == (D(2023, 1, 1), D(2023, 12, 31))
    assert _days(question_period("去年新增多少", newest=D(2023, 3, 10))) == (D(2022, 1, 1), D(2022, 12, 31))


@pytest.mark.parametrize("question", [
    "巴彦淖尔第十六批信访件涉及哪些旗县", "宜春12345热线这期月报是总第几期", "合肥违建治理专项行动累计拆了多少处",
    "宜春12345月报2023年第5期是几号印发的", "乌兰浩特羊口蹄疫打了多少只",
])
def test_question_period_reads_no_period_in_other_numbers(question: str) -> None:
    assert question_period(question) is None


def test_a_question_relative_to_an_issue() -> None:
    # 上期 names no dates by itself: None, and a period once read against the issue asked about
    assert question_period("福建上期城市低保户数是多少") is None
    asked = question_period("福建上期城市低保户数是多少", reference=_p("2017年7月"))
    assert _days(asked) == (D(2017, 6, 1), D(2017, 6, 30))


def test_a_running_total_asked() -> None:
    asked = question_period("连南8月29日累计核酸检测多少份", newest=D(2022, 8, 29))
    assert asked is not None
    assert (asked.start, asked.end, asked.cumulative) == (OPEN_START, D(2022, 8, 29), True)
    year = question_period("2019年累计发生事故多少起")
    assert year is not None
    assert (year.start, year.end, year.cumulative) == (D(2019, 1, 1), D(2019, 12, 31), True)


# --- matches and covers --------------------------------------------------------------------------

@pytest.mark.parametrize(("asked", "given"), [
    ("2024年12月", "2024年12月"),
    ("2019年全年", "2019年1-12月"),  # a year is its twelve months
    ("2019年", "2019年全年"),
    ("2017年上半年", "2017年1-6月份"),
    ("2020年一季度", "2020年1-3月"),
    ("8月20日", "2022年8月20日"),  # a year-less day: that day in any year
    ("8月1日到15日", "2023年8月1日至8月15日"),
    ("8月上半月", "2023年8月1日至8月15日"),
    ("4月", "2022年4月"),
    ("截至2022年8月29日", "截至8月29日"),
    ("12月25日至1月5日", "2022年12月25日至2023年1月5日"),
])
def test_matches(asked: str, given: str) -> None:
    assert matches(_p(asked), _p(given))
    assert covers(_p(asked), _p(given))


@pytest.mark.parametrize(("asked", "given"), [
    ("2025年4月", "2025年5月"),
    ("2023年9月", "2023年10月"),
    ("8月20日", "8月19日"),
    ("8月20日", "2022年8月19日"),
    ("8月20日", "2022年8月29日"),
    ("2019年10月", "2019年11月"),
    ("2019年10月", "2019年1-11月"),  # a month is not answered by the year-to-date span holding it
    ("2019年11月", "2019年1-11月"),
    ("2019年", "2019年1-11月"),
    ("2019年", "2018年"),
    ("2019年", "2019年第四季度"),
    ("2024年第四季度", "2025年第一季度"),
    ("8月1日到15日", "2020年11月2日至2023年8月15日"),
    ("2022年8月", "2022年7月1日至2022年7月31日"),
    ("截至8月29日", "2022年8月29日"),  # a running total is not the day's own count
    ("截至2022年8月29日", "截至2022年8月19日"),
])
def test_matches_no_other_period(asked: str, given: str) -> None:
    assert not matches(_p(asked), _p(given))
    assert not matches(_p(given), _p(asked))


def test_running_totals_match_on_their_end() -> None:
    asked = _p("截至8月29日")
    assert matches(asked, Period(D(2021, 1, 1), D(2022, 8, 29), "span", cumulative=True))
    assert not matches(asked, Period(D(2021, 1, 1), D(2022, 8, 28), "span", cumulative=True))
    assert not matches(asked, _p("2021年1月1日至2022年8月29日"))  # no running total said
    since = _p("自2020年以来")  # an open end (no issue closed it) matches any end
    assert matches(since, Period(D(2020, 1, 1), D(2023, 5, 31), "span", cumulative=True))
    assert not matches(since, Period(D(2021, 1, 1), D(2023, 5, 31), "span", cumulative=True))
    assert not matches(asked, _p("8月29日"))


@pytest.mark.parametrize(("asked", "issue", "covered"), [
    ("2023年9月", "2023年10月", False),  # 高安: only the October issue
    ("2022年8月", "2022年7月1日至2022年7月31日", False),  # 宜丰: only July
    ("2024年第四季度", "2025年第一季度", False),  # 衡东
    ("8月20日", "2022年8月19日", False),  # 连南: 18, 19 and 29 only
    ("8月20日", "2022年8月29日", False),
    ("2022年10月", "2022年12月", False),  # 西区
    ("2017年8月", "2017年7月", False),  # 福建
    ("2025年4月", "2025年5月", False),  # 丰城
    ("2019年10月", "2019年1-11月", True),  # the span holds October though it does not answer for it
    ("2019年", "2019年11月", True),
    ("8月20日", "2020年11月2日至2023年8月15日", True),
    ("8月20日", "截至2022年8月29日", True),
    ("2022年8月20日", "截至2022年8月19日", False),
    ("2021年8月20日", "截至2022年8月19日", True),  # a running total from an unstated start reaches back without end
    ("12月", "2024年12月", True),
])
def test_covers(asked: str, issue: str, covered: bool) -> None:
    assert covers(_p(asked), _p(issue)) is covered
    assert covers(_p(issue), _p(asked)) is covered


# --- properties ----------------------------------------------------------------------------------

_CN_DIGITS = "〇一二三四五六七八九"


def _chinese(n: int) -> str:
    """Write 1..31 as bulletins do: 十, 十二, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else "十" if tens == 1 else _CN_DIGITS[tens] + "十") + (_CN_DIGITS[ones] if ones else "")


@FAST
@given(st.integers(1900, 2099), st.integers(1, 12), st.booleans(), st.booleans())
def test_a_written_month_reads_back(year: int, month: int, chinese: bool, fen: bool) -> None:
    written_year = "".join(_CN_DIGITS[int(c)] for c in str(year)) if chinese else str(year)
    text = f"{written_year}年{_chinese(month) if chinese else month}月{'份' if fen else ''}"
    period = _p(text)
    assert (period.start, period.grain, period.text) == (D(year, month, 1), "month", text)
    assert period.end.month == month
    assert (period.end + dt.timedelta(days=1)).day == 1


@FAST
@given(st.dates(D(1900, 1, 1), D(2099, 12, 31)), st.booleans())
def test_a_year_less_day_is_the_day_of_any_year(day: dt.date, chinese: bool) -> None:
    month, date = (_chinese(day.month), _chinese(day.day)) if chinese else (day.month, day.day)
    loose = _p(f"{month}月{date}日")
    assert _days(loose.in_year(day.year)) == _days(_p(f"{day.year}年{month}月{date}日"))
    assert matches(loose, _p(f"{day.year}年{day.month}月{day.day}日"))


_PHRASES = st.sampled_from([
    "2019年", "2019年全年", "8月", "2023年9月", "一季度", "2020年第一季度", "上半年", "1-11月", "2019年1-11月",
    "8月19日", "2022年8月19日", "8月1日到15日", "2023年8月1日至8月15日", "截至6月23日", "截至2022年8月18日",
    "8月上半月", "8月下旬", "自2020年以来", "12月25日至1月5日", "前三季度", "截至目前", "2月29日",
])


@FAST
@given(_PHRASES, _PHRASES, st.one_of(st.none(), st.integers(2000, 2030)))
def test_matches_is_reflexive_and_symmetric_and_implies_covers(first: str, second: str, year: int | None) -> None:
    a, b = _p(first, year), _p(second, year)
    assert matches(a, a)
    assert covers(a, a)
    assert matches(a, b) == matches(b, a)
    assert covers(a, b) == covers(b, a)
    assert not matches(a, b) or covers(a, b)


@FAST
@given(st.text(alphabet="0123456789年月日号至到-—截止自以来今去上下本当期周旬半季度第一二三四五六七八九十〇底末初全前个份Q，。",
               max_size=40))
def test_find_periods_never_raises_and_spans_do_not_overlap(sentence: str) -> None:
    for reference in (None, DEC_2024):
        found = find_periods(sentence, reference=reference)
        assert all(p.text == sentence[s:e] and p.start <= p.end for s, e, p in found)
        assert all(e1 <= s2 for (_, e1, _), (s2, _, _) in itertools.pairwise(found))
        question_period(sentence, newest=D(2024, 5, 1))
        if found:
            figure_period(sentence, len(sentence), issue=reference)


def test_a_period_in_a_bracketed_aside_is_not_the_next_figures() -> None:
    # 丰城 2025-05: 至下月办结 is a deadline inside an aside; 解决率90.05% is still the month's
    sentence = "本月各成员单位办结转派诉求工单共3456件（限期内200件工单至下月办结），已解决3112件，解决率90.05%"
    found = figure_period(sentence, sentence.find("90.05"), issue=parse_period("2025年5月"))
    assert found is not None
    assert (found.start, found.end) == (dt.date(2025, 5, 1), dt.date(2025, 5, 31))


def test_an_open_running_total_does_not_match_one_that_ends_before_it_starts() -> None:
    # found by the property test: 截至6月23日 (of 2000) and 自2020年以来 share no day, so neither answers the other
    ended, started = parse_period("截至6月23日", year=2000), parse_period("自2020年以来", year=2000)
    assert ended is not None
    assert started is not None
    assert not matches(ended, started)
    assert not covers(ended, started)
