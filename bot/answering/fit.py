"""Whether a figure can answer a question at all (its kind), and how telling each question word is."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import replace

from bot.answering.question import Question
from index import CHANGE_WORDS, Figure, Library, alternation, arabic_form, direction, same_dimension, same_unit

_YEAR = re.compile(r"(\d{4})年")
CHANGE = re.compile(alternation(CHANGE_WORDS))


def weight(term: str, library: Library) -> float:
    """Return how telling a question word is: its idf, or for a phrase the idf of its rarest bigram."""
    idf = library.searcher.idf(term) or max(
        (library.searcher.idf(term[i:i + 2]) for i in range(len(term) - 1)), default=0.0)
    return max(idf, 0.3) if idf else 1.0


def coverage(question: Question, sentence: str, weights: dict[str, float]) -> float:
    """Return the share of the question's word weight found in a sentence, by words or their bigrams."""
    return weighed_coverage(question.content, tuple(weights.items()), sentence)


@functools.lru_cache(maxsize=4096)  # once per question and sentence: a sentence holds many candidates
def weighed_coverage(content: tuple[str, ...], weighed: tuple[tuple[str, float], ...], sentence: str) -> float:
    """Return coverage() of the question words content, weighed as weighed (its weights' items)."""
    weights = dict(weighed)
    words = [w for w in content if w in weights]  # the words the caller weighs (a rate keyword's are not)
    return share_found(words, weights, sum(weights[w] for w in words), sentence)


def share_found(words: list[str], weights: dict[str, float], total: float, text: str) -> float:
    """Return the share of the words' weight (total: theirs summed) that text holds (1.0 when they weigh nothing)."""
    return sum(weights[w] * found_share(w, text) for w in words) / total if total else 1.0


def found_share(word: str, text: str) -> float:
    """Return 1.0 if word is in text, else the share of its bigrams that are (快递网点 in 快递末端网点: 2/3)."""
    if word in text or ((digits := arabic_form(word)) is not None and digits in text):
        return 1.0  # 十万人 is in 人口超过10万人
    pairs = [word[i:i + 2] for i in range(len(word) - 1)]
    return sum(p in text for p in pairs) / len(pairs) if pairs else 0.0


def year_of(fig: Figure, issue_date: dt.date | None) -> int | None:
    """Return the year a figure is about: its own period (2022年), else its bulletin's year, else None."""
    if fig.period and (m := _YEAR.match(fig.period)):
        return int(m.group(1))
    return issue_date.year if issue_date else None


def kind_fits(question: Question, fig: Figure, *, relaxed: bool = False) -> bool:
    """Tell whether a figure is the kind of thing asked: a date for 哪天, a count of 套 for 多少套 …"""
    if question.wants == "date":  # when no date fits, a year does: 1890年 answers 什么时候
        return fig.kind == "date" or (relaxed and fig.kind == "year")
    if question.wants == "year":
        return fig.kind in ("year", "date") and fig.value >= 1000
    if question.wants == "month":
        return fig.kind == "month"
    if question.wants in ("ordinal", "code"):
        return fig.kind == question.wants
    if fig.kind in ("date", "year", "ordinal", "code"):
        return False
    if not relaxed and _INDEFINITE.fullmatch(fig.text):
        return False  # 一座换乘车站, 一个镇: 一 is the article "a"; only when nothing else fits may it be a count
    if fig.kind == "percent" and question.keyword and CHANGE.search(question.keyword) \
            and not direction(fig.qualifier or ""):
        return False  # 签订率同比增长多少 is not answered by 签订率达到85%: a level is no change
    if question.unit_spoken:  # 多少米 is answered by 40km too, a length in another unit
        return same_unit(question.unit, fig.unit) or same_dimension(question.unit, fig.unit) or (
            relaxed and fig.unit is None) or bool(  # 多少个部门: 八部门 counts 部门 with no measure word
            fig.kind == "count" and fig.unit and f"{question.unit}{fig.unit}" in question.text) or (
            fig.unit is None and question.unit_kind == "count" and _COUNTED.search(fig.before[-4:]) is not None) or bool(
            fig.unit is None and question.measure and fig.after.startswith(question.measure))
    return True


_INDEFINITE = re.compile(r"一\s*[^\W\d]?")
_COUNTED = re.compile(r"(?:人口|人数|数量|总数)[为是达有约近超]*$")  # 人口达2,790,060 counts people with no 人
_DATE_YEAR = re.compile(r"(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年")
_DATE_MONTH = re.compile(r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月")


def part_of_date(fig: Figure, part: str) -> Figure | None:
    """Return a date's year (1980年 of 1980年5月4日) or month (3月 of 2011年3月8日) as a figure of its own, its span
    within the date's, or None when the date has no such part."""
    if part == "year" and fig.value >= 10000 and (m := _DATE_YEAR.match(fig.text)):
        value, kind = float(int(fig.value) // 10000), "year"
    elif part == "month" and (int(fig.value) // 100) % 100 and (m := _DATE_MONTH.search(fig.text)):
        value, kind = float((int(fig.value) // 100) % 100), "month"
    else:
        return None
    start = fig.start + m.start()
    return replace(fig, text=m.group(), value=value, value_max=None, unit=m.group()[-1], kind=kind, start=start,
                   end=start + len(m.group()))
