"""China's administrative divisions down to county level, read from the adcode table the `cpca` package ships.

cpca (MIT, github.com/DQinYuan/chinese_province_city_area_mapper) keeps the table as a CSV file beside its code;
it is read here as a data file, without importing cpca (which would load pandas). Each division has its full name
(宜丰县), a short form where one is in use (宜丰), its level and its parent, all from the 6-digit adcode.
"""

from __future__ import annotations

import csv
import functools
import importlib.metadata
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# suffixes a short form drops, longest first; what is left must keep two characters (东区 stays 东区)
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "新区", "林区", "特区", "省", "市", "区", "县", "盟")
# a 旗 keeps its whole name: 乌拉特中旗 shortened is no name (乌拉特中)
_PROVINCE, _PREFECTURE, _COUNTY = 1, 2, 3
# a county's short form that is an everyday word is not taken for the county in running text (资源县, 和平区 …),
# nor a two-character name that is one (城区, 矿区): words this frequent in jieba's dictionary are everyday words
_COMMON_FREQ = 300


class GazetteerMissing(RuntimeError):
    """The division table cannot be found (cpca is not installed)."""


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division: 360924 宜丰县 (short 宜丰), a county of 360900 宜春市."""

    code: int  # the 6-digit adcode
    name: str
    short: str  # the name without its suffix, or the name itself
    level: int  # 1 province, 2 prefecture (市, 州, 盟, 地区), 3 county (区, 县, 旗, 县级市)
    parent: int | None

    @property
    def key(self) -> str:
        """The name places are known by in the index and in answers: the short form."""
        return self.short


def _table() -> Path:
    try:
        dist = importlib.metadata.distribution("cpca")
    except importlib.metadata.PackageNotFoundError:
        raise GazetteerMissing("the cpca package (the division table) is not installed") from None
    path = Path(str(dist.locate_file("cpca/resources/adcodes.csv")))
    if not path.is_file():
        raise GazetteerMissing(f"cpca's division table is missing ({path})")
    return path


def _nations(table: Path) -> tuple[str, ...]:
    """Return the names of China's 56 nationalities (蒙古族 …), which autonomous areas carry in their names."""
    path = table.with_name("56_nations.csv")
    with path.open(encoding="utf-8") as f:
        names = [row[0].strip() for row in csv.reader(f) if row and row[0].strip()]
    return tuple(sorted((n for n in names if n.endswith("族")), key=len, reverse=True))


def short_form(name: str, nations: tuple[str, ...] = ()) -> str:
    """Return a division's short name: 宜丰县 -> 宜丰, 连南瑶族自治县 -> 连南, 内蒙古自治区 -> 内蒙古, 东区 -> 东区."""
    if name.endswith("旗"):
        return name
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            stem = name[:-len(suffix)]
            if suffix.startswith("自治") or suffix == "特别行政区":
                # 广西壮族自治区 -> 广西, 延边朝鲜族自治州 -> 延边: the nationalities go with the suffix
                changed = True
                while changed:
                    changed = False
                    for nation in nations:
                        if stem.endswith(nation) and len(stem) - len(nation) >= 2:
                            stem, changed = stem[:-len(nation)], True
                            break
                    if stem.endswith("各族") and len(stem) > 3:
                        stem, changed = stem[:-2], True
            return stem if len(stem) >= 2 else name
    return name


def _level(code: int) -> int:
    if code % 10000 == 0:
        return _PROVINCE
    return _PREFECTURE if code % 100 == 0 else _COUNTY


def _parent(code: int, codes: set[int]) -> int | None:
    if code % 10000 == 0:
        return None
    prefecture = code // 100 * 100
    if code % 100 and prefecture in codes:
        return prefecture
    province = code // 10000 * 10000
    return province if province in codes else None


@functools.cache
def divisions() -> dict[int, Division]:
    """Return every division by adcode (read once)."""
    table = _table()
    nations = _nations(table)
    rows: list[tuple[int, str]] = []
    with table.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = row["name"].strip()
            if not name or name.startswith("市辖") or name in ("县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
                continue  # placeholders of the table, no places
            rows.append((int(row["adcode"][:6]), name))
    codes = {code for code, _ in rows}
    return {code: Division(code, name, short_form(name, nations), _level(code), _parent(code, codes))
            for code, name in rows}


@functools.cache
def _everyday_words() -> frozenset[str]:
    """Return the county short forms that jieba's dictionary knows as frequent everyday words (资源, 和平 …)."""
    shorts = {d.short for d in divisions().values() if d.level == _COUNTY and d.short != d.name}
    shorts |= {d.name for d in divisions().values() if len(d.name) == 2}
    spec = importlib.util.find_spec("jieba")  # its dictionary is read as a file: jieba itself stays in segment.py
    if spec is None or spec.origin is None:
        return frozenset()
    found: set[str] = set()
    with (Path(spec.origin).parent / "dict.txt").open(encoding="utf-8") as f:
        for line in f:
            word, _, rest = line.partition(" ")
            if word in shorts and int(rest.split(" ", 1)[0]) >= _COMMON_FREQ:
                found.add(word)
    return frozenset(found)


def aliases() -> Iterator[tuple[str, Division, bool]]:
    """Yield every name a division is written by, with whether it is safe in running text (not an everyday word)."""
    everyday = _everyday_words()
    for division in divisions().values():
        yield division.name, division, len(division.name) > 2 or division.name not in everyday
        if division.short != division.name:
            yield division.short, division, division.level != _COUNTY or division.short not in everyday


def ancestors(code: int) -> Iterator[Division]:
    """Yield a division's parent, its parent's parent …"""
    table = divisions()
    parent = table[code].parent if code in table else None
    while parent is not None:
        yield table[parent]
        parent = table[parent].parent

