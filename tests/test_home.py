"""A bulletin's home place, read from real bulletins of offices outside Shanghai, and what 我市/全县 then mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.analysis.figures import extract_figures
from index.home import home_place
from index.ingest import article_place, bulletin_home
from index.reading.clean import parse_bulletin

REAL = Path(__file__).parent / "data" / "real"


def _home(name: str, as_named: str | None = None) -> str | None:
    return bulletin_home(parse_bulletin((REAL / name).read_text(encoding="utf-8"), as_named or name))


@pytest.mark.parametrize(("name", "home"), [
    ("gaoan-12345-2023-10.txt", "高安"),  # never named in its text (宜春 six times): its file name says it, in pinyin
    ("fengcheng-12345-2024-12.txt", "丰城"),  # fengcheng is 丰城 and 凤城: the text, naming 丰城 and 宜春, says which
    ("liannan-yiqing-2022-0818.txt", "连南"),  # the masthead: 连南瑶族自治县…防控工作信息
    ("bayannaoer-dubiandugai-2025-p16-jiaoban.txt", "巴彦淖尔"),  # a city naming its banners and its region
    ("panzhihua-xiqu-zhengwu-2022-12.txt", "西区"),  # a district named more often than its city
])
def test_the_home_of_real_bulletins(name: str, home: str) -> None:
    assert _home(name) == home


def test_a_file_name_in_characters_names_the_home_and_without_any_clue_there_is_none() -> None:
    text = "一、运行情况\n本月受理工单100件。\n"
    assert home_place([], text, "宜丰县热线月报.txt") == "宜丰"
    assert home_place([], text, "report.txt") is None


def test_an_opening_naming_only_the_homes_city_does_not_make_the_article_the_citys() -> None:
    bulletin = parse_bulletin((REAL / "gaoan-12345-2023-10.txt").read_text(encoding="utf-8"), "gaoan-12345-2023-10.txt")
    home = bulletin_home(bulletin)
    assert [article_place(a, home) for a in bulletin.articles][:1] == ["高安"]  # 受理宜春下派工单: 高安's work


def test_scope_words_take_the_home_so_the_figure_is_the_homes() -> None:
    sentence = "2024年12月，我市12345政务服务便民热线共接收宜春市热线中心转来的市民工单4071件。"
    [fig] = [f for f in extract_figures(sentence, home="丰城") if f.value == 4071]
    assert fig.places == ("丰城", "宜春")  # 我市 first: the subject; 宜春 only sent the work
    [fig] = [f for f in extract_figures("截至8月18日，全县累计接种298590剂次。", home="连南") if f.value == 298590]
    assert fig.places == ("连南",)


def test_a_comparison_with_the_country_leaves_the_figure_its_own_places() -> None:
    # 排名全国第6 ranks 黑龙江 in the country; 全国共有…20万个 is the country's own figure
    [rank] = [f for f in extract_figures("土地面积共约47.3万平方公里，排名全国第6。", place="黑龙江") if f.kind == "ordinal"]
    assert rank.places == ("黑龙江",)
    [whole] = extract_figures("全国共有快递网点20万个。", home="上海")
    assert whole.places == ("全国",)
