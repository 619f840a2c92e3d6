"""The place a bulletin is about (its home): what 我市, 全县 and an article with no place of its own refer to.

Read from where offices say it: the masthead and opening lines (宜丰县政府服务热线…, 来源：福建省民政厅), the file's
name (in characters or in pinyin: gaoan-12345-2023-10.txt), and the places the text names, a county's mentions
counting for its city too. 我县/全区 in the text says which level the home is.
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from pathlib import Path

from index.analysis.gazetteer import divisions
from index.analysis.places import SCOPE_WORD, canonical, division, parents, places_in

HEAD_LINES = 6  # the opening lines read as the masthead
_HEAD_WEIGHT, _FILE_WEIGHT, _TEXT_WEIGHT, _FIRST_WEIGHT, _CHILD_WEIGHT, _LEVEL_WEIGHT = 3.0, 20.0, 1.0, 2.0, 0.5, 2.0
_LATIN = re.compile(r"[a-z]+")


@functools.cache
def _by_pinyin() -> dict[str, tuple[str, ...]]:
    """pinyin of a division's short and full name -> the keys of the divisions so named (丰城 and 凤城 share one)."""
    from pypinyin import lazy_pinyin  # here: its tables take a sixth of a second to import, and asking never needs them

    out: dict[str, list[str]] = {}
    for d in divisions().values():
        for name in {d.short, d.name}:
            keys = out.setdefault("".join(lazy_pinyin(name)).lower(), [])
            if d.key not in keys and canonical(d.key) == d.key:
                keys.append(d.key)
    return {k: tuple(v) for k, v in out.items()}


def _from_file_name(document: str, mentioned: set[str]) -> list[str]:
    """Return the places a file's name names, in characters or in pinyin (of homonyms, the one the text confirms)."""
    stem = Path(document).stem
    found = list(places_in(stem))
    tokens = _LATIN.findall(stem.lower())
    table = _by_pinyin()
    for i in range(len(tokens)):
        for j in range(i + 1, min(i + 4, len(tokens) + 1)):  # pan-zhi-hua, or panzhihua
            keys = table.get("".join(tokens[i:j]), ())
            confirmed = [k for k in keys if k in mentioned or any(p in mentioned for p in parents(k))]
            if confirmed or len(keys) == 1:
                found.extend(confirmed[:1] or keys)
    return found


def home_place(head: list[str], text: str, document: str) -> str | None:
    """Return the key of the place a bulletin is about, or None when nothing names one."""
    score: defaultdict[str, float] = defaultdict(float)
    named = Counter(p for line in text.split("\n") for p in places_in(line))
    for place, n in named.items():
        score[place] += _TEXT_WEIGHT * n
        for parent in parents(place)[:1]:  # 乌拉特中旗 2件、磴口县 1件: a city's bulletin names its counties
            score[parent] += _CHILD_WEIGHT * n
    if named:
        score[next(iter(named))] += _FIRST_WEIGHT  # the text's first place is most often its subject
    for line in [ln.strip() for ln in head if ln.strip()][:HEAD_LINES]:
        for place in places_in(line):
            score[place] += _HEAD_WEIGHT
    for place in _from_file_name(document, set(named)):
        score[place] += _FILE_WEIGHT
    if not score:
        return None
    levels = {m.group(1) for m in SCOPE_WORD.finditer(text)} - {"省"}
    for place in score:
        found = division(place)
        if found is not None and any(found.name.endswith(s) for s in levels):
            score[place] += _LEVEL_WEIGHT  # 我县 says the home is a county
    # ties go to the smaller place: a county's bulletin names its city, rarely the other way round
    return max(score, key=lambda p: (score[p], len(parents(p))))
