"""Answers over real bulletins of offices outside Shanghai: which place, which issue, which period, whose figure.

The bulletins are the opening parts of real published ones (tests/data/real); every question is answered through a
real store and the real engine, as `bulletin ask` does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import helpers
from bot.answering.engine import Engine
from bot.answering.models import Answer
from index import Store, ingest_paths

REAL = Path(__file__).parent / "data" / "real"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    async def load() -> Engine:
        async with await Store.open(tmp_path_factory.mktemp("real") / "real.db") as store:
            await ingest_paths(store, helpers.segmenter(), [REAL])
            return await Engine.load(store, helpers.segmenter())

    return asyncio.run(load())


def _value(answer: Answer) -> float:
    assert answer.found, answer.headline
    return answer.figures[0].figure.value


# --- places ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["樟树市2025年5月12345工单多少件", "衡东县2024年第四季度12345话务总数是多少",
                                      "乌海市第十一批信访件有多少件"])
def test_a_place_the_bulletins_never_name_is_not_found(engine: Engine, question: str) -> None:
    # a neighbouring county's question gets no figure of another county
    answer = engine.ask(question)
    assert not answer.found
    assert "没有关于" in answer.headline


def test_a_county_named_only_by_its_file_answers_its_questions(engine: Engine) -> None:
    # 高安's report never names 高安: 受理宜春下派工单 is its work, the file gaoan-… says whose
    assert _value(engine.ask("高安10月重派率")) == 0.82


def test_a_banner_of_a_city_is_asked_as_itself(engine: Engine) -> None:
    # 第十六批涉及巴彦淖尔…乌拉特中旗有几件: the banner's 2件, not the city's 5件
    assert _value(engine.ask("第十六批涉及巴彦淖尔的信访件乌拉特中旗有几件")) == 2


# --- periods and issues ------------------------------------------------------------------------------------


def test_the_month_asked_is_answered_by_that_months_figure(engine: Engine) -> None:
    assert _value(engine.ask("丰城2024年12月投诉类占比多少")) == 81.11
    assert _value(engine.ask("丰城2025年5月投诉类占比多少")) == 80.80


@pytest.mark.parametrize("question", ["丰城2025年4月12345接收了多少工单", "高安2023年9月受理宜春下派工单多少件"])
def test_a_month_no_issue_reports_is_not_found_not_the_nearest(engine: Engine, question: str) -> None:
    answer = engine.ask(question)
    assert not answer.found
    assert "不是所问" in answer.headline or "没有" in answer.headline


def test_an_issue_is_dated_from_its_header(engine: Engine) -> None:
    answer = engine.ask("广州安全生产形势通报2019年第11期是哪天发的")
    assert answer.found
    assert "2019年12月15日" in answer.headline


def test_a_span_is_not_answered_by_one_month_of_it(engine: Engine) -> None:
    assert _value(engine.ask("广州2019年1-11月生产安全事故多少起")) == 601


# --- subjects ----------------------------------------------------------------------------------------------


def test_a_towns_figure_in_a_list_answers_for_the_town(engine: Engine) -> None:
    # 重复派发工单5件，…其中棠浦镇2件，双峰林场、市监局、供电公司各1件
    assert _value(engine.ask("棠浦镇重复派发了几件")) == 2


def test_a_table_cell_with_no_unit_answers_when_no_figure_with_one_does(engine: Engine) -> None:
    # 市监局：办件数量322 (a tab-separated row of 高安's table) has no 件; only it is 市监局's and 10月's
    assert _value(engine.ask("高安10月市监局办了多少件")) == 322


# --- tables, headings and verbs ----------------------------------------------------------------------------


def test_a_statistics_table_cell_is_read_by_its_row_and_column(engine: Engine) -> None:
    # 福建's monthly table: 城市低保户数 47,396 47,596 -0.42 under 指标名称 单位 数量 上期 环比
    assert _value(engine.ask("福建上期城市低保户数是多少")) == 47596
    assert _value(engine.ask("福建7月农村低保户数")) == 223841
    assert _value(engine.ask("福建7月社会救助支出多少元")) == 1645479000  # the 单位 column's 万元


def test_a_one_cell_per_line_table_answers_by_its_row(engine: Engine) -> None:
    # 宜丰's 工单类型 table, written one cell per line and transposed: 工单数量（件） then 399 106 18 1 29
    assert _value(engine.ask("宜丰7月举报类工单几件")) == 106


def test_a_numbered_heading_names_what_the_next_sentence_counts(engine: Engine) -> None:
    # 1.住房和城乡建设类问题。共受理1099件 — and the 1 of "1." is no answer
    assert _value(engine.ask("丰城12月住房和城乡建设类问题受理多少件")) == 1099


def test_the_verb_asked_picks_its_figure_among_its_neighbours(engine: Engine) -> None:
    # 发生各类事故49起、死亡29人、受伤37人
    assert _value(engine.ask("广州2019年11月事故死了多少人")) == 29
    assert _value(engine.ask("广州2019年11月事故伤了多少人")) == 37


def test_a_half_year_asked_is_answered_by_its_months(engine: Engine) -> None:
    # 今年1-6月份，全市发生建筑业事故31起 is 上半年's, over 其他建筑业事故15起 whose sentence states no period
    assert _value(engine.ask("广州2017年上半年建筑业事故多少起")) == 31


# --- not found by subject and by measure --------------------------------------------------------------------


@pytest.mark.parametrize("question", ["宜丰公安局重复派发了几件", "宜丰7月人社局重复派发了几件"])
def test_a_body_the_figures_paragraph_never_names_gets_not_its_figure(engine: Engine, question: str) -> None:
    # 重复派发工单5件，…其中棠浦镇2件，双峰林场、市监局、供电公司各1件: 5件 is the whole's, 1件 another body's;
    # 人社局 is named in another paragraph (综合考核前三名的县直单位), 公安局 nowhere
    answer = engine.ask(question)
    assert not answer.found, answer.headline


def test_another_rate_is_no_answer_to_the_rate_asked(engine: Engine) -> None:
    # 高安's table has 提前办结率, 解决率, 按期办结率 and 满意率 — no 接通率 — and counts (办件数量91)
    assert not engine.ask("高安10月住建局的接通率").found
    assert _value(engine.ask("高安10月住建局的满意率")) == 100
    assert _value(engine.ask("高安10月重派率")) == 0.82
