"""What describes a candidate figure against a question: plain numbers (features), weighed by the fitted model."""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from bot.fit import CHANGE, coverage, direction, found_share
from bot.passages import gap
from bot.question import Question
from index import (
    ENUMERATED,
    LIST_JOINER,
    TOTAL_WORDS,
    Figure,
    parse_number,
    place_names_in,
    same_dimension,
    same_unit,
    unit_kind,
)

_PLANNED = re.compile(r"计划|力争|目标|预计|争取|拟|将")
_TOPIC = re.compile(r"([^，,、；;：:。（）()]{2,20})[：:][^：:]*$")
_NO_TOPIC = re.compile(r"^(?:其中|具体|主要|包括|分别|如下|详情如下|情况如下)$")
_ORDINAL_WORD = re.compile(r"第([0-9]+|[一二三四五六七八九十两]+)")
_PLAN_ASKED = re.compile(r"还要|还将|计划|目标|预计|力争|打算|准备|将要|拟")
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
    row = [0.0] * len(FEATURES)

    def put(name: str, value: float | bool) -> None:
        row[INDEX[name]] = float(value)

    if question.unit_kind and not question.unit_spoken and fig.unit is not None:
        if unit_kind(fig.unit) != question.unit_kind:
            put("unit kind differs", 1)
        elif question.unit_kind == "count" and question.unit and not same_unit(question.unit, fig.unit):
            put("counts something else", 1)
        else:
            put("unit kind matches", 1)
        put("implied unit", bool(question.unit) and same_unit(question.unit, fig.unit))
    put("another unit of it", question.unit_spoken and not same_unit(question.unit, fig.unit)
        and same_dimension(question.unit, fig.unit))
    put("bare number", bool(question.unit_kind) and fig.kind == "number")
    if fig.text.startswith("一"):
        put("一 first, unit spoken" if question.unit_spoken else "一 first, unit implied", 1)
    measure = question.measure or ""
    put("counted noun follows", bool(measure) and measure in fig.after[:len(measure) + 2])
    put("measure matches", _measure_match(question, fig, weights))
    asked_words = _asked_words(question.text)
    asked, given = asked_words.direction, direction(fig.qualifier or "")
    put("the other direction", bool(asked and given and asked != given))
    planned = bool(_PLANNED.search(fig.before))
    if asked_words.plan:
        put("a plan asked, a plan given", planned)
    else:
        put("a plan, not a result", planned)
    if question.keyword and question.keyword in fig.before:
        put("keyword before it", 1)
    elif question.keyword and CHANGE.search(question.keyword):
        put("a rate of change" if given else "a level, not a change", 1)
    put("verb before it", bool(question.verb) and (question.verb or "") in fig.before[-4:])
    put("question words near", _context(fig, weights, article))
    put("words in its sentence", coverage(question, fig.sentence, weights))
    put("words in its clause", coverage(question, fig.before + fig.text + fig.after, weights))
    if question.places:
        put("place named near", _place_near(asked_words.places, fig))
    total = fig.qualifier in TOTAL_WORDS
    if question.qualifier == "新增":
        put("新增 asked, 新增 given" if fig.qualifier == "新增" else "新增 asked, other given", 1)
    elif question.qualifier == "total" or question.places:
        if total:
            put("total asked, total given", 1)
        elif fig.qualifier == "新增":
            put("total asked, 新增 given", 1)
    if period_fits is not None:
        put({"same": "period same", "issue": "period of its issue", "overlap": "period overlaps"}.get(
            period_fits, "period other"), 1)
    elif period:
        put("period words same" if fig.period == period else (
            "period words other" if fig.period else "period words none"), 1)
    put("approximate", bool(fig.approx))
    put("a range", fig.value_max is not None)
    put("position in sentence", fig.start / max(len(fig.sentence), 1))
    put("its number is in the question", _written_in(fig, question.text))
    put("the unit spoken", question.unit_spoken and same_unit(question.unit, fig.unit))
    put("a question word right before it", any(
        (at := fig.sentence.rfind(term, 0, fig.start)) >= 0 and fig.start - at - len(term) <= 2
        for term in weights))
    if asked_words.start:
        put("a start asked, it starts a span", bool(_STARTS.match(fig.after) or _FROM.search(fig.before)))
        put("a start asked, it ends a span", bool(_UNTIL.search(fig.before)))
    if (pairing := _paired(fig, weights)) is not None:
        put("its item of a 分别 list is asked" if pairing else "another item of a 分别 list is asked", 1)
    put("a count its list implies", fig.qualifier == ENUMERATED)
    if asked_words.ordinals and (named := _ORDINAL_WORD.findall(fig.before)):
        put("the asked 第 before it" if parse_number(named[-1]) in asked_words.ordinals else "another 第 before it", 1)
    if fig.kind in KINDS:
        put(f"kind {fig.kind}", 1)
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


def _context(fig: Figure, weights: dict[str, float], article: frozenset[str]) -> float:
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
    total = sum(weights.values())
    return score / total if total else 0.0


def _topic(sentence: str, start: int) -> str:
    """Return the label a list's items hang from (城市低保户数 in 城市低保户数：数量47,396，上期47,596), or ""."""
    m = _TOPIC.search(sentence, 0, start)
    return m.group(1) if m and not _NO_TOPIC.match(m.group(1)) else ""


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
