"""An issue's series, number, date and period, read from the headers real Chinese bulletins have.

tests/data/headers/ holds the first lines of real bulletins (public government information, as text extractors gave
them); the other headers are written the way such bulletins write theirs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from helpers import SAMPLE, ingest_one, query, run_cli, segmenter
from index import RULES, Store, refresh
from index.ingest import issue_key
from index.models import IssueMeta
from index.reading.clean import normalize_chars, parse_bulletin
from index.reading.issues import read_issue

HEADERS = Path(__file__).parent / "data" / "headers"


def header(name: str) -> list[str]:
    """A real bulletin's first lines, as parse_bulletin hands them to read_issue."""
    return normalize_chars((HEADERS / name).read_text(encoding="utf-8")).split("\n")


def read(name: str) -> tuple[IssueMeta, list[str]]:
    """The issue read from a real header, and the non-empty lines left for the text."""
    meta, rest = read_issue(header(name))
    return meta, [line.strip() for line in rest if line.strip()]


def fields(meta: IssueMeta) -> tuple[str | None, str | None, dt.date | None, str | None]:
    return meta.series, meta.number, meta.date, meta.period


# --- real headers -------------------------------------------------------------------------------------------------


def test_a_printed_masthead_with_a_bracketed_year_and_an_office_line() -> None:
    meta, rest = read("guangzhou-anquan-2017-06.txt")
    # 安全生产形势通报 / （〔2017〕第 6 期） / office and permit number over two lines / 广州市安全生产监督管理局编 2017 年 7 月 28 日
    assert fields(meta) == ("安全生产形势通报", "第6期", dt.date(2017, 7, 28), "2017年1至6月")
    assert rest[0].startswith("2017 年 1-6 月，在市委")  # the masthead, all five lines of it, left the text


def test_a_web_page_header_with_the_number_beside_the_name_and_a_source_line() -> None:
    meta, rest = read("guangzhou-anquan-2019-11.txt")
    # 1-11月，全市… takes the issue's year
    assert fields(meta) == ("安全生产形势通报", "第11期", dt.date(2019, 12, 15), "2019年1至11月")
    assert rest[0].startswith("1-11月，全市发生")


def test_a_headline_above_a_source_line_stays_the_texts_title() -> None:
    meta, rest = read("guangzhou-anquan-2020-03.txt")
    assert fields(meta) == (None, None, dt.date(2020, 4, 15), "2020年1至3月")
    assert rest[0] == "2020年1-3月份广州市安全生产形势总体稳定"
    assert not any("信息来源" in line for line in rest)


def test_a_name_split_over_lines_above_the_number_and_this_month_of_a_monthly_report() -> None:
    meta, rest = read("yichun-12345yuebao-2023-05.txt")
    # 本月 in a report dated 2023年6月19日 is May: a month's report is issued after the month ends
    assert fields(meta) == ("宜春12345一体化政务服务便民热线", "第5期", dt.date(2023, 6, 19), "2023年5月")
    assert rest[0] == "一、群众诉求分析"


def test_a_title_naming_its_month_gives_series_and_period() -> None:
    meta, rest = read("fujian-minzheng-yuebao-2017-07.txt")
    assert fields(meta) == ("社会服务统计月报", None, dt.date(2017, 8, 25), "2017年7月")
    # the table's own heading and 编制单位 line, below the masthead's date line, are the text's
    assert rest[:2] == ["社会服务统计月报表", "编制单位：福建省民政厅 2017年7月"]


@pytest.mark.parametrize("name", ["liannan-yiqing-2022-0818.txt", "liannan-yiqing-2022-0819.txt"])
def test_an_undated_daily_takes_the_day_its_opening_reports_on(name: str) -> None:
    meta, rest = read(name)
    day = int(name[-6:-4])
    assert fields(meta) == ("连南瑶族自治县新型冠状病毒感染的肺炎疫情防控工作信息", None, dt.date(2022, 8, day),
                            f"截至2022年8月{day}日")
    assert rest[0] == "一、目前情况"  # the title (and 来源：县卫生健康局 when there) left the text


@pytest.mark.parametrize(("name", "period"), [
    ("fengcheng-12345-2024-12.txt", "2024年12月"),  # 一、工单总体情况 / 2024年12月，我市…
    ("gaoan-12345-2023-10.txt", "2023年10月"),  # 一、运行情况 / 1.2023年10月，受理…
    ("panzhihua-xiqu-zhengwu-2022-04.txt", "4月"),  # 4 月，政务服务大厅…: no year anywhere, none made up
    ("hefei-weijianzhili-2023-0815.txt", "2023年8月1日至15日"),  # the total since 2020, 其中 this issue's fortnight
])
def test_without_a_masthead_the_opening_clause_gives_the_period(name: str, period: str) -> None:
    meta, rest = read(name)
    assert fields(meta) == (None, None, None, period)
    assert rest == [line.strip() for line in header(name) if line.strip()]  # nothing left the text


def test_an_undated_numbered_report_reads_its_period_from_the_opening_sentence() -> None:
    meta, rest = read("yifeng-rexian-2022-07.txt")
    # 宜丰县政府服务热线诉求情况报告2022年第7期（总第31期） / 现将2022年7月1日至2022年7月31日，我县…
    assert fields(meta) == ("宜丰县政府服务热线诉求情况报告", "第7期", None, "2022年7月1日至31日")
    assert rest[0].startswith("现将2022年7月1日")
    assert issue_key(meta, "a.txt") == issue_key(meta, "b.txt") == "issue:宜丰县政府服务热线诉求情况报告|第7期|2022年7月1日至31日"


def test_a_batch_is_no_issue_number_and_a_day_in_running_text_no_date() -> None:
    meta, rest = read("bayannaoer-dubiandugai-2025-p16-jiaoban.txt")  # 6月13日，…交办第十六批信访举报件
    assert fields(meta) == (None, None, None, None)
    assert len(rest) == 3


def test_the_sample_reads_as_before() -> None:
    meta = parse_bulletin(SAMPLE.read_text(encoding="utf-8"), SAMPLE.name).meta
    # no masthead; 3 月 7 日，浦东邮政管理局…召开专题会议 is an event, not the period the issue covers
    assert fields(meta) == (None, None, None, None)
    assert meta.name is None


# --- the usual ways of writing the number, the date and the period ------------------------------------------------


@pytest.mark.parametrize(("line", "number"), [
    ("〔2019〕第4期", "第4期"),
    ("[2019]第11期", "第11期"),
    ("（〔2017〕第 6 期）", "第6期"),
    ("2023年第9期", "第9期"),
    ("第9期（总第123期）", "第9期"),
    ("2023年第5期（总第74期）", "第5期"),
    ("第十六期", "第16期"),
])
def test_issue_numbers(line: str, number: str) -> None:
    meta, rest = read_issue(["衡东县12345热线工作简报", line, "一、受理情况"])
    assert (meta.series, meta.number) == ("衡东县12345热线工作简报", number)
    assert rest == ["一、受理情况"]


@pytest.mark.parametrize(("line", "date"), [
    ("衡东县12345热线服务中心 2020年10月9日", dt.date(2020, 10, 9)),
    ("二〇二三年十月九日", dt.date(2023, 10, 9)),
    ("2021-10-08", dt.date(2021, 10, 8)),
    ("2021.10.08", dt.date(2021, 10, 8)),
    ("时间：2019-12-15", dt.date(2019, 12, 15)),
    ("广州市安全生产监督管理局编 2017 年 7 月 28 日", dt.date(2017, 7, 28)),
])
def test_dates_in_a_masthead_and_at_the_end(line: str, date: dt.date) -> None:
    body = ["一、受理情况", "本期共受理来电1200件，办结1180件。"]
    assert read_issue(["衡东县12345热线工作简报", "第9期", line, *body])[0].date == date
    # signed at the end instead: the date is read, and the line stays in the text
    meta, rest = read_issue(["衡东县12345热线工作简报", "第9期", *body, "衡东县12345热线服务中心", line])
    assert meta.date == date
    assert rest[-1] == line


def test_a_date_in_running_text_is_no_issue_date() -> None:
    lines = ["浦东局召开专题会议", "2022年3月7日，浦东局召开专题会议。", "会议研究了快递员权益保障工作。"]
    meta, rest = read_issue(lines)
    assert fields(meta) == (None, None, None, None)
    assert rest == lines


@pytest.mark.parametrize(("opening", "date", "period"), [
    ("9月份，热线共受理群众来电1200件。", "2019年10月9日", "2019年9月"),
    ("一季度，全县共发生事故5起。", "2021年4月8日", "2021年一季度"),
    ("第一季度，全县共发生事故5起。", "2021年4月8日", "2021年一季度"),
    ("1-11月，全市共发生事故601起。", "2019年12月15日", "2019年1至11月"),
    ("今年1至5月，全市共接听来电1000件。", "2025年6月2日", "2025年1至5月"),
    ("1月1日至7日，全县累计检测2万人次。", "2022年1月8日", "2022年1月1日至7日"),
    ("截至6月23日，全县共转移群众200人。", "2023年6月24日", "截至2023年6月23日"),
    ("上半年，全县共发生事故5起。", "2021年7月10日", "2021年上半年"),
    ("本月受理各类诉求38447件。", "2023年6月19日", "2023年5月"),
    ("12月，全市共发生事故10起。", "2020年1月8日", "2019年12月"),  # a period never begins after the issue's date
    ("2022年12月至2023年1月，全市共发生事故10起。", "2023年2月8日", "2022年12月至2023年1月"),
])
def test_periods_of_the_opening_clause(opening: str, date: str, period: str) -> None:
    meta, _ = read_issue(["安全生产工作简报", "第2期", f"县应急管理局 {date}", opening])
    assert meta.period == period


def test_a_year_less_period_takes_the_numbers_year_when_undated() -> None:
    assert read_issue(["安全生产形势通报（[2019]第11期）", "1-11月，全市共发生事故601起。"])[0].period == "2019年1至11月"


def test_a_series_without_a_number_or_date_needs_to_say_what_it_is() -> None:
    assert read_issue(["衡东县12345热线工作简报", "一、受理情况"])[0].series == "衡东县12345热线工作简报"
    # an article's title is no series, nor is a one-off notice's
    for title in ("嘉定局推进快递驿站建设", "关于全县防汛工作情况的通报"):
        meta, rest = read_issue([title, "今年以来，嘉定局新建快递驿站12个。"])
        assert meta.series is None
        assert rest[0] == title


# --- through the store and `bulletin list` ------------------------------------------------------------------------


def test_list_shows_series_number_date_and_period(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "issues.db"
    for name in ("guangzhou-anquan-2017-06.txt", "yichun-12345yuebao-2023-05.txt"):
        assert ingest_one(db, (HEADERS / name).read_bytes(), name).status == "added"
    # an untitled issue whose only date is its signature
    signed = "嘉定局推进快递驿站建设\n今年以来，嘉定局新建快递驿站12个。\n上海市嘉定区邮政管理局\n2023年5月20日\n"
    assert ingest_one(db, signed.encode(), "signed.txt").status == "added"

    assert query(db, "SELECT document, issue_name, issue_number, issue_date, issue_period FROM bulletins ORDER BY id") == [
        ("guangzhou-anquan-2017-06.txt", "安全生产形势通报", "第6期", "2017-07-28", "2017年1至6月"),
        ("yichun-12345yuebao-2023-05.txt", "宜春12345一体化政务服务便民热线", "第5期", "2023-06-19", "2023年5月"),
        ("signed.txt", None, None, "2023-05-20", None)]
    rc, out, err = run_cli(capsys, "--db", db, "list")
    assert (rc, err) == (0, "")
    header_line, *rows = out.splitlines()
    assert header_line.split()[:6] == ["#", "date", "series", "number", "period", "document"]
    assert [row.split()[1:6] for row in rows] == [
        ["2017-07-28", "安全生产形势通报", "第6期", "2017年1至6月", "guangzhou-anquan-2017-06.txt"],
        ["2023-05-20", "-", "-", "-", "signed.txt"],
        ["2023-06-19", "宜春12345一体化政务服务便民热线", "第5期", "2023年5月", "yichun-12345yuebao-2023-05.txt"]]


def test_a_database_derived_by_older_rules_is_rederived_and_gains_the_period(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    name = "guangzhou-anquan-2019-11.txt"
    ingest_one(db, (HEADERS / name).read_bytes(), name)
    with closing(sqlite3.connect(db)) as conn, conn:  # as the rules before this version left it
        conn.execute("UPDATE bulletins SET issue_name = NULL, issue_number = NULL, issue_date = NULL,"
                     " issue_period = NULL, derived_with = ?", (RULES - 1,))

    async def open_for_asking() -> object:
        async with await Store.open(db) as store:
            return await refresh(store, segmenter())

    assert asyncio.run(open_for_asking()) is not None
    assert query(db, "SELECT issue_name, issue_number, issue_date, issue_period, derived_with FROM bulletins") == [
        ("安全生产形势通报", "第11期", "2019-12-15", "2019年1至11月", RULES)]
