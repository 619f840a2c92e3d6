"""A gazetteer of Shanghai's districts and towns: which district a piece of text is about."""

from __future__ import annotations

import re

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

_ALIASES: dict[str, str] = {}
for _short, _full in DISTRICTS.items():
    # 青浦 = 青浦区 = 青浦局 (a district postal office's own short name) = 青浦邮政管理局
    for _alias in (_short, _full, f"{_short}局", f"{_short}邮政管理局"):
        _ALIASES[_alias] = _short
_ALIASES.update(TOWNS)

_PATTERN = re.compile("|".join(sorted(map(re.escape, _ALIASES), key=len, reverse=True)))


def place_words() -> list[str]:
    """Return every alias, for teaching the tokenizer."""
    return list(_ALIASES)


def places_in(text: str) -> tuple[str, ...]:
    """Return the districts text names, canonical short forms, in order of first mention."""
    found: list[str] = []
    for m in _PATTERN.finditer(text):
        district = _ALIASES[m.group()]
        # 浦东 inside 浦东国际机场 is still 浦东; 金山 inside 金山银山 is not worth a special case here
        if district not in found:
            found.append(district)
    return tuple(found)


def place_names_in(text: str) -> list[str]:
    """Return the place names text contains as written (南桥镇, 青浦区 …), in order, each once."""
    return list(dict.fromkeys(m.group() for m in _PATTERN.finditer(text)))


def canonical(name: str) -> str | None:
    """Return the district a name stands for (青浦区 -> 青浦), or None."""
    return _ALIASES.get(name)
