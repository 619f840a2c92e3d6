"""Question analysis: what kind of answer a question wants, about which place, period and qualifier."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from index import (
    RELATIVE_YEARS,
    TOTAL_WORDS,
    TOWNS,
    Period,
    Segmenter,
    alternation,
    arabic_form,
    canonical,
    find_periods,
    place_matches,
    place_names_in,
    places_in,
    question_period,
    subjects_in,
    unit_kind,
    unit_names,
    within,
)

UNITS = unit_names()

# Words that ask, not describe: whole tokens only (有 goes, 国有企业 stays).
_ASKING = frozenset("多少钱 多少 几 多大 多长 多高 多重 多远 多久 什么时候 哪一天 哪天 哪一年 哪年 何时 叫什么 是什么 "
                    "什么 哪些 哪个 哪里 哪儿 谁 吗 呢 请问 一共 总共 共有 有 是 为 约 大约 大概 约为 左右".split())
_FIGURE_CUE = re.compile(r"多少|(?<!哪)几(?!乎)|多大|多长|多高|多重|多远|多久|"
                         r"百分之几|比例|占比|增幅|增长率|[^\W\d_]率\W*$|"
                         r"[^\W\d_](?<!多|少|无|函|系)数\W*$|[^\W\d_]额\W*$|[^\W\d_](?<!质|力)量\W*$")
# 高安10月群众满意率, 7月农村低保户数, 办件量: a query ending in its measure asks for the figure
_DATE_CUE = re.compile(r"哪一?天|哪一?日|什么时候|何时|几月几[日号]|什么日子|日期|什么时间|是几号|几号[印发出开召举编]")
_CODE_CUE = re.compile(r"(?:编号|代号|型号|番号|代码)(?:是|为)?(?:多少|什么)")
_ORDINAL_CUE = re.compile(r"第几|第多少|排第|排名第几|排名多少|排行第几|排多少位|位列第几|列第几")
_YEAR_CUE = re.compile(r"哪一?年|什么年份|几几年|何年|(?:西元|公元)(?:几|多少|哪一?)年")
_MONTH_CUE = re.compile(r"几月(?!几)|哪一?个月|哪月|什么月份")  # 几月开始: a month (几个月 is a length of time)
_NAME_CUE = re.compile(r"叫什么|什么名|名称|名字|称为什么|称作什么")
_LIST_CUE = re.compile(r"哪些|哪几|哪里|哪儿|什么地方|在哪")
_TEXT_CUE = re.compile(r"是什么|哪个|哪位|谁|什么")
_TOTAL_CUE = re.compile("|".join([*sorted(TOTAL_WORDS - {"共"}, key=len, reverse=True), "全部", "有多少"]))
# asking words blanked out of the focus text, so their trigrams (有多少) do not count as the subject's
_ASK_WORDS = re.compile(r"多少|什么|哪里|哪个|哪些|哪一|为什么|怎样|怎么|是谁|谁|几|吗|呢|如何")
_EVERY_PLACE = re.compile(r"各区|各个区|全市|所有区|每个区|各区县|各县区|各县市区|各县市|各旗县|各县|本市")
_CITY = re.compile(r"全市|本市")
_SUM_CUE = re.compile(r"一共|合计|总共|共计|总计|加起来|共有|累计|总数|总量|共多少|共几")
_EACH_CUE = re.compile(r"各有|分别|各自|各是|各为")
_PERIOD = re.compile(rf"(?:19|20)\d{{2}}年(?:上半年|下半年)?|{alternation(RELATIVE_YEARS)}")

# What a question may hold beside what it asks about: asking words, particles, punctuation. A question of nothing
# else (的了吗, 有多少个, ？？？, -x) names nothing to look for, and any passage would be a random one.
_NOT_CONTENT = re.compile(r"请问|多少|几|什么|哪|谁|怎么|怎样|如何|为什么|何时|一共|总共|共|大约|大概|约|"
                          r"吗|呢|吧|啊|呀|嘛|么|哦|的|了|是|有|为|[\W_]")
_CJK_CHAR = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def has_content(text: str) -> bool:
    """Whether a question names something to look for: a CJK character or two letters or digits, not a unit alone."""
    return any(word not in UNITS and (_CJK_CHAR.search(word) or len(word) >= 2)
               for word in _NOT_CONTENT.sub(" ", text).split())


# Keywords that imply the kind of figure when no unit is spoken: 面积多少 wants an area.
_KIND_HINTS: tuple[tuple[str, str, str | None], ...] = (
    (r"同比增长|同比下降|增长率|增速|增幅|占比|比重|比例|百分之|百分比|几成", "percent", "%"),
    (r"面积", "measure", "平方米"),
    (r"多少钱|价格|租金|房租|金额|投资|资金|费用|收入|工资|票价|成本|造价|经费|元", "money", "元"),
    (r"体长|身长|多长|全长|长度|总长|距离|多远|里程|海拔|多高|高度|身高|深度|宽度|多宽|厚度|多厚|直径|半径|口径|周长|"
     r"射程|跨度", "measure", None),
    (r"多重|重量|体重|产量", "measure", None),
    (r"比率|率是|率为|覆盖率|达标率|[^\W\d_频税汇功效]率", "percent", "%"),  # 解决率, 评价率: a rate
    (r"人口|人数|多少人|几人|员工|职工|快递员|快递小哥|人员|会员|党员|志愿者|居民|学生", "count", "人"),
    (r"(?:多少|几)年(?![轻级代])|多久|多少天|几天|多少岁|几岁|年龄|寿命|多少个月|几个月|(?:多少|几)个?小时|多少分钟",
     "time", None),
)


@dataclass(frozen=True, slots=True)
class Question:
    """An analysed question."""

    text: str
    terms: tuple[str, ...]  # retrieval terms
    content: tuple[str, ...]  # the words that describe what is asked (no asking words, places or units)
    phrases: tuple[str, ...]  # runs of those words that name one thing: 溪 + 银汉鱼 -> 溪银汉鱼
    wants: str  # figure | code | ordinal | date | year | month | name | list | text | passage
    measure: str | None  # the noun a count is asked of: 公租房 in 多少套公租房
    keyword: str | None  # the word naming the quantity asked: 厚度 in 火山灰厚度是多少
    unit: str | None  # the unit spoken in the question (多少套 -> 套), or implied (多少钱 -> 元)
    unit_kind: str | None  # count | measure | money | percent | time
    unit_spoken: bool  # True when the question says the unit itself, so other units are wrong
    places: tuple[str, ...]
    period: str | None
    qualifier: str | None  # 新增 | total | None
    focus: str = ""  # the question with its asking words blanked out, for phrase matching
    towns: tuple[str, ...] = ()  # towns named (七宝镇): their own figures, not their districts'
    every_place: bool = False  # 各区/全市: the figure of every district that has one
    city: bool = False  # 全市/本市: a city-wide figure, else the districts' sum
    sum_asked: bool = False  # 一共/合计 over several places (not 各有/分别, which asks each place's own)
    asked_period: Period | None = None  # the span asked about (2024年12月, 8月19日, 一季度, 1-11月), if any
    subjects: tuple[str, ...] = ()  # streets, towns, communities, zones and bodies asked about (棠浦镇, 市监局)
    verb: str | None = None  # a one-character verb before the asking word: 死 in 死了多少人 (死亡29人, not 受伤37人)
    rate: str | None = None  # the rate named: 接通率 (not answered by 办结率), 办结率 in 按期办结率是多少


def analyze(text: str, segmenter: Segmenter) -> Question:
    """Analyse a question's text (already stripped and non-empty)."""
    places = _asked_places(text)
    period_m = _PERIOD.search(text)
    qualifier = "新增" if "新增" in text else ("total" if _TOTAL_CUE.search(text) else None)
    if _DATE_CUE.search(text):
        wants = "date"
    elif _CODE_CUE.search(text):
        wants = "code"
    elif _ORDINAL_CUE.search(text):
        wants = "ordinal"
    elif _YEAR_CUE.search(text):
        wants = "year"
    elif _MONTH_CUE.search(text):
        wants = "month"
    elif _FIGURE_CUE.search(text):
        wants = "figure"
    elif _NAME_CUE.search(text):
        wants = "name"
    elif _LIST_CUE.search(text):
        wants = "list"
    elif _TEXT_CUE.search(text):
        wants = "text"
    else:
        wants = "passage"
    terms = tuple(dict.fromkeys(segmenter.terms(text)))
    # 十万人 is found as 10万人 too: the digits are searched for beside the words
    terms += tuple(dict.fromkeys(d for t in terms if (d := arabic_form(t)) is not None and d not in terms))
    words = segmenter.words(text)
    asked_period = question_period(text)
    if asked_period is not None and _BOUND.match(text, text.find(asked_period.text) + len(asked_period.text)):
        asked_period = None  # 1970年前, 2020年以后: a bound, not the span asked about
    # the words of a period (2024年12月) say when, not what: none of them is a content word
    in_period = _within(words, [(a, b) for a, b, _ in find_periods(text)])
    asked_at, unit_at, unit, kind, spoken = _asked(text, words)
    content: list[str] = []
    phrases: list[str] = []
    run: list[str] = []
    measure: str | None = None
    measure_at, measure_words = -1, 0
    for i, word in enumerate([*words, "的"]):
        if word in segmenter.stopwords or word in _ASKING or i in (asked_at, unit_at) or word in UNITS or i in in_period \
                or places_in(word) or _PERIOD.fullmatch(f"{word}年") or _EVERY_PLACE.fullmatch(word) \
                or _EACH_CUE.fullmatch(word):
            if len(run) > 1 and len("".join(run)) <= 10:
                phrases.append("".join(run))  # 溪 + 银汉鱼: the name is the whole run, not its parts
            run = []
            continue
        run.append(word)
        if len(word) > 1 or re.match(r"[A-Za-z0-9]", word):
            content.append(word)  # single characters (的, 了, 在 …) match everywhere; only runs keep them
            # (a unit that is a noun itself, 几个部门, leaves nothing more to count)
            if asked_at >= 0 and i > max(asked_at, unit_at) and len(unit or "") < 2:
                if measure is None and word not in _GENERIC_NOUNS:
                    measure, measure_at, measure_words = word, i, 1  # 多少套公租房: the noun after the unit is counted
                elif measure is not None and measure_at == i - 1 and measure_words == 1 \
                        and len(measure) + len(word) <= 6:
                    measure, measure_words = measure + word, 2  # 快递 + 驿站: a compound noun, at most two words
    return Question(text=text, terms=terms, content=tuple(dict.fromkeys(content)),
                    phrases=tuple(p for p in dict.fromkeys(phrases) if p not in content), wants=wants, measure=measure,
                    keyword=_keyword(text),
                    unit=unit,
                    unit_kind=kind, unit_spoken=spoken, places=places,
                    period=period_m.group() if period_m else None, qualifier=qualifier,
                    focus=_ASK_WORDS.sub(" ", text), every_place=bool(_EVERY_PLACE.search(text)),
                    city=bool(_CITY.search(text)), towns=tuple(n for n in place_names_in(text) if n in TOWNS),
                    sum_asked=bool(_SUM_CUE.search(text) or _CITY.search(text)) and not _EACH_CUE.search(text),
                    asked_period=asked_period, subjects=_asked_subjects(text),
                    verb=_verb(words, asked_at, segmenter.stopwords), rate=_rate(words))


def _rate(words: list[str]) -> str | None:
    """Return the rate a question names (接通率; 办结 + 率 -> 办结率), if any."""
    for i, word in enumerate(words):
        if word == "率" and i and re.fullmatch(r"[\u4e00-\u9fff]{2,4}", words[i - 1]):
            return words[i - 1] + word
        if len(word) >= 3 and word.endswith("率") and re.fullmatch(r"[\u4e00-\u9fff]+", word):
            return word
    return None


_PARTICLES = frozenset("了 过 掉 出 有 共 约 的 是 为 到 下".split())


def _verb(words: list[str], asked_at: int, stopwords: frozenset[str]) -> str | None:
    """Return the one-character verb right before the asking word (死 in 死了多少人, 拆 in 拆了几处), if any."""
    i = asked_at - 1
    while i >= 0 and words[i] in _PARTICLES:
        i -= 1
    word = words[i] if i >= 0 else ""
    if len(word) == 1 and "\u4e00" <= word <= "\u9fff" and word not in stopwords and word not in _ASKING \
            and word not in UNITS and not places_in(word):
        return word
    return None


# nouns that name a count itself, not what is counted (几种种类, 多少个数量): no measure
_GENERIC_NOUNS = frozenset("种类 类型 数量 数目 总数 个数 次数 人数 件数 多少 情况".split())
_BOUND = re.compile(r"以?[前后]|之[前后]|以来")
_COORDINATED = re.compile(r"^(?:和|与|及|以及|、|，|跟|同|还有|或|对比|比)$")


def _asked_subjects(text: str) -> tuple[str, ...]:
    """Return the streets, towns, zones and bodies a question names (宜丰新昌镇 is 新昌镇; a district is a place)."""
    out = []
    for subject in subjects_in(text):
        if subject.kind == "division" or subject.name in TOWNS:
            continue  # counties are places; Shanghai's towns are asked through their districts (towns)
        name = subject.name
        for m in place_matches(name):
            if m.start() == 0 and len(name) - m.end() >= 3:
                name = name[m.end():]  # 宜丰新昌镇: the county, then its town
        out.append(name)
    return tuple(out)


def _within(words: list[str], spans: list[tuple[int, int]]) -> set[int]:
    """Return the indexes of the words reaching into any of the character spans (words cover text in order): jieba
    may glue a period's last character to the next word (10月市监局 -> 10 月市 监局)."""
    out, at = set(), 0
    for i, word in enumerate(words):
        if any(at < b and a < at + len(word) for a, b in spans):
            out.add(i)
        at += len(word)
    return out


def _asked_places(text: str) -> tuple[str, ...]:
    """Return the places a question is about: the most specific of nested ones (攀枝花西区 is 西区; 宜春 in
    高安…受理宜春下派工单 is where the work came from), and several only when coordinated (徐汇和长宁)."""
    found = [(m.start(), m.end(), key) for m in place_matches(text) if (key := canonical(m.group()))]
    keys = [k for _, _, k in found]
    nested = {k for k in keys if any(within(other, k, keys) for other in keys if other != k)}
    kept = [(a, b, k) for a, b, k in found if k not in nested]
    if not kept:
        return ()
    out = [kept[0][2]]
    for (_, end, _), (start, _, key) in itertools.pairwise(kept):
        if key in out:
            continue
        if not _COORDINATED.match(text[end:start]):
            break  # 棠浦镇 … 市监局: only places listed together are asked together
        out.append(key)
    return tuple(out)


def _asked(text: str, words: list[str]) -> tuple[int, int, str | None, str | None, bool]:
    """Find the asking word's and the asked unit's indexes and the unit: spoken after 多少/几, else implied."""
    # The unit must be a whole word: 多少户外职工驿站 asks no 户.
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if word == "多少" or (word == "几" and "哪几" not in text):
            after = words[i + 2] if i + 2 < len(words) else ""
            if nxt == "个" and after in UNITS:
                return i, i + 2, after, unit_kind(after), True  # 多少个小时 asks hours, not a count of 个
            if nxt in UNITS:
                return i, i + 1, nxt, unit_kind(nxt), True
            return i, -1, *_implied(text), False
        for head in ("几", "多少"):  # jieba keeps 几个, 多少倍 as one word
            if word.startswith(head) and (unit := word[len(head):]) in UNITS:
                if unit == "个" and nxt in UNITS:
                    return i, i + 1, nxt, unit_kind(nxt), True  # 几个部门 counts 部门: the text says 7部门
                return i, i, unit, unit_kind(unit), True
    return -1, -1, *_implied(text), False


def _implied(text: str) -> tuple[str | None, str | None]:
    """Return the unit and kind a keyword implies (面积 -> 平方米, 多少钱 -> 元)."""
    for pattern, kind, unit_hint in _KIND_HINTS:
        if re.search(pattern, text):
            return unit_hint, kind
    return None, None


def _keyword(text: str) -> str | None:
    """Return the word that names what a figure measures (厚度, 体长, 面积, 人口), if the question has one."""
    for pattern, _, _ in _KIND_HINTS:
        # 多少人口 names 人口; the asking words (多少人, 多长) name nothing
        compiled = re.compile(pattern)  # (re caches it)
        starts = (compiled.match(text, i) for i in range(len(text)))  # overlapping matches: 多少人 and 人口
        named = [m.group() for m in starts if m and not m.group().startswith(("多", "几"))]
        if named:
            return named[0]
        if re.search(pattern, text):
            return None
    return None
