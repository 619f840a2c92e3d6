"""Places from anywhere in China, at every level: the gazetteer, short and full forms, hierarchy, scope words."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import ROOT
from index.analysis import places
from index.analysis.gazetteer import divisions, short_form
from index.analysis.places import canonical, homonyms, parents, place_names_in, places_in, scope_of, within


@pytest.mark.parametrize(("full", "short"), [
    ("衡东县", "衡东"), ("赤峰市", "赤峰"), ("巴彦淖尔市", "巴彦淖尔"), ("内蒙古自治区", "内蒙古"),
    ("连南瑶族自治县", "连南"), ("广西壮族自治区", "广西"), ("浦东新区", "浦东"), ("乌拉特中旗", "乌拉特中旗"),
    ("东区", "东区"),
])
def test_short_and_full_forms_name_one_place(full: str, short: str) -> None:
    assert canonical(full) == canonical(short) == short
    assert places_in(f"涉及{full}5件") == places_in(f"{short}5月") == (short,)


def test_the_table_holds_every_level_with_its_parent() -> None:
    table = divisions()
    assert len(table) > 3000  # provinces, prefectures and counties of all China
    yifeng = next(d for d in table.values() if d.name == "宜丰县")
    assert (yifeng.level, table[yifeng.parent or 0].name) == (3, "宜春市")
    assert short_form("延边朝鲜族自治州", ("朝鲜族",)) == "延边"


def test_hierarchy_a_county_lies_in_its_city_and_a_town_in_its_district() -> None:
    assert parents("宜丰") == ("宜春", "江西")
    assert within("乌拉特中旗", "巴彦淖尔")
    assert within("七宝镇", "闵行")
    assert within("青浦", "上海")
    assert not within("宜春", "宜丰")
    assert not within("杨浦", "五角场街道")


def test_scope_words_mean_the_place_the_text_is_about() -> None:
    assert scope_of("我市", ("丰城",)) == "丰城"  # a county-level city is a 市
    assert scope_of("全市", ("徐汇",)) == "上海"  # a district's article: 全市 is its city
    assert scope_of("我县", ("连南",)) == "连南"
    assert scope_of("全区", ("西区",)) == "西区"
    assert scope_of("全区", ("内蒙古",)) == "内蒙古"  # an autonomous region's bulletin
    assert scope_of("大会", ("丰城",)) is None


@pytest.mark.parametrize("text", ["蓝天白云和平发展", "华东区域", "资源共享", "新昌镇的工单"])
def test_names_inside_other_words_are_no_places(text: str) -> None:
    # a county's short form or a two-character name inside a word, or a town of the same name, is no county
    assert places_in(text) == ()


def test_a_longer_name_beginning_inside_a_shorter_wins() -> None:
    assert place_names_in("长宁区和田林街道") == ["长宁区", "田林街道"]
    assert places_in("攀枝花东区2022年9月") == ("攀枝花", "东区")


def test_homonyms_are_told_apart_by_the_places_around_them() -> None:
    # 长宁 is a district of 上海 and a county of 四川宜宾: 全区 in an article about 长宁 and 上海 is 长宁区
    assert {d.name for d in homonyms("长宁")} == {"长宁区", "长宁县"}
    assert parents("长宁", ("上海",)) == ("上海",)
    assert parents("长宁", ("宜宾",)) == ("宜宾", "四川")
    assert scope_of("全区", ("长宁", "上海")) == "长宁"
    assert scope_of("我县", ("长宁", "宜宾")) == "长宁"


@pytest.mark.parametrize("text", ["嘉兴南站有几条线", "哈尔滨站", "漠河机场的投资", "广州队", "上海话"])
def test_a_place_name_naming_a_thing_is_no_place(text: str) -> None:
    assert places_in(text) == ()


# The names were once found by one regex of every name (a trie, longest first) searched from each place on; the
# automaton must find the very same names at the very same places. The regex stays here as the reference.
def _trie_pattern(words: list[str]) -> str:
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def walk(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return walk(trie)


@functools.cache
def _reference() -> re.Pattern[str]:
    return re.compile(_trie_pattern(list(places._load().keys)))


def _by_regex(text: str) -> list[tuple[int, int, str]]:
    g, pattern = places._load(), _reference()
    out, last_end, at = [], -1, 0
    while (found := pattern.search(text, at)) is not None:
        m = found
        for i in range(m.start() + 1, m.end()):
            if (inner := pattern.match(text, i)) is not None and inner.end() > m.end():
                m = inner
                break
        at = m.end()
        if m.group() in g.loose:
            before = text[m.start() - 1] if m.start() else ""
            if (before and before not in places._BEFORE_LOOSE and m.start() != last_end
                    and "\u3400" <= before <= "\u9fff") or places._AFTER_LOOSE.match(text, m.end()):
                continue
        if places._THING_AFTER.match(text, m.end()):
            continue
        last_end = m.end()
        out.append((m.start(), m.end(), m.group()))
    return out


def _found(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in places.place_matches(text)]


def test_the_automaton_finds_what_the_regex_found_in_real_bulletins() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "data").rglob("*.txt"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "bulletins").glob("*.txt"))]
    lines = [line for text in texts for line in text.splitlines() if line.strip()]
    assert len(lines) > 300
    assert sum(len(_found(line)) for line in lines) > 150  # the test sees many names, not none
    for line in lines:
        assert _found(line) == _by_regex(line), line


_PIECES = ["青浦", "青浦区", "浦东新区", "长宁", "长宁区和田林街道", "和田", "南京西路街道", "南京", "宜丰", "新昌镇",
           "中山路", "白云", "和平", "资源", "哈尔滨站", "上海", "上海话", "七宝镇", "局", "邮政管理局", "的", "，", "、",
           "县", "市", "在", "新", "区", "港澳", " ", "\n", "1"]


@settings(max_examples=500, deadline=None)
@given(parts=st.lists(st.sampled_from(_PIECES), max_size=14))
def test_the_automaton_finds_what_the_regex_found_in_any_text(parts: list[str]) -> None:
    text = "".join(parts)
    assert _found(text) == _by_regex(text)
