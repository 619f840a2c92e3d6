"""Which places a piece of text names: China's divisions down to county level, and Shanghai's towns."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import ahocorasick

from index.analysis import gazetteer

# Canonical short name -> the district's full name. 浦东 is 浦东新区, the only irregular one.
DISTRICTS: dict[str, str] = {
    "黄浦": "黄浦区", "徐汇": "徐汇区", "长宁": "长宁区", "静安": "静安区",
    "普陀": "普陀区", "虹口": "虹口区", "杨浦": "杨浦区", "闵行": "闵行区",
    "宝山": "宝山区", "嘉定": "嘉定区", "浦东": "浦东新区", "金山": "金山区",
    "松江": "松江区", "青浦": "青浦区", "奉贤": "奉贤区", "崇明": "崇明区",
}

# Towns and subdistricts (镇/街道/乡) -> district, so a figure for 南桥镇 counts for 奉贤.
TOWNS: dict[str, str] = {
    **dict.fromkeys(
        ["朱家角镇", "徐泾镇", "华新镇", "赵巷镇", "重固镇", "白鹤镇", "练塘镇", "金泽镇", "夏阳街道", "盈浦街道", "香花桥街道"], "青浦"),
    **dict.fromkeys(
        ["南桥镇", "奉城镇", "庄行镇", "金汇镇", "四团镇", "青村镇", "柘林镇", "海湾镇", "金海街道", "西渡街道", "奉浦街道"], "奉贤"),
    **dict.fromkeys(
        ["泗泾镇", "佘山镇", "车墩镇", "新桥镇", "洞泾镇", "九亭镇", "泖港镇", "石湖荡镇", "新浜镇", "叶榭镇", "小昆山镇", "岳阳街道", "永丰街道", "方松街道", "中山街道", "广富林街道", "九里亭街道"], "松江"),
    **dict.fromkeys(
        ["张江镇", "川沙新镇", "高桥镇", "北蔡镇", "合庆镇", "曹路镇", "金桥镇", "高行镇", "高东镇", "康桥镇", "航头镇", "祝桥镇", "泥城镇", "宣桥镇", "书院镇", "万祥镇", "老港镇", "南汇新城镇", "惠南镇", "周浦镇", "新场镇", "大团镇", "陆家嘴街道", "花木街道", "洋泾街道", "塘桥街道", "潍坊新村街道"], "浦东"),
    **dict.fromkeys(
        ["七宝镇", "莘庄镇", "颛桥镇", "华漕镇", "虹桥镇", "梅陇镇", "吴泾镇", "马桥镇", "浦江镇", "江川路街道", "古美街道", "新虹街道", "浦锦街道"], "闵行"),
    **dict.fromkeys(
        ["罗店镇", "大场镇", "杨行镇", "月浦镇", "罗泾镇", "顾村镇", "高境镇", "庙行镇", "淞南镇", "友谊路街道", "吴淞街道", "张庙街道"], "宝山"),
    **dict.fromkeys(["南翔镇", "安亭镇", "马陆镇", "徐行镇", "华亭镇", "外冈镇", "江桥镇", "菊园新区", "嘉定工业区"], "嘉定"),
    **dict.fromkeys(["朱泾镇", "枫泾镇", "张堰镇", "亭林镇", "吕巷镇", "廊下镇", "金山卫镇", "漕泾镇", "山阳镇", "石化街道"], "金山"),
    **dict.fromkeys(
        ["城桥镇", "新河镇", "竖新镇", "向化镇", "三星镇", "港沿镇", "中兴镇", "陈家镇", "绿华镇", "港西镇", "建设镇", "新海镇", "东平镇", "长兴镇", "新村乡", "横沙乡"], "崇明"),
    **dict.fromkeys(["长征镇", "桃浦镇", "真如镇街道", "万里街道", "甘泉路街道", "石泉路街道"], "普陀"),
    **dict.fromkeys(["新泾镇", "程家桥街道", "虹桥街道", "天山路街道", "仙霞新村街道"], "长宁"),
    **dict.fromkeys(["彭浦镇", "彭浦新村街道", "临汾路街道", "大宁路街道", "南京西路街道", "江宁路街道"], "静安"),
    **dict.fromkeys(["外滩街道", "南京东路街道", "豫园街道", "打浦桥街道", "淮海中路街道", "瑞金二路街道"], "黄浦"),
    **dict.fromkeys(["漕河泾街道", "田林街道", "龙华街道", "虹梅路街道", "康健新村街道", "华泾镇"], "徐汇"),
    **dict.fromkeys(["四川北路街道", "北外滩街道", "江湾镇街道", "广中路街道", "欧阳路街道"], "虹口"),
    **dict.fromkeys(["五角场街道", "殷行街道", "控江路街道", "延吉新村街道", "长白新村街道", "新江湾城街道"], "杨浦"),
}


# Shanghai's district postal offices go by their district's name: 青浦局 = 青浦邮政管理局 = 青浦
_OFFICES = ("局", "邮政管理局")


@dataclass(frozen=True, slots=True)
class _Gazetteer:
    """Every name a place is written by, with the place key (short form) it stands for."""

    keys: dict[str, str]  # a name as written -> the place's key
    loose: frozenset[str]  # names that also occur inside other words: a county's short form, a two-character name
    divisions: dict[str, tuple[gazetteer.Division, ...]]  # a key -> the divisions so named, highest level first
    automaton: Any  # every name as an Aho-Corasick automaton (pyahocorasick), each with its length


@functools.cache
def _load() -> _Gazetteer:
    keys: dict[str, str] = {}
    by_key: dict[str, list[gazetteer.Division]] = {}
    loose: set[str] = set()
    for name, division, safe in sorted(gazetteer.aliases(), key=lambda a: a[1].level):
        if safe:
            if name not in keys and division.level == 3 and (name != division.name or len(name) == 2):
                loose.add(name)
            keys.setdefault(name, division.key)  # of homonyms (长沙市, 长沙县) the higher level names it
            if division not in by_key.setdefault(division.key, []):
                by_key[division.key].append(division)  # homonyms: 长宁 is 长宁区 (上海) and 长宁县 (四川)
    for short, full in DISTRICTS.items():
        keys[full] = keys[short] = short
        for office in _OFFICES:
            keys[f"{short}{office}"] = short
    keys.update(TOWNS)
    loose -= set(TOWNS) | set(DISTRICTS) | set(DISTRICTS.values())
    automaton = ahocorasick.Automaton()
    for name in keys:
        automaton.add_word(name, len(name))
    automaton.make_automaton()
    return _Gazetteer(keys=keys, divisions={k: tuple(v) for k, v in by_key.items()}, loose=frozenset(loose),
                      automaton=automaton)


# what may stand right before a loosely matched name (a county's short form): the start, a mark, a place just named,
# or a word that introduces a place; inside a run of other characters it is part of a word (白云和平 holds no 云和)
_BEFORE_LOOSE = set("的和与及在对向从于至到、，。；：（）“”《》【】 \t\n省市州盟区县旗")
# a name followed by these is another place of the same name (新昌镇 is no 新昌县) or a street (中山路)
_AFTER_LOOSE = re.compile(r"镇|乡|村|街|社区|路|大道|小区|公园|广场|花园|大桥|园区|片区|居委")
# any name followed by these names a thing, not the place: 哈尔滨站, 嘉兴南站, 漠河机场, 广州队, 上海话
_THING_AFTER = re.compile(r"[东南西北]?站|火车站|机场|港(?!澳)|码头|大学|学院|中学|小学|医院|大桥|铁路|高铁|地铁|隧道|"
                          r"公司|银行|集团|电视台|日报|晚报|队|话|方言|菜|籍")


class PlaceMatch(NamedTuple):
    """A place name found in a text: where it starts and ends, and the name (read as re.Match's methods)."""

    begins: int
    ends: int
    name: str

    def start(self) -> int:
        return self.begins

    def end(self) -> int:
        return self.ends

    def group(self) -> str:
        return self.name


def _matches(text: str) -> Iterator[PlaceMatch]:
    """Yield the place names in text, leaving out loose names that are part of other words."""
    g = _load()
    # the longest name starting at each position: one pass of the automaton over the text (a regex of every name,
    # tried at each position, was a third of parsing a bulletin and half of building the saved index)
    longest: dict[int, int] = {}
    for last, size in g.automaton.iter(text):
        begin = last + 1 - size
        if longest.get(begin, 0) <= last:
            longest[begin] = last + 1
    starts = sorted(longest)
    last_end, at, k = -1, 0, 0
    while True:
        # the leftmost name from at on, the longest there
        while k < len(starts) and starts[k] < at:
            k += 1
        if k == len(starts):
            return
        begin = starts[k]
        end = longest[begin]
        # a longer name beginning inside this one is the name (长宁区和田林街道: 田林街道, not 和田)
        for i in range(begin + 1, end):
            if (inner := longest.get(i)) is not None and inner > end:
                begin, end = i, inner
                break
        at = end
        name = text[begin:end]
        if name in g.loose:
            before = text[begin - 1] if begin else ""
            if (before and before not in _BEFORE_LOOSE and begin != last_end and "\u3400" <= before <= "\u9fff") \
                    or _AFTER_LOOSE.match(text, end):
                continue
        if _THING_AFTER.match(text, end):
            continue
        last_end = end
        yield PlaceMatch(begin, end, name)


def place_words() -> list[str]:
    """Return every name a place is written by, for teaching the tokenizer."""
    return list(_load().keys)


def places_in(text: str) -> tuple[str, ...]:
    """Return the places text names, as keys (short forms), in order of first mention."""
    keys = _load().keys
    return tuple(dict.fromkeys(keys[m.group()] for m in _matches(text)))


def place_names_in(text: str) -> list[str]:
    """Return the place names text contains as written (南桥镇, 青浦区, 宜丰县 …), in order, each once."""
    return list(dict.fromkeys(m.group() for m in _matches(text)))


def canonical(name: str) -> str | None:
    """Return the key of the place a name stands for (青浦区 -> 青浦, 宜丰县 -> 宜丰), or None."""
    return _load().keys.get(name)


def division(key: str) -> gazetteer.Division | None:
    """Return the administrative division a place key stands for (of homonyms the highest level; None for a town
    or an unknown name)."""
    found = _load().divisions.get(key)
    return found[0] if found else None


def homonyms(key: str) -> tuple[gazetteer.Division, ...]:
    """Return every division a place key may stand for (长宁: 长宁区 of 上海 and 长宁县 of 四川)."""
    return _load().divisions.get(key, ())


def parents(key: str, context: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Return the keys of the places a place lies in, nearest first (七宝镇 -> 闵行, 上海; 宜丰 -> 宜春, 江西).

    Of homonyms, the ones lying in a place of context (长宁 with 上海: 长宁区); with no context, all of them.
    """
    if key in TOWNS:
        return (TOWNS[key], *parents(TOWNS[key]))
    lines = [tuple(d.key for d in gazetteer.ancestors(found.code)) for found in homonyms(key)]
    if context and len(lines) > 1:
        lines = [line for line in lines if set(line) & set(context)] or lines
    return tuple(dict.fromkeys(p for line in lines for p in line))


def within(key: str, ancestor: str, context: tuple[str, ...] | list[str] = ()) -> bool:
    """Tell whether a place lies in another (宜丰 in 宜春, 青浦 in 上海); a place is not within itself."""
    return ancestor in parents(key, tuple(context))


def place_matches(text: str) -> list[PlaceMatch]:
    """Return the place names in text as matches, in order (each with its span)."""
    return list(_matches(text))


# 我市, 全县, 本区: a bulletin naming its own place by its level (group 1: the level)
SCOPE_WORD = re.compile(r"[我本全]([市县区旗省州盟])")


def scope_of(word: str, about: tuple[str, ...]) -> str | None:
    """Return the place a scope word means (我市, 全县, 全区, 本市 …) given the places the text is about, nearest
    first: the first of them, or of what they lie in, whose name ends so (全市 in an article about 徐汇 is 上海)."""
    if (scope := SCOPE_WORD.fullmatch(word)) is None:
        return None
    suffix = scope.group(1)
    for key in about:
        for candidate in (key, *parents(key, about)):
            for found in homonyms(candidate):
                if found.name.endswith(suffix) or (suffix == "区" and found.name.endswith(("自治区", "新区"))):
                    return candidate
    return None


def local(key: str) -> bool:
    """Tell whether a place is a county-level one or smaller (a district, a county, a town), not a city or wider."""
    if key in TOWNS:
        return True
    return any(found.level == 3 for found in homonyms(key))
