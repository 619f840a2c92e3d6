"""The figure index over several issues: rows with measure, place and period; series, totals, not-found, explain."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import helpers
from bot.answering.combine import kind_of_count, same_measure
from bot.answering.engine import EmptyQuestion, Engine
from bot.answering.explain import explain
from bot.answering.models import Answer
from bot.answering.render import render_plain, to_json
from index import Figure, Store, canonical, ingest_paths, places_in

ISSUES = helpers.ROOT / "tests" / "data" / "bulletins"
QA = helpers.ROOT / "tests" / "qa"


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plus the three test issues (2022-09, 2023-03, 2023-06), ingested once."""
    db = tmp_path_factory.mktemp("corpus") / "corpus.db"
    results = helpers.ingest_files(db, [helpers.SAMPLE, ISSUES])
    assert [r.status for r in results] == ["added"] * 4, results
    return db


@pytest.fixture(scope="module")
def engine(corpus_db: Path) -> Engine:
    async def load() -> Engine:
        async with await Store.open(corpus_db) as store:
            return await Engine.load(store, helpers.segmenter())

    return asyncio.run(load())


def _row(db: Path, text: str, document: str) -> dict[str, object]:
    rows = helpers.query(
        db, "SELECT f.text, f.measure, f.places, f.period, f.qualifier, f.unit, f.value FROM figures f"
            " JOIN chunks c ON c.id = f.chunk_id JOIN articles a ON a.id = c.article_id"
            " JOIN bulletins b ON b.id = a.bulletin_id WHERE f.text = ? AND b.document = ?", text, document)
    assert len(rows) == 1, rows
    return dict(zip(("text", "measure", "places", "period", "qualifier", "unit", "value"), rows[0], strict=True))


# --- the index itself ------------------------------------------------------------------------------------


def test_every_figure_is_a_row_with_measure_place_period_and_qualifier(corpus_db: Path) -> None:
    row = _row(corpus_db, "130个", "2023-03-xuhui-qingpu.txt")
    assert row == {"text": "130个", "measure": "快递网点", "places": "徐汇", "period": "2023年", "qualifier": "累计",
                   "unit": "个", "value": 130.0}
    assert _row(corpus_db, "6044.86平方米", helpers.SAMPLE_NAME)["measure"] == "租赁面积"
    assert _row(corpus_db, "900-3000元", helpers.SAMPLE_NAME)["measure"] == "月租金"


def test_a_sentence_naming_no_district_belongs_to_its_articles_district(corpus_db: Path) -> None:
    # 辖区一线快递员总数约3350人: the sentence says 辖区, the article is about 徐汇
    row = _row(corpus_db, "约3350人", "2023-03-xuhui-qingpu.txt")
    assert (row["places"], row["qualifier"]) == ("徐汇", "总数")
    assert "快递员" in str(row["measure"])


def test_relative_years_resolve_against_the_issue_date(corpus_db: Path) -> None:
    # 今年新增8个 in the issue of 2022-09-20
    assert _row(corpus_db, "8个", "2022-09-xuhui-changning.txt")["period"] == "2022年"


def test_a_place_narrows_the_ranking_before_the_cut(engine: Engine) -> None:
    terms = ["快递", "网点", "快递网点"]
    everything = engine.library.search(terms, k=1000)
    changning = [h.chunk.id for h in everything if "长宁" in engine.library.places_of(h.chunk.id)]
    hits = engine.library.search(terms, k=2, places=["长宁"])
    assert [h.chunk.id for h in hits] == changning[:2]  # the place's own best, however far down the full ranking
    assert [h.rank for h in hits] == [0, 1]
    assert engine.library.search(terms, k=2, places=["崇明"]) == []


def test_gazetteer_short_forms_name_one_district() -> None:
    assert {canonical(n) for n in ("青浦", "青浦区", "青浦局", "青浦邮政管理局", "朱家角镇")} == {"青浦"}
    assert canonical("浦东新区") == "浦东"
    assert canonical("南桥镇") == "奉贤"
    assert places_in("徐汇局会同长宁区和田林街道") == ("徐汇", "长宁")
    assert canonical("北京市") == canonical("北京") == "北京"  # every division of China, not Shanghai's alone
    assert canonical("某某区") is None


# --- time and place ---------------------------------------------------------------------------------------


def test_no_year_answers_with_the_newest_issue_and_shows_the_series(engine: Engine) -> None:
    result = engine.ask("徐汇有多少个快递网点")
    assert result.figures[0].figure.value == 130
    assert [(f.figure.value, str(f.chunk.issue_date)) for f in result.series] == [
        (120, "2022-09-20"), (130, "2023-03-10")]
    assert render_plain(result).endswith("各期：2022-09-20 累计120个（新增12个） → 2023-03-10 累计130个（新增10个）")
    assert result.headline == "徐汇：累计130个（其中2023年新增10个）"  # a town's share stays in the quote


def test_a_year_takes_that_years_figure(engine: Engine) -> None:
    assert engine.ask("徐汇2022年新增多少个快递网点").figures[0].figure.value == 12
    assert engine.ask("徐汇2023年新增多少个快递网点").figures[0].figure.value == 10
    assert engine.ask("青浦2022年新增多少套公租房").figures[0].figure.value == 15


def test_total_over_two_places_comes_first_with_its_parts(engine: Engine) -> None:
    reply = to_json(engine.ask("徐汇和长宁一共有多少个快递网点"))
    total, *parts = reply["figures"]
    assert (total["value"], total["unit"]) == (130 + 125, "个")
    assert total["text"].startswith("合计")
    assert "徐汇" in total["sentence"]
    assert "长宁" in total["sentence"]
    assert {p["value"] for p in parts[:2]} == {130, 125}
    assert {p["document"] for p in parts[:2]} == {"2023-03-xuhui-qingpu.txt", "2022-09-xuhui-changning.txt"}


def test_every_district_total_counts_only_districts_that_report_it(engine: Engine) -> None:
    reply = to_json(engine.ask("各区共有多少套公租房"))
    assert reply["figures"][0]["value"] == 130  # only 青浦 reports 公租房; its newest total
    assert "青浦" in reply["figures"][0]["sentence"]


def _ask_one_issue(tmp_path: Path, body: str, *questions: str) -> list[Answer]:
    """Ingest one small issue (2023-05-04) into a fresh database and ask it the questions."""
    (tmp_path / "issue.txt").write_text(f"上海邮政快递工作简报\n第1期\n上海市邮政管理局 2023年5月4日\n{body}\n",
                                        encoding="utf-8")

    async def ask() -> list[Answer]:
        async with await Store.open(tmp_path / "issue.db") as store:
            await ingest_paths(store, helpers.segmenter(), [tmp_path / "issue.txt"])
            engine = await Engine.load(store, helpers.segmenter())
        return [engine.ask(q) for q in questions]

    return asyncio.run(ask())


def test_new_and_cumulative_figures_are_never_added(tmp_path: Path) -> None:
    [result] = _ask_one_issue(tmp_path, "金山邮政管理局推进快递驿站建设\n金山区累计建成快递驿站31个。\n"
                                        "奉贤邮政管理局推进快递驿站建设\n奉贤区今年新增快递驿站5个。",
                              "金山和奉贤一共有多少个快递驿站")
    values = [f.figure.value for f in result.figures]
    assert result.headline.startswith("新增与累计口径不同，不能相加")
    assert 36 not in values
    assert sorted(values) == [5, 31]


def test_like_measures_are_the_same_statistic() -> None:
    def fig(measure: str, qualifier: str | None, unit: str = "个", place: str = "徐汇") -> Figure:
        return Figure(text="1个", value=1, value_max=None, unit=unit, kind="count", start=0, end=2, sentence="",
                      qualifier=qualifier, places=(place,), measure=measure)

    assert same_measure(fig("一线快递员", "共有", "人"), fig("一线快递员总数", "总数", "名"))
    assert not same_measure(fig("一线快递员", "共有", "人"), fig("一线快递员代表", "共有", "人"))
    assert not same_measure(fig("快递网点", "累计"), fig("快递网点", "新增"))
    assert not same_measure(fig("快递网点", "累计"), fig("快递网点", "累计", place="长宁"))
    assert not same_measure(fig("快递网点", "累计"), fig("快递驿站", "累计"))
    assert [kind_of_count(fig("x", q)) for q in ("新增", "累计", None)] == ["new", "total", "plain"]


def test_rates_are_listed_never_summed(engine: Engine) -> None:
    result = engine.ask("全市快递业务量同比增长多少")
    assert result.headline.startswith("比例或增幅，不能相加：")
    assert "徐汇 增长5.8%" in result.headline
    assert not any(f.figure.text.startswith("合计") for f in result.figures)


def test_a_rate_says_its_direction(engine: Engine) -> None:
    # 松江's complaints fell: asked how much they grew, the answer says 下降, never a bare 12.5%
    assert "下降12.5%" in engine.ask("松江投诉同比增长多少").headline


def test_of_several_places_the_headline_names_the_figures_own(engine: Engine) -> None:
    result = engine.ask("徐汇和长宁哪天召开推进会")
    assert result.headline == "长宁：8月16日"
    assert "长宁" in result.quote


def test_each_place_on_its_own_is_listed_not_summed(engine: Engine) -> None:
    result = engine.ask("徐汇和长宁各有多少个快递网点")
    assert result.headline == "徐汇 累计130个（2023年）；长宁 共有125个（2022-09-20）"  # of different dates: said
    assert [f.figure.value for f in result.figures] == [130, 125]


def test_new_figures_of_different_years_are_not_summed(engine: Engine) -> None:
    # 徐汇's newest 新增 is 2023's 10, 长宁's is 2022's 8: no total of one year
    assert engine.ask("徐汇和长宁一共新增多少个快递网点").headline.startswith("时期不同，不能相加：")


def test_the_newest_of_many_issues_answers_however_the_passages_rank(tmp_path: Path) -> None:
    # 16 monthly issues say the same sentence with a growing count: BM25 ties them, and only 10 passages are read
    folder = tmp_path / "issues"
    folder.mkdir()
    for i in range(16):
        year, month = 2020 + i // 12, i % 12 + 1
        (folder / f"{i:02d}.txt").write_text(
            f"上海邮政快递工作简报\n第{i + 1}期\n上海市邮政管理局 {year}年{month}月10日\n长宁邮政管理局推进网点建设\n"
            f"长宁区累计建成快递网点{100 + i}个。\n", encoding="utf-8")

    async def ask(*questions: str) -> list[float]:
        async with await Store.open(tmp_path / "many.db") as store:
            await ingest_paths(store, helpers.segmenter(), [folder])
            engine = await Engine.load(store, helpers.segmenter())
        return [engine.ask(q).figures[0].figure.value for q in questions]

    # the newest issue (2021-04) says 115; the last of 2020 (2020-12) says 111
    assert asyncio.run(ask("长宁有多少个快递网点", "长宁2020年有多少个快递网点")) == [115, 111]


def test_a_city_wide_figure_is_not_a_districts_and_answers_for_the_city(tmp_path: Path) -> None:
    city, own = _ask_one_issue(tmp_path, "徐汇邮政管理局推进快递网点建设\n"
                                         "徐汇区累计建成快递网点140个。截至8月底，全市共有快递网点1800个。",
                               "全市有多少个快递网点", "徐汇有多少个快递网点")
    assert (city.figures[0].figure.value, own.figures[0].figure.value) == (1800, 140)


# --- honest not-found replies -----------------------------------------------------------------------------


def test_not_found_place_never_mentioned(engine: Engine) -> None:
    result = engine.ask("崇明有多少个快递网点")
    assert not result.found
    assert result.headline == "简报中没有关于崇明的内容。"


def test_not_found_place_without_the_measure(engine: Engine) -> None:
    result = engine.ask("长宁有多少辆新能源汽车")
    assert not result.found
    assert result.headline.startswith("简报提到了长宁，但没有")
    assert "仅供参考" not in result.headline
    assert not result.elsewhere


def test_not_found_measure_only_for_other_places_says_which(engine: Engine) -> None:
    result = engine.ask("长宁有多少套公租房")
    assert not result.found
    assert not result.figures
    assert "仅供参考（不是所问）" in result.headline
    assert "青浦" in result.headline
    assert {f.figure.places[0] for f in result.elsewhere} == {"青浦"}


def test_not_found_measure_only_for_other_years_says_which(engine: Engine) -> None:
    result = engine.ask("长宁2023年新增多少个快递网点")
    assert not result.found
    assert not result.figures
    assert "2023年" in result.headline
    assert "仅供参考（不是所问）" in result.headline
    assert "8个" in result.headline  # 长宁's 2022 figure, shown as what the bulletins do say


def test_the_not_found_hint_keeps_each_figures_qualifier(engine: Engine) -> None:
    result = engine.ask("青浦2021年新增多少套公租房")
    assert not result.found
    hint = result.headline.partition("仅供参考（不是所问）：")[2]
    assert "青浦 2022年 新增15套" in hint  # not a bare 15套 beside a bare 130套: which is new, which the total
    assert "累计130套" in hint


_WORDS = ["徐汇", "长宁", "青浦", "松江", "崇明", "各区", "全市", "和", "、", "一共", "各有", "新增", "累计", "2022年", "2023年",
          "今年", "去年", "上半年", "快递网点", "公租房", "快递员", "业务量", "投诉", "同比增长", "下降", "租赁面积", "月租金",
          "多少", "几", "个", "套", "人", "名", "件", "万件", "平方米", "元", "%", "哪天", "第几", "编号", "哪几种", "是什么",
          "有", "的", "？", "G11", "$4.9", "一千五百", "50万", " ", "🙂"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=9).map("".join))
def test_any_question_gets_an_answer_in_the_contract(engine: Engine, question: str) -> None:
    try:
        result = engine.ask(question)
    except EmptyQuestion:
        return
    reply = to_json(result)
    assert set(reply) == {"question", "found", "answer", "figures", "sources"}
    assert reply["answer"]
    assert all(set(f) == {"text", "value", "value_max", "unit", "sentence", "document", "title"}
               for f in reply["figures"])
    assert explain(result)
    if result.figures and result.figures[0].chunk.id == 0:  # a total: the figures after it are its parts
        total, *parts = result.figures
        assert total.figure.value == pytest.approx(sum(f.figure.value for f in parts), rel=1e-9)
        assert len({f.figure.places[0] for f in parts}) == len(parts) > 0


# --- explain, eval, and re-deriving an older index ----------------------------------------------------------


def test_explain_shows_analysis_candidates_and_why(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = helpers.run_cli(capsys, "--db", corpus_db, "ask", "--explain", "徐汇2022年新增多少个快递网点")
    assert code == 0
    analysis = out[out.index("question analysis"):]
    assert "wants figure" in analysis
    assert "place 徐汇" in analysis
    assert "period 2022年" in analysis
    assert "qualifier 新增" in analysis
    assert "unit 个 (spoken" in analysis
    assert re.search(r"1\.\s+-?[\d.]+\s+12个 · measure 快递网点", analysis)  # a log-odds score may be negative
    assert re.search(r"新增 asked, 新增 given 1×[+-][\d.]+", analysis)  # the feature's value × its fitted weight
    assert re.search(r"why: 12个 beat \S+ by [\d.]+ on: ", analysis)


def test_explain_with_json_keeps_stdout_one_json_object(corpus_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = helpers.run_cli(capsys, "--db", corpus_db, "ask", "--json", "--explain", "徐汇有多少个快递网点")
    assert code == 0
    assert json.loads(out)["figures"][0]["value"] == 130
    assert "question analysis" in err
    assert "series: 2022-09-20 120个；2023-03-10 130个" in err


@pytest.mark.parametrize("name", ["sample.jsonl", "corpus.jsonl"])
def test_own_question_sets_all_pass(corpus_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    name: str) -> None:
    db = corpus_db
    if name == "sample.jsonl":  # the sample alone: its not-found questions are asked of it alone
        db = tmp_path / "sample.db"
        helpers.ingest_files(db, [helpers.SAMPLE])
    code, out, _ = helpers.run_cli(capsys, "--db", db, "eval", QA / name, "--show", "5")
    assert code == 0
    [(hits, total)] = re.findall(r"^all\s+(\d+)/(\d+)", out, re.M)
    assert hits == total, out


def test_an_index_built_by_older_rules_is_re_derived_on_open(corpus_db: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "old.db"
    shutil.copy(corpus_db, db)
    with sqlite3.connect(db) as conn:  # as a previous release left it: no measures, rules version 1
        conn.execute("UPDATE figures SET measure = ''")
        conn.execute("UPDATE bulletins SET derived_with = 1")
    code, out, err = helpers.run_cli(capsys, "--db", db, "ask", "徐汇有多少个快递网点")
    assert code == 0
    assert "130个" in out
    assert "re-derived 4 stored versions (4 issues in the index)" in err
    assert helpers.query(db, "SELECT count(*) FROM figures WHERE measure = '快递网点'")[0][0] >= 4
    _, _, err = helpers.run_cli(capsys, "--db", db, "ask", "徐汇有多少个快递网点")
    assert "re-derived" not in err  # once is enough


def test_a_bulletin_that_no_longer_parses_keeps_its_index_and_is_not_re_derived_again(
        corpus_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "kept.db"
    shutil.copy(corpus_db, db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE bulletins SET derived_with = 1")
        conn.execute("UPDATE bulletins SET raw_text = '' WHERE document = '2023-06-songjiang.txt'")
    _, out, err = helpers.run_cli(capsys, "--db", db, "ask", "松江有多少个快递网点")
    assert "210个" in out  # its old index still answers
    assert "re-derived 3 stored versions (4 issues in the index)" in err
    assert "kept the old index of 2023-06-songjiang.txt" in err
    _, _, err = helpers.run_cli(capsys, "--db", db, "ask", "松江有多少个快递网点")
    assert "re-derived" not in err


def test_a_town_is_asked_about_its_own_figures(engine: Engine) -> None:
    # 其中漕河泾街道新增4个 (徐汇, 2023-03); 田林街道 3 and 龙华街道 4 (2022-09); 七宝镇 has 快递驿站, not 网点
    assert engine.ask("漕河泾街道新增多少个快递网点").headline == "漕河泾街道：新增4个"
    total = engine.ask("田林街道和龙华街道一共新增多少个快递网点")
    assert total.headline == "合计 7 个（田林街道 新增3个；龙华街道 新增4个）"
    missing = engine.ask("七宝镇新增多少个快递网点")
    assert not missing.found
    assert missing.headline.startswith("简报提到了七宝镇，但没有七宝镇的快递网点的数字")
