"""Answer choice over a real store of dated bulletins: periods, the newest issue, places, honest not-found."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

import helpers
from bot.answering.engine import Engine
from bot.answering.render import render_plain, to_json
from index import Store, ingest_paths

ISSUES = {
    "2022-01.txt": ("2022年第1期", "2022年1月20日", "嘉定邮政管理局推进快递网点建设",
                    "今年以来，嘉定区新增快递网点12个，全区累计建成快递网点85个，覆盖所有街镇。"),
    "2023-02.txt": ("2023年第2期", "2023年2月15日", "嘉定邮政管理局快递网点建设再上台阶",
                    "今年以来，嘉定区新增快递网点9个，全区累计建成快递网点94个，服务快递员约3200人。"),
    "2023-04.txt": ("2023年第4期", "2023年4月12日", "嘉定邮政管理局推进绿色快递",
                    "嘉定区新能源快递车辆占比超过65%，计划年底前提升至80%。1-3月，嘉定区快递业务量1.2亿件，同比增长8.6%。"),
    "2023-03.txt": ("2023年第3期", "2023年3月10日", "奉贤邮政管理局开展安全检查",
                    "3月8日，奉贤局检查快递企业15家，发现隐患6处，均已整改。地震烈度为7.2。"),
}


def _write(folder: Path) -> None:
    for name, (number, date, title, body) in ISSUES.items():
        text = f"上海邮政快递工作简报\n{number}\n上海市邮政管理局 {date}\n{title}\n{body}\n"
        (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    folder = tmp_path_factory.mktemp("issues")
    _write(folder)

    async def build() -> Engine:
        async with await Store.open(folder / "answers.db") as store:
            results = await ingest_paths(store, helpers.segmenter(), [folder])
            assert [r.status for r in results] == ["added"] * len(ISSUES)
            return await Engine.load(store, helpers.segmenter())

    return asyncio.run(build())


def _top(engine: Engine, question: str) -> dict[str, object]:
    result = to_json(engine.ask(question))
    assert result["found"] is True, result["answer"]
    figures = result["figures"]
    assert isinstance(figures, list)
    assert figures
    top: dict[str, object] = figures[0]
    return top


def test_total_without_a_year_comes_from_the_newest_issue(engine: Engine) -> None:
    top = _top(engine, "嘉定一共有多少个快递网点")
    assert (top["value"], top["unit"], top["document"]) == (94, "个", "2023-02.txt")


def test_relative_year_in_a_bulletin_is_resolved_against_its_date(engine: Engine) -> None:
    # the 2022 issue says 今年新增12个; asked about 2022 by year, that is the figure
    top = _top(engine, "2022年嘉定新增多少个快递网点")
    assert (top["value"], top["document"]) == (12, "2022-01.txt")


def test_this_year_in_a_question_means_the_newest_issue_year(engine: Engine) -> None:
    top = _top(engine, "今年嘉定新增多少个快递网点")
    assert (top["value"], top["document"]) == (9, "2023-02.txt")


def test_answer_names_the_issue_date(engine: Engine) -> None:
    text = render_plain(engine.ask("嘉定一共有多少个快递网点"))
    assert "94个" in text.splitlines()[0]
    assert "2023-02-15" in text


def test_place_mentioned_without_that_measure_is_not_found(engine: Engine) -> None:
    result = engine.ask("嘉定有多少套公租房")
    assert not result.found
    assert "嘉定" in result.headline
    assert "公租房" in result.headline


def test_place_never_mentioned_is_not_found_and_shows_no_sources(engine: Engine) -> None:
    result = to_json(engine.ask("金山有多少个快递网点"))
    assert result["found"] is False
    assert result["figures"] == []
    assert result["sources"] == []
    assert "金山" in str(result["answer"])


def test_another_districts_figure_is_never_given(engine: Engine) -> None:
    # 奉贤 has 15家 companies; 嘉定 has no 家 figure at all
    assert not engine.ask("嘉定检查了多少家快递企业").found
    top = _top(engine, "奉贤检查了多少家快递企业")
    assert top["value"] == 15


def test_a_spoken_unit_nobody_writes_falls_back_to_a_bare_number(engine: Engine) -> None:
    top = _top(engine, "奉贤地震烈度是几级")
    assert top["value"] == 7.2


def test_date_question_answers_with_the_date(engine: Engine) -> None:
    result = engine.ask("奉贤局哪天检查快递企业")
    assert result.found
    assert result.headline.endswith("3月8日")


@pytest.fixture(scope="module")
def sample(sample_db: Path) -> Engine:
    async def load() -> Engine:
        async with await Store.open(sample_db) as store:
            return await Engine.load(store, helpers.segmenter())

    return asyncio.run(load())


def test_headline_puts_the_total_first_and_the_new_part_inside(sample: Engine) -> None:
    assert sample.ask("青浦有多少套公租房").headline == "青浦：共100套公租房（其中2022年新增15套）"


def test_where_question_lists_the_towns_not_the_district_asked(sample: Engine) -> None:
    headline = sample.ask("奉贤在哪些地方成立了骑乐融融驿站").headline
    assert headline.split("、") == ["金海街道", "南桥镇", "奉城镇"]


@pytest.mark.parametrize(("question", "items"), [
    ("骑乐融融驿站由哪些部分组成", ["街道党群服务中心", "行业快递网点", "生活驿站"]),
    ("青浦为快递员提供了哪些设施", ["基本家具", "家电设备", "卫浴设施", "厨房设施", "智能设施"]),
])
def test_which_question_answers_with_the_enumeration(sample: Engine, question: str, items: list[str]) -> None:
    result = sample.ask(question)
    assert result.found
    assert [i for i in re.split("、|和", result.headline) if i] == items


def test_name_question_answers_with_the_quoted_name(sample: Engine) -> None:
    assert sample.ask("奉贤依托行业党建联盟成立的驿站叫什么").headline.startswith("“骑乐融融”")


def test_a_figure_in_another_chunk_of_the_right_article_beats_a_similar_article(tmp_path: Path) -> None:
    filler = "本鱼吻长大于眼径，两腭尖突。" * 16
    (tmp_path / "a.txt").write_text(
        "溪银汉鱼是溪银汉鱼属下的唯一一种，溪银汉鱼分布于北美洲的湖泊与溪流，常见于五大湖及密西西比河流域的淡水水域。\n"
        f"{filler}本鱼体长可达10公分，栖息在平静、干净的湖泊及溪流中。\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("美洲似银汉鱼为银汉鱼目的其中一种，体长可达45公分。\n", encoding="utf-8")

    async def build() -> Engine:
        async with await Store.open(tmp_path / "fish.db") as store:
            await ingest_paths(store, helpers.segmenter(), [tmp_path])
            return await Engine.load(store, helpers.segmenter())

    engine = asyncio.run(build())
    _, second = (c for c in engine.library.chunks if c.document == "a.txt")
    assert "10公分" in second.text
    assert "溪银汉鱼" not in second.text  # the figure's chunk never names the fish
    question = "溪银汉鱼的体长是多少"
    hits = engine.library.search(engine.segmenter.terms(question))
    assert hits[0].chunk.document == "a.txt"  # the right article ranks first …
    assert hits.index(next(h for h in hits if h.chunk.id == second.id)) > 1  # … but not its figure's chunk
    top = _top(engine, question)
    assert (top["value"], top["document"]) == (10, "a.txt")


def test_a_place_is_found_below_many_better_ranked_passages(tmp_path: Path) -> None:
    lines = []
    for i in range(30):
        lines += [f"闵行邮政管理局公租房工作简讯之{i + 1}", f"闵行局新增公租房{i + 3}套，公租房套数持续增加。"]
    filler = "各部门密切配合，做好入住前的各项准备工作，确保快递员顺利入住。" * 3
    lines += ["南桥镇推进保障房建设", f"南桥镇今年新增公租房30套，均已交付使用。{filler}"]
    (tmp_path / "many.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")

    async def build() -> Engine:
        async with await Store.open(tmp_path / "many.db") as store:
            await ingest_paths(store, helpers.segmenter(), [tmp_path])
            return await Engine.load(store, helpers.segmenter())

    engine = asyncio.run(build())
    question = "奉贤有多少套公租房"
    ranked = [h.chunk.title for h in engine.library.search(engine.segmenter.terms(question), k=100)]
    assert ranked.index("南桥镇推进保障房建设") >= 20  # 南桥镇 is in 奉贤, but its passage ranks low
    top = _top(engine, question)
    assert top["value"] == 30


def test_how_many_departments_finds_the_departments(sample: Engine) -> None:
    result = sample.ask("几个部门印发了关于做好快递员群体合法权益保障工作的意见")
    assert result.found
    assert result.headline == "7部门"


def test_a_target_is_not_what_happened(engine: Engine) -> None:
    assert _top(engine, "嘉定新能源快递车辆占比多少")["value"] == 65


def test_growth_asks_for_the_percentage(engine: Engine) -> None:
    top = _top(engine, "嘉定快递业务量同比增长多少")
    assert (top["value"], top["unit"]) == (8.6, "%")


def test_a_places_figure_about_something_else_is_not_an_answer(engine: Engine) -> None:
    # 嘉定 has money-free figures only; 奉贤 is not asked; nothing about rent anywhere
    result = engine.ask("嘉定快递员公租房月租金多少")
    assert not result.found
    assert not engine.ask("奉贤快递业务量是多少").found


def test_a_date_question_about_people_still_wants_the_date(sample: Engine) -> None:
    # 快递小哥 hints at a count of people; the question asks 哪天, and the date is the answer
    result = sample.ask("浦东局哪天召开会议关心关爱快递小哥")
    assert result.found
    assert result.headline.endswith("3月7日")
