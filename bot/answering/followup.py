"""Follow-up questions (answering room): 松江呢, 2021年呢, 新增多少 said after a question, read as that question again."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.answering.question import Question, analyze
from index import (
    TOTAL_WORDS,
    Period,
    Segmenter,
    canonical,
    clean_text,
    find_periods,
    normalize_chars,
    place_matches,
    subjects_in,
    unit_kind,
    unit_names,
)

_UNITS = unit_names()
MAX_CHARS = 40  # a follow-up is a few words (那么嘉定区2021年上半年新增多少套呢): a longer text is a question of its own

# Words a follow-up says around what it changes (那松江的话呢, 还有2021年吗): they ask nothing of their own.
_FILLERS = frozenset("那 那么 那样 还有 的话 怎么样 怎样 如何 换成 改成 换 改 再 又 也 同样 呢 吧 呀 吗 啊 哦 嘛 的 了 是 有 请问 "
                     "问 看看 一下".split())
# A qualifier a follow-up may change: 新增 (what was added), or a word asking for the whole (一共, 累计, 总数 …).
_QUALIFIER = re.compile("|".join(["新增", *sorted(TOTAL_WORDS - {"共"}, key=len, reverse=True)]))
# Qualifiers that read well right before 多少 (一共多少, 累计多少); 总数/总量 do not (总数多少套 …): 一共 stands for them.
_ADVERBS = frozenset("新增 累计 一共 总共 共计 合计 共有 总计".split())
_ASKING = re.compile(r"多少|(?<![哪第])几(?!乎)")
# what stands between a qualifier and the asking word, taken out with the qualifier it follows: 有 in 青浦有多少套
_BEFORE_ASKING = re.compile(rf"(?:(?:{_QUALIFIER.pattern}|共)(?:有|了)?|有)$")
_EVERY_PLACE = re.compile(r"各区县|各县区|各县市区|各县市|各旗县|各个区|各区|各县|全市|本市|所有区|每个区|全区|全县")
_COORDINATED = re.compile(r"(?:和|与|及|以及|、|，|,|跟|同|还有|或)?")
_CJK_OR_WORD = re.compile(r"[\w\u3400-\u9fff]")
# any day: relative words (去年, 上个月, 本期) are found as periods only when read against one; only their spans matter
_ANY_DAY = Period(dt.date(2000, 6, 15), dt.date(2000, 6, 15), "day")


@dataclass(frozen=True, slots=True)
class _Slots:
    """What a follow-up changes: the place, the period, the qualifier, the asking word and unit (as written)."""

    where: str | None = None
    period: str | None = None
    qualifier: str | None = None  # 新增 | 一共 | 累计 …
    total: bool = False  # the qualifier asks for the whole (not 新增)
    asking: str | None = None  # 多少 | 几
    unit: str | None = None  # 套, 个小时: spoken after the asking word
    kind: str | None = None  # the unit kind an asking word asks for (多少钱: money), read once with the rest


def expand(previous: Question | str | None, text: str, segmenter: Segmenter) -> str:
    """Return the question to ask for text said right after previous: previous with what text changes (its place,
    period, qualifier or unit) put in, when text is elliptical (松江呢, 2021年呢, 新增多少套); otherwise text itself.

    A text that names anything to look for of its own (a measure, a content word) is a question of its own and is
    returned unchanged, as is one said after no question, or after one it cannot be carried into.
    """
    if previous is None:
        return text
    said = _clean(text)
    if not said or len(said) > MAX_CHARS:
        return text  # (reading a long text as places and periods costs time that grows with its square)
    before = previous if isinstance(previous, Question) else analyze(_clean(previous), segmenter)
    if not _names_something(before):
        return text  # 松江呢 after 青浦呢: nothing to carry over
    slots = _slots(said, segmenter)
    if slots is None:
        return text
    if slots.unit is None and slots.kind and slots.kind != before.unit_kind:
        return text  # 长宁多少钱 after 徐汇有多少个快递网点: money is asked now, not the count carried over
    full = _rewrite(before, slots)
    if full is None or (slots.where and _asked_places(full, segmenter) != _asked_places(slots.where, segmenter)):
        return text  # 开福 + 建成了多少: 开福建成 reads as 福建; better asked as said than as another place
    return full


def elliptical(text: str, segmenter: Segmenter) -> bool:
    """Whether text only changes a question said before (its place, period, qualifier or unit), naming nothing else."""
    said = _clean(text)
    return len(said) <= MAX_CHARS and _slots(said, segmenter) is not None


def _asked_places(text: str, segmenter: Segmenter) -> tuple[str, ...]:
    return analyze(text, segmenter).places


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", normalize_chars(clean_text(text))).strip()


def _changes(slots: _Slots) -> bool:
    return any((slots.where, slots.period, slots.qualifier, slots.unit))


def _names_something(question: Question) -> bool:
    """Whether a question names what it asks about (a measure, a keyword, content words): something to carry over."""
    return bool(question.measure or question.keyword or question.rate or _own_content(question))


def _own_content(question: Question) -> list[str]:
    """The content words of a question that are not its place, period, qualifier or a follow-up's filler."""
    periods = [question.text[a:b] for a, b in _period_spans(question.text)]
    return [w for w in question.content
            if w not in _FILLERS and not _QUALIFIER.fullmatch(w) and not any(w in p for p in periods)
            and not any(w in name for name in _where_names(question.text))]


def _slots(text: str, segmenter: Segmenter) -> _Slots | None:
    """Read what an elliptical text changes; None when it is a question of its own (or changes nothing)."""
    words = segmenter.words(text)
    lead = 0
    while lead < len(words) - 1 and words[lead] in _FILLERS:
        lead += 1
    # 那晋江呢: the words leading in say nothing, and the place reads as the start of what is asked, not inside a word
    text = "".join(words[lead:]) if lead else text
    question = analyze(text, segmenter)
    named = [w for w in (question.measure, question.keyword, question.rate) if w]
    if question.wants not in ("figure", "passage") or _own_content(question) \
            or (question.unit_spoken and _names_a_thing(question.unit)) \
            or any(_outside(text, w, [*_where_spans(text), *_period_spans(text)]) for w in named):
        return None  # it asks something else, names what to look for, or counts a thing (几个部门); 元 in 广元 is none
    where = _where_group(text)[0]
    period = next(iter(_period_spans(text)), None)
    asking = _ASKING.search(text)
    qualifier = _QUALIFIER.search(text)
    if qualifier is None and asking and (m := re.search(r"共(?:有|了)?$", text[:asking.start()])):
        qualifier = m  # 共多少: 共 alone is a qualifier only right before the asking word
    unit_span = _unit_after(text, asking.end(), question.unit) if asking and question.unit_spoken else None
    spans = [s for s in (where, period, qualifier and qualifier.span(), asking and asking.span(), unit_span) if s]
    if not _only_fillers(text, spans, segmenter):
        return None  # a word the analysis leaves out (a single character: 鱼呢) is still something named
    qualifier_word = qualifier.group().rstrip("有了") if qualifier else None
    slots = _Slots(where=text[where[0]:where[1]] if where else None,
                   period=text[period[0]:period[1]] if period else None,
                   qualifier=qualifier_word if qualifier_word in _ADVERBS or qualifier_word is None else "一共",
                   total=qualifier_word is not None and qualifier_word != "新增",
                   asking=asking.group() if asking else None,
                   unit=text[unit_span[0]:unit_span[1]] if unit_span else None,
                   kind=question.unit_kind if asking else None)  # (asked: 多少钱; not 元 in 广元市呢)
    return slots if _changes(slots) else None


def _only_fillers(text: str, spans: list[tuple[int, int]], segmenter: Segmenter) -> bool:
    """Whether every word of text outside spans is a filler, a stop word, a unit or punctuation."""
    at = 0
    for word in segmenter.words(text):
        start = text.find(word, at)
        start = at if start < 0 else start
        end = at = start + len(word)
        if any(a < end and start < b for a, b in spans):
            continue
        if _CJK_OR_WORD.search(word) and word not in _FILLERS and word not in segmenter.stopwords \
                and word not in _UNITS:
            return False
    return True


def _names_a_thing(unit: str | None) -> bool:
    """Whether a counting unit is a noun itself (几个部门), not a measure word (套, 个, 人次)."""
    return unit is not None and unit_kind(unit) == "count" and len(unit) >= 2 and not unit.endswith("次")


def _outside(text: str, word: str, spans: list[tuple[int, int]]) -> bool:
    """Whether word occurs in text other than within one of spans."""
    return any(not any(a <= m.start() and m.end() <= b for a, b in spans) for m in re.finditer(re.escape(word), text))


def _unit_after(text: str, at: int, unit: str | None) -> tuple[int, int] | None:
    """The span of the unit spoken right after the asking word (套, 个小时), if it is there."""
    if not unit:
        return None
    m = re.compile(rf"个?{re.escape(unit)}").match(text, at)
    return m.span() if m else None


def _period_spans(text: str) -> list[tuple[int, int]]:
    """The spans of the period phrases of text (2021年, 2022年12月, 一季度, 去年, 上个月), in order; none that reach
    into a place's name (那周 in 那周至呢)."""
    places = _where_spans(text)
    return [(a, b) for a, b, _ in find_periods(text, reference=_ANY_DAY)
            if not any(a < e and s < b for s, e in places)]


def _where_spans(text: str) -> list[tuple[int, int]]:
    """The spans of text's places: divisions, towns and streets, and words for all of them (全市, 各区)."""
    spans = [(m.start(), m.end()) for m in place_matches(text)]
    spans += [(s.start, s.end) for s in subjects_in(text) if s.kind not in ("body", "zone", "division")]
    spans += [m.span() for m in _EVERY_PLACE.finditer(text)]
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _where_names(text: str) -> list[str]:
    return [text[a:b] for a, b in _where_spans(text)]


def _where_group(text: str) -> tuple[tuple[int, int] | None, int]:
    """The span of the first places named together (徐汇和长宁, 上海市青浦区), if text names any, and where the words
    naming them end (after 邮政管理局 in 浦东邮政管理局, whose place is 浦东; 0 with no place)."""
    spans = _where_spans(text)
    if not spans:
        return None, 0
    start, end = spans[0]
    alone = True
    for a, b in spans[1:]:
        if _COORDINATED.fullmatch(text[end:a]) is None:
            break
        end, alone = b, False
    return (_place_in_body(text, start, end) if alone else None) or (start, end), end


def _place_in_body(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The place's own span inside a body's name (浦东 in 浦东邮政管理局): a follow-up changes the place, not the body."""
    if not any(s.kind == "body" and (s.start, s.end) == (start, end) for s in subjects_in(text)):
        return None
    key = canonical(text[start:end])
    for cut in range(end - 1, start + 1, -1):
        if canonical(text[start:cut]) == key:
            return start, cut
    return None


def _rewrite(question: Question, slots: _Slots) -> str | None:
    """Put the slots into the question's text; None when one of them has nowhere to go."""
    text = question.text
    edits: list[tuple[int, int, int, str]] = []  # (start, end, order at one place, replacement)
    where, after = _where_group(text)
    if slots.where:
        edits.append((*(where or (0, 0)), 0, slots.where))
    if slots.period:
        period = next(iter(_period_spans(text)), None)
        edits.append((*(period or (after, after)), 1, slots.period))
    asking = _ASKING.search(text)
    if slots.asking or slots.qualifier or slots.unit:
        if asking is None:
            return None  # 新增多少 after a question asking no figure (哪天召开会议): it does not carry over
        edits.extend(_asking_edits(question, asking, slots))
    for start, end, _, replacement in sorted(edits, key=lambda e: (e[0], e[2]), reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _asking_edits(question: Question, asking: re.Match[str], slots: _Slots) -> list[tuple[int, int, int, str]]:
    """The edits that change what a question asks: its qualifier (新增, 一共) and its unit."""
    text = question.text
    edits: list[tuple[int, int, int, str]] = []
    head = _BEFORE_ASKING.search(text, 0, asking.start())
    said = _QUALIFIER.search(head.group()) if head else None
    # 新增公租房多少套 says it elsewhere; so does 一共租赁了多少 (一共 again before 多少 would say it twice)
    already = (slots.qualifier == "新增" and question.qualifier == "新增") or (
        slots.total and said is None and _QUALIFIER.search(text[:asking.start()]) is not None
        and question.qualifier != "新增")
    total = next((m for m in _QUALIFIER.finditer(text, 0, asking.start()) if m.group() != "新增"), None)
    if slots.qualifier == "新增" and said is None and total is not None:
        # 嘉定累计建成多少个 -> 嘉定新增建成多少个: the whole's word gives way, rather than 累计建成新增多少
        return [(total.start(), total.end(), 2, "新增"), *_unit_edits(question, asking, slots)]
    if slots.qualifier and not already and (said is None or said.group() != slots.qualifier):
        start = head.start() if head else asking.start()
        # 青浦有多少 -> 青浦新增多少; a 新增 said elsewhere (新增公租房多少套) goes when the whole is asked
        edits.append((start, asking.start(), 2, slots.qualifier))
        if slots.total and (other := text.find("新增")) >= 0 and other < start:
            edits.append((other, other + 2, 2, ""))
    return [*edits, *_unit_edits(question, asking, slots)]


def _unit_edits(question: Question, asking: re.Match[str], slots: _Slots) -> list[tuple[int, int, int, str]]:
    """The edit that changes the unit a question asks in (多少套 -> 多少平方米), if the follow-up names one."""
    unit = _unit_after(question.text, asking.end(), question.unit) if question.unit_spoken else None
    if not slots.unit:
        return []
    return [(asking.start(), unit[1] if unit else asking.end(), 3, f"{slots.asking or asking.group()}{slots.unit}")]
