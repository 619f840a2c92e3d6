"""What describes a candidate figure against a question: plain numbers (features), weighed by the fitted model."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from bot.answering.fit import CHANGE, found_share, share_found
from bot.answering.passages import gap
from bot.answering.question import Question
from index import (
    ENUMERATED,
    LIST_JOINER,
    PLAN_ASKED_WORDS,
    PLAN_WORDS,
    TOTAL_WORDS,
    Figure,
    alternation,
    direction,
    parse_number,
    place_names_in,
    same_dimension,
    same_unit,
    unit_kind,
)

_PLANNED = re.compile(alternation(PLAN_WORDS))
_TOPIC = re.compile(r"([^，,、；;：:。（）()]{2,20})[：:][^：:]*$")
_TOPIC_MARKS = "，,、；;：:。（）()"  # what ends a label (as _TOPIC's class says)
_NO_TOPIC = re.compile(r"^(?:其中|具体|主要|包括|分别|如下|详情如下|情况如下)$")
_ORDINAL_WORD = re.compile(r"第([0-9]+|[一二三四五六七八九十两]+)")
_PLAN_ASKED = re.compile(alternation(PLAN_ASKED_WORDS))
_START_ASKED = re.compile(r"开始|起始|从哪|从何|自哪|自何|何时起|哪天起|哪年起|始于")
_STARTS = re.compile(r"\s*(?:至|到|起|以来|开始|—|－|-|~|～)")
_FROM = re.compile(r"(?:自|从|于)$")
_UNTIL = re.compile(r"(?:至|到|截至|截止|截止到)$")
_RESPECTIVELY = re.compile(r"(?:分别|各)(?:为|是|占|占了|达|达到|有|增长|下降)?")
_CLAUSE_END = re.compile(r"[，,；;。]")
_ITEM_SPLIT = re.compile(LIST_JOINER)
_VALUE = re.compile(r"(?<![\d.])\d+(?:[,.]\d+)*|[一二两三四五六七八九十百千万]+(?=[^\W\d])")
KINDS = ("count", "measure", "money", "percent", "time", "number", "date", "year", "month", "ordinal", "code")

# The features, in the order of the model file's weights. Each is a number describing one candidate figure against
# the question (1/0 for a yes/no, a share or a closeness in 0..1 otherwise); the model weighs them.
FEATURES: tuple[str, ...] = (
    "unit kind matches",  # 多少钱 (money implied) and 5000元
    "unit kind differs",
    "counts something else",  # 人口 implies 人: 两省 is a count, but of provinces
    "implied unit",  # the implied unit itself (人 for 人口)
    "another unit of it",  # 多少米 answered in km: right kind, not the unit spoken
    "bare number",  # a unit kind asked, a figure with no unit
    "一 first, unit implied",  # 一个/一种 is usually the article "a"
    "一 first, unit spoken",
    "counted noun follows",  # 多少套公租房 -> 100套公租房
    "measure matches",  # its measure phrase is what the question names (0..1)
    "the other direction",  # 增长多少 and a fall
    "a plan, not a result",  # 计划/力争/目标 before it, and the question asks what was done
    "a plan asked, a plan given",  # 下半年还要落实多少套 -> 下半年将力争再落实40套
    "keyword before it",  # 厚度大约有1厘米: the quantity asked right before it
    "a rate of change",  # 同比增长多少 and a figure with a direction
    "a level, not a change",
    "verb before it",  # 死了多少人 -> 死亡29人
    "question words near",  # the question's words close to it, by weight (0..1.5)
    "words in its sentence",  # the share of the question's word weight its sentence holds
    "words in its clause",  # … its own clause holds
    "place named near",  # the asked place written close to it (0..1)
    "新增 asked, 新增 given",
    "新增 asked, other given",
    "total asked, total given",
    "total asked, 新增 given",
    "period same",  # its own sentence states the asked period
    "period of its issue",  # its issue's period is the asked one
    "period overlaps",
    "period other",
    "period words same",  # no period readable: the words compared
    "period words other",
    "period words none",
    "passage relevance",  # its passage's BM25 score over the best passage's (0..1; 0 for a chunk that is no hit)
    "article relevance",  # its article's best passage's score over the best passage's
    "found by the figure index",  # its passage came from the figure index (the place's measure), not the search
    "best passage",  # it stands in the passage ranked first
    "best article",  # it stands in the article of the passage ranked first (体长可达10公分 in an article about 溪银汉鱼)
    "passage rank",  # 1/(1+rank) of its passage among the hits, 0 when found otherwise
    "newest issue",  # its issue is the newest among the candidates
    "approximate",  # 约/近/余/多
    "a range",  # 900-3000元
    "position in sentence",  # where it starts, as a share of its sentence
    "its number is in the question",  # 1990年有多少人: the 1990 asked about is not the answer
    "the unit spoken",  # 多少公里 and 364.6公里
    "a question word right before it",  # 全长364.6公里: a weighed word ends at most two characters before it
    "a start asked, it starts a span",  # 从哪天开始统计: 2020年11月2日至2023年8月15日 -> 11月2日
    "a start asked, it ends a span",  # … not the 截至 date
    "its item of a 分别 list is asked",  # 制造业和营造业各占27.82%和8.90%: 营造业 asked -> 8.90%
    "another item of a 分别 list is asked",
    "a count its list implies",  # 在金海街道、南桥镇和奉城镇成立驿站: 3
    "the asked 第 before it",  # 第三剂接种了多少人 -> 第三剂203人
    "another 第 before it",  # … not 第一剂3560人
    *(f"kind {k}" for k in KINDS),
)
INDEX = {name: i for i, name in enumerate(FEATURES)}
# how its passage ranked, not how the figure fits: a series of one statistic over issues ignores them
PASSAGE_FEATURES = frozenset({"passage relevance", "article relevance", "found by the figure index", "best passage",
                              "best article", "passage rank", "newest issue"})


def describe(question: Question, fig: Figure, weights: dict[str, float], *, article: frozenset[str],
             period: str | None, period_fits: str | None) -> list[float]:
    """Return a figure's features for a question, in FEATURES order (the passage and set ones left at 0).

    weights are the question words' idf; article holds those its article contains; period_fits how its stated
    period stands to the asked one (same, issue, overlap or other; None: unknown, then the period words compare).
    """
    return Describer(question, weights, period).row(fig, article=article, period_fits=period_fits)


_I = INDEX
_PERIOD_FITS = {"same": _I["period same"], "issue": _I["period of its issue"], "overlap": _I["period overlaps"]}
_KIND_AT = {k: _I[f"kind {k}"] for k in KINDS}


class Describer:
    """The question's side of the features, read once; row() describes one candidate against it (describe's work,
    at a candidate's cost only: a 各区 question describes fifteen hundred)."""

    def __init__(self, question: Question, weights: dict[str, float], period: str | None) -> None:
        self.question, self.weights, self.period = question, weights, period
        self.long_terms = [t for t in weights if len(t) >= 2]
        self.total = sum(weights.values())
        self.asked = _asked_words(question.text)
        self.measure = question.measure or ""
        self.rate_asked = bool(question.keyword and CHANGE.search(question.keyword))
        self.unit_kind_implied = bool(question.unit_kind and not question.unit_spoken)
        self._covered: dict[str, float] = {}  # a sentence's coverage, for its every figure
        # coverage()'s words and their total, as fit.weighed_coverage reads them (the same sums, in the same order)
        self.covering = [w for w in question.content if w in weights]
        self.covering_total = sum(weights[w] for w in self.covering)

    def _coverage(self, text: str) -> float:
        found = self._covered.get(text)
        if found is None:
            found = self._covered[text] = share_found(self.covering, self.weights, self.covering_total, text)
        return found

    def row(self, fig: Figure, *, article: frozenset[str], period_fits: str | None) -> list[float]:
        """Return the figure's features (describe's row)."""
        q, weights, asked_words = self.question, self.weights, self.asked
        row = [0.0] * len(FEATURES)
        if self.unit_kind_implied and fig.unit is not None:
            if unit_kind(fig.unit) != q.unit_kind:
                row[_I["unit kind differs"]] = 1.0
            elif q.unit_kind == "count" and q.unit and not same_unit(q.unit, fig.unit):
                row[_I["counts something else"]] = 1.0
            else:
                row[_I["unit kind matches"]] = 1.0
            row[_I["implied unit"]] = float(bool(q.unit) and same_unit(q.unit, fig.unit))
        row[_I["another unit of it"]] = float(q.unit_spoken and not same_unit(q.unit, fig.unit)
                                              and same_dimension(q.unit, fig.unit))
        row[_I["bare number"]] = float(bool(q.unit_kind) and fig.kind == "number")
        if fig.text.startswith("一"):
            row[_I["一 first, unit spoken" if q.unit_spoken else "一 first, unit implied"]] = 1.0
        measure = self.measure
        row[_I["counted noun follows"]] = float(bool(measure) and measure in fig.after[:len(measure) + 2])
        row[_I["measure matches"]] = _measure_match(q, fig, weights)
        asked, given = asked_words.direction, direction(fig.qualifier or "")
        row[_I["the other direction"]] = float(bool(asked and given and asked != given))
        planned = float(bool(_PLANNED.search(fig.before)))
        row[_I["a plan asked, a plan given" if asked_words.plan else "a plan, not a result"]] = planned
        if q.keyword and q.keyword in fig.before:
            row[_I["keyword before it"]] = 1.0
        elif self.rate_asked:
            row[_I["a rate of change" if given else "a level, not a change"]] = 1.0
        row[_I["verb before it"]] = float(bool(q.verb) and (q.verb or "") in fig.before[-4:])
        row[_I["question words near"]] = _context(fig, weights, article, self.total)
        row[_I["words in its sentence"]] = self._coverage(fig.sentence)
        row[_I["words in its clause"]] = self._coverage(fig.before + fig.text + fig.after)
        if q.places:
            row[_I["place named near"]] = _place_near(asked_words.places, fig)
        if q.qualifier == "新增":
            row[_I["新增 asked, 新增 given" if fig.qualifier == "新增" else "新增 asked, other given"]] = 1.0
        elif q.qualifier == "total" or q.places:
            if fig.qualifier in TOTAL_WORDS:
                row[_I["total asked, total given"]] = 1.0
            elif fig.qualifier == "新增":
                row[_I["total asked, 新增 given"]] = 1.0
        if period_fits is not None:
            row[_PERIOD_FITS.get(period_fits, _I["period other"])] = 1.0
        elif self.period:
            row[_I["period words same" if fig.period == self.period else (
                "period words other" if fig.period else "period words none")]] = 1.0
        row[_I["approximate"]] = float(bool(fig.approx))
        row[_I["a range"]] = float(fig.value_max is not None)
        row[_I["position in sentence"]] = fig.start / max(len(fig.sentence), 1)
        row[_I["its number is in the question"]] = float(_written_in(fig, q.text))
        row[_I["the unit spoken"]] = float(q.unit_spoken and same_unit(q.unit, fig.unit))
        sentence, start = fig.sentence, fig.start
        row[_I["a question word right before it"]] = float(any(
            (at := sentence.rfind(term, 0, start)) >= 0 and start - at - len(term) <= 2 for term in weights))
        if asked_words.start:
            row[_I["a start asked, it starts a span"]] = float(bool(_STARTS.match(fig.after) or _FROM.search(fig.before)))
            row[_I["a start asked, it ends a span"]] = float(bool(_UNTIL.search(fig.before)))
        if (pairing := _paired(fig, weights)) is not None:
            row[_I["its item of a 分别 list is asked" if pairing else "another item of a 分别 list is asked"]] = 1.0
        row[_I["a count its list implies"]] = float(fig.qualifier == ENUMERATED)
        if asked_words.ordinals and (named := _ORDINAL_WORD.findall(fig.before)):
            row[_I["the asked 第 before it" if parse_number(named[-1]) in asked_words.ordinals
                   else "another 第 before it"]] = 1.0
        if (kind := _KIND_AT.get(fig.kind)) is not None:
            row[kind] = 1.0
        return row


def _paired(fig: Figure, weights: dict[str, float]) -> bool | None:
    """In 甲和乙分别/各…X和Y, tell whether the figure's item (the one in its place) holds a question word (True) or only
    another item does (False); None when the figure stands in no such pairing."""
    sentence = fig.sentence
    key = _RESPECTIVELY.search(sentence, 0, fig.start)
    if key is None or _CLAUSE_END.search(sentence, key.end(), fig.start):
        return None
    left = max(sentence.rfind(c, 0, key.start()) for c in "，。；：,;:") + 1
    items = [i for i in _ITEM_SPLIT.split(sentence[left:key.start()]) if i]
    if len(items) < 2 and left > 0:  # 以制造业和营造业为大宗，各占…: the items stand in the clause before
        before = max(sentence.rfind(c, 0, left - 1) for c in "，。；：,;:") + 1
        items = [i for i in _ITEM_SPLIT.split(sentence[before:left - 1]) if i]
    right = _CLAUSE_END.search(sentence, key.end())
    values = [m.start() for m in _VALUE.finditer(sentence, key.end(), right.start() if right else len(sentence))]
    if len(items) < 2 or len(items) != len(values) or fig.start not in values:
        return None
    mine = items[values.index(fig.start)]
    terms = [t for t in weights if len(t) >= 2]
    if any(t in mine for t in terms):
        return True
    return False if any(t in item for item in items for t in terms) else None


def _written_in(fig: Figure, text: str) -> bool:
    """Tell whether the figure's number is written in the text (as its digits, or as its span)."""
    number = fig.text.rstrip("年月日号个人元%％")  # 1990年 is asked as 1990年 or 1990
    return bool(number) and (number in text or (fig.value.is_integer() and str(int(fig.value)) in text
                                                 and fig.value >= 10))


def _measure_match(question: Question, fig: Figure, weights: dict[str, float]) -> float:
    """How far a figure's measure phrase is what the question names (租赁面积, 快递网点, 全长): 0 to 1."""
    if len(fig.measure) < 2:
        return 0.0
    if fig.measure in question.text or any(len(t) >= 2 and t in fig.measure for t in weights):
        return 1.0
    return max((found_share(t, fig.measure) for t in weights if len(t) >= 2), default=0.0)


def _context(fig: Figure, weights: dict[str, float], article: frozenset[str], total: float) -> float:
    """How close the question's words stand to the figure, most of all inside its own measure phrase (0 to 1.5)."""
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
    return score / total if total else 0.0


def _topic(sentence: str, start: int) -> str:
    """Return the label a list's items hang from (城市低保户数 in 城市低保户数：数量47,396，上期47,596), or ""."""
    # what _TOPIC.search(sentence, 0, start) finds, without trying it at every position: the label ends at the last
    # colon before the figure and runs back to a mark, at most 20 characters (tests/test_features.py holds them equal)
    colon = max(sentence.rfind("：", 0, start), sentence.rfind(":", 0, start))
    if colon < 2:
        return ""
    begin = max(colon - 20, max(sentence.rfind(mark, max(colon - 21, 0), colon) for mark in _TOPIC_MARKS) + 1)
    label = sentence[begin:colon]
    return label if len(label) >= 2 and not _NO_TOPIC.match(label) else ""


class _AskedWords(NamedTuple):
    places: tuple[str, ...]  # the place names the question writes
    direction: str | None  # up or down (增长, 下降)
    ordinals: frozenset[float]  # the 第 numbers it names (第三剂: 3)
    start: bool  # it asks when something began (从哪天开始, 自何时起)
    plan: bool  # it asks what is planned (还要, 计划, 目标, 预计)


@functools.lru_cache(maxsize=256)
def _asked_words(text: str) -> _AskedWords:
    """Read once per question what every candidate's features compare with."""
    ordinals = frozenset(n for w in _ORDINAL_WORD.findall(text) if (n := parse_number(w)) is not None)
    return _AskedWords(tuple(place_names_in(text)), direction(text), ordinals, bool(_START_ASKED.search(text)),
                       bool(_PLAN_ASKED.search(text)))


def _place_near(places: tuple[str, ...], fig: Figure) -> float:
    """How close the asked place is written to the figure (澳门市（澳门半岛）再划分为五个堂区, not the 两个 further on),
    by the name the question wrote (澳门市) or, failing that, by any shorter one it holds (澳门): 0 to 1."""
    distances = [d for name in places if (d := gap(fig.sentence, fig.start, fig.end, name)) is not None]
    return 1.0 / (1.0 + min(distances) / 6.0) if distances else 0.0
