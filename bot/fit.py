"""How well one figure answers a question: a score made of named reasons, so --explain can show them."""

from __future__ import annotations

import datetime as dt
import re

from bot.passages import gap
from bot.question import Question
from index import TOTAL_WORDS, Figure, Library, place_names_in, same_dimension, same_unit, unit_kind

_PLANNED = re.compile(r"计划|力争|目标|预计|争取|拟|将")
_YEAR = re.compile(r"(\d{4})年")
_CHANGE = re.compile(r"同比|增长|增速|增幅|下降|减少")
_UP = re.compile(r"增长|增加|提高|上升|提升")
_DOWN = re.compile(r"下降|减少|降低|回落")

MEASURE_WEIGHT = 0.5
Reasons = tuple[tuple[str, float], ...]


def weight(term: str, library: Library) -> float:
    """Return how telling a question word is: its idf, or for a phrase the idf of its rarest bigram."""
    idf = library.searcher.idf(term) or max(
        (library.searcher.idf(term[i:i + 2]) for i in range(len(term) - 1)), default=0.0)
    return max(idf, 0.3) if idf else 1.0


def coverage(question: Question, sentence: str, weights: dict[str, float]) -> float:
    """Return the share of the question's word weight found in a sentence, by words or their bigrams."""
    words = [w for w in question.content if w in weights]  # the words the caller weighs (a rate keyword's are not)
    total = sum(weights[w] for w in words)
    return sum(weights[w] * _found(w, sentence) for w in words) / total if total else 1.0


def _found(word: str, text: str) -> float:
    """Return 1.0 if word is in text, else the share of its bigrams that are (快递网点 in 快递末端网点: 2/3)."""
    if word in text:
        return 1.0
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
    if question.wants in ("ordinal", "code"):
        return fig.kind == question.wants
    if fig.kind in ("date", "year", "ordinal", "code"):
        return False
    if fig.kind == "percent" and question.keyword and _CHANGE.search(question.keyword) \
            and not _direction(fig.qualifier or ""):
        return False  # 签订率同比增长多少 is not answered by 签订率达到85%: a level is no change
    if question.unit_spoken:  # 多少米 is answered by 40km too, a length in another unit
        return same_unit(question.unit, fig.unit) or same_dimension(question.unit, fig.unit) or (
            relaxed and fig.unit is None)
    return True


def fit(question: Question, fig: Figure, weights: dict[str, float], *, article: frozenset[str],
        period: str | None, period_fits: str | None = None) -> Reasons:
    """Return the reasons a figure answers the question, each with its weight (the score is their sum).

    article holds the weighted words the figure's article contains; period_fits whether its stated period is the
    asked one (same, issue, overlap or other; None: unknown, then the period words are compared).
    """
    reasons: list[tuple[str, float]] = []

    def add(reason: str, value: float) -> None:
        if value:
            reasons.append((reason, round(value, 3)))

    if question.unit_kind and not question.unit_spoken and fig.unit is not None:
        if unit_kind(fig.unit) != question.unit_kind:
            add("unit kind differs", -1.0)
        elif question.unit_kind == "count" and question.unit and not same_unit(question.unit, fig.unit):
            add("counts something else", 0.5)  # 人口 implies 人: 两省 is a count, but of provinces
        else:
            add("unit kind matches", 1.5)
        if question.unit and same_unit(question.unit, fig.unit):
            add("implied unit", 0.5)
    if question.unit_spoken and not same_unit(question.unit, fig.unit) and same_dimension(question.unit, fig.unit):
        add("another unit of it", -1.0)
    if question.unit_kind and fig.kind == "number":
        add("bare number", -0.5)  # a bare number is a weaker answer than one with the asked kind of unit
    if fig.text.startswith("一"):
        add("一 (often 'a')", -0.4 if question.unit_spoken else -0.7)  # 一个/一种 is usually the article "a"
    if question.measure and question.measure in fig.after[:len(question.measure) + 2]:
        add("counted noun follows", 1.0)  # 多少套公租房 -> 100套公租房: the noun right after the unit
    add("measure matches", _measure_match(question, fig, weights))
    if (asked := _direction(question.text)) and (given := _direction(fig.qualifier or "")) and asked != given:
        add("the other direction", -0.5)  # of a rise and a fall of one thing, 增长多少 wants the rise
    if _PLANNED.search(fig.before):
        add("a plan, not a result", -0.8)  # 计划年底前提升至80% is a target, not what happened
    if question.keyword and question.keyword in fig.before:
        add("keyword before it", 1.0)  # 厚度大约有1厘米: the quantity asked is named right before the figure
    elif question.keyword and _CHANGE.search(question.keyword):
        # 同比增长多少 is answered by 同比下降12.5% (a change, whichever way), not by 满意率达到98.6% (a level)
        add("a rate of change" if _direction(fig.qualifier or "") else "a level, not a change",
            1.0 if _direction(fig.qualifier or "") else -1.0)
    if question.verb and question.verb in fig.before[-4:]:
        add("verb before it", 0.5)  # 死了多少人 -> 死亡29人, not 受伤37人 beside it
    add("question words near", _context(fig, weights, article))
    if question.places:
        add("place named near", _place_near(question, fig))
    total = fig.qualifier in TOTAL_WORDS
    if question.qualifier == "新增":
        add("新增 asked", 1.5 if fig.qualifier == "新增" else -0.5)
    elif question.qualifier == "total" or question.places:
        add("total asked", 1.0 if total else (-0.8 if fig.qualifier == "新增" else 0.0))
    if period_fits is not None:  # 上半年 asked: 2017年1至6月 is it, whatever the words; 5月15日 is within 2007年
        # a period its own sentence states is surer than its issue's (发生较大事故2起 under 1-6月 may be June's)
        add("period", {"same": 1.0, "issue": 0.5, "overlap": 0.0}.get(period_fits, -0.7))
    elif period:
        add("period", 1.0 if fig.period == period else (-0.7 if fig.period else -0.2))
    return tuple(reasons)


def _direction(text: str) -> str | None:
    if _UP.search(text):
        return "up"
    return "down" if _DOWN.search(text) else None


def _measure_match(question: Question, fig: Figure, weights: dict[str, float]) -> float:
    """Reward a figure whose measure phrase is what the question names (租赁面积, 快递网点, 全长): 0 to 1."""
    if len(fig.measure) < 2:
        return 0.0
    if fig.measure in question.text or any(len(t) >= 2 and t in fig.measure for t in weights):
        return MEASURE_WEIGHT
    return MEASURE_WEIGHT * max((_found(t, fig.measure) for t in weights if len(t) >= 2), default=0.0)


def _context(fig: Figure, weights: dict[str, float], article: frozenset[str]) -> float:
    """Reward question words close to the figure, most of all inside its own measure phrase (0 to 4.5)."""
    # A word elsewhere in the figure's article counts a little: the article is about it (体长可达10公分 in an
    # article about 溪银汉鱼 answers 溪银汉鱼的体长).
    score = 0.0
    topic = _topic(fig.sentence, fig.start)
    for term, w in weights.items():
        distance = 0 if term in topic else gap(fig.sentence, fig.start, fig.end, term)
        best = max(1.0 / (1.0 + distance / 6.0) if distance is not None else 0.0, 0.4 if term in article else 0.0)
        if term in fig.before or term in fig.after:
            best += 0.5
        score += w * best
    total = sum(weights.values())
    return 3.0 * score / total if total else 0.0


_TOPIC = re.compile(r"([^，,、；;：:。（）()]{2,20})[：:][^：:]*$")
_NO_TOPIC = re.compile(r"^(?:其中|具体|主要|包括|分别|如下|详情如下|情况如下)$")


def _topic(sentence: str, start: int) -> str:
    """Return the label a list's items hang from (城市低保户数 in 城市低保户数：数量47,396，上期47,596), or ""."""
    m = _TOPIC.search(sentence, 0, start)
    return m.group(1) if m and not _NO_TOPIC.match(m.group(1)) else ""


def _place_near(question: Question, fig: Figure) -> float:
    """Reward the asked place written close to the figure (澳门市（澳门半岛）再划分为五个堂区, not the 两个 further on),
    by the name the question wrote (澳门市) or, failing that, by any shorter one it holds (澳门): 0 to 0.5."""
    distances = [d for name in place_names_in(question.text)
                 if (d := gap(fig.sentence, fig.start, fig.end, name)) is not None]
    return 0.5 / (1.0 + min(distances) / 6.0) if distances else 0.0
