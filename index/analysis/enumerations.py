"""Counts that an enumeration implies: 在金海街道、南桥镇和奉城镇成立驿站 names three places, so three stations."""

from __future__ import annotations

import re

from index.analysis.subjects import subjects_in
from index.analysis.text import LIST_JOINER

_JOINER = re.compile(LIST_JOINER)
# an explicit count right after the list says it better (…、…五个方面): the list then implies nothing of its own
_COUNTED_AFTER = re.compile(r"等?\s*(?:\d+|[一二两三四五六七八九十]+)\s*[个家所处类项]?")


def enumerations(sentence: str) -> list[tuple[int, int, int]]:
    """Return the lists of two or more named streets, towns or offices joined by 、/和/及/与 as (start, end, items)."""
    if "、" not in sentence and not re.search(r"[和及与]", sentence):
        return []
    found: list[tuple[int, int, int]] = []
    run: list[tuple[int, int]] = []
    for subject in [*subjects_in(sentence), None]:
        if subject is not None and run and _JOINER.fullmatch(sentence[run[-1][1]:subject.start]):
            run.append((subject.start, subject.end))
            continue
        if len(run) >= 2 and not _COUNTED_AFTER.match(sentence, run[-1][1]):
            found.append((run[0][0], run[-1][1], len(run)))
        run = [(subject.start, subject.end)] if subject is not None else []
    return found
