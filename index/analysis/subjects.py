"""Subjects a figure belongs to: the places below county level and the bodies bulletins name in lists and tables."""
# Pure functions, run at ingest on every sentence: rules on how bulletins write, each pattern compiled once.

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Suffix -> kind. A bulletin writes a subject as its own name plus one of these (棠浦镇, 城管执法局); the longest
# suffix wins, so 金沙社区居民委员会 is one community and not 金沙社区 followed by a 居民委员会.
_KINDS: dict[str, str] = {
    **dict.fromkeys(["街道办事处", "街道办", "街道", "街办"], "street"), "镇": "town", "乡": "township",
    **dict.fromkeys(["社区居民委员会", "社区居委会", "居民委员会", "居委会", "居委", "社区"], "community"),
    **dict.fromkeys(["村民委员会", "村委会", "村委", "村"], "village"),
    **dict.fromkeys(["开发区", "工业区", "园区", "片区", "林场", "农场"], "zone"),
    **dict.fromkeys(["委员会", "委会", "办公室", "公司", "中心", "局", "委", "办", "队", "所", "院", "部"], "body"),
    **dict.fromkeys(["旗", "县", "区", "市"], "division"),
}
# the short form each long one is matched by: 瑞州街办 is 瑞州街道, 金沙社区居委会 is 金沙社区
_CANONICAL_SUFFIX = {**dict.fromkeys(["街道办事处", "街道办", "街办"], "街道"), "村民委员会": "村", "村委会": "村", "村委": "村",
                     **dict.fromkeys(["社区居民委员会", "社区居委会", "居民委员会", "居委会", "居委"], "社区")}
# A one-character suffix is also the end of common words: 局长, 部门, 委托, 办理, 所有, 院长, 队伍 are no bodies.
_NOT_AFTER = {"局": "长面势部限", "委": "员托屈派", "办": "理结件公事法好实案证照班了过得的完成妥", "所": "有在属以得谓长需",
              "院": "长士子落内外", "部": "门分署长位件委级", "队": "员伍列长", "中心": "组城区"}


def _suffixes(*kinds: str) -> str:
    """Return the pattern for the suffixes of kinds (all if none), longest first."""
    return "|".join(re.escape(s) + (f"(?![{_NOT_AFTER[s]}])" if s in _NOT_AFTER else "")
                    for s in sorted(_KINDS, key=len, reverse=True) if not kinds or _KINDS[s] in kinds)


_SUFFIX_RE = _suffixes()
_SUFFIX = re.compile(_SUFFIX_RE)
# a body's own part written on: 公安局西区分局, 区委组织部
_PART = re.compile(f"[\u4e00-\u9fff]{{1,5}}?(?:{_suffixes('body')})")
_NAME = re.compile(rf"(?P<stem>[\u4e00-\u9fff]+?)(?P<suffix>{_SUFFIX_RE})")
# The name ends at its suffix and begins after the nearest non-Chinese character (punctuation, a number, a tab,
# a space), or after a word no name holds. _STRONG words (and common verbs of bulletins) are never in a name: it
# starts after them or not at all (摸排的园区 is no park). _WEAK ones begin some names (和平街道, 向化镇, 同安乡,
# 将乐县): cut after one only when what is left is still a name. _JOIN words join list items, and also a body's
# portfolios (人力资源和社会保障局): there they cut only when no portfolio comes before (问题和松江局); and at a
# run's start only right after an item (大队和九龙园区), for after punctuation they begin a name (和平新村).
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]*\Z")
_STRONG = ("其中|涉及|分别为|分别是|分别|包括|以及|由于|会同|牵头|召开|开展|推动|推进|通过|要求|督促|协调|配合|落实|强化|"
           "加强|深入|深化|走进|进入|入驻|依托|结合|围绕|针对|聚焦|整合|对接|接收|转派|交由|移交|成立|设立|组建|设有|建有|拥有|"
           "的|了|由|对|在|被|请|是|为|等|并|据|按|含")
_WEAK = "向|将|以|于|至|到|同|给|把|让|比|较|共|从|联合"
_JOIN = "和(?!谐)|与|及(?!时|格)"
# the portfolios official names join with 和: 人力资源和社会保障局, 农业农村和交通运输局, 教育和体育局
_PORTFOLIO = re.compile("(?:人力资源|住房|自然资源|农业农村|教育|文化|发展|卫生|科学技术|科技|经济|商务|民族|财政|水利|交通|"
                        "工业|应急|市场|司法|规划)\\Z")
_WORD = re.compile(f"(?P<strong>{_STRONG})|(?P<join>{_JOIN})|{_WEAK}")
# 各街道, 全镇, 本村, 我局, 该局, 哪个街道: "each/all/this/our/which" before a suffix is no name (全椒县 is lost)
_DEICTIC = re.compile("各|全|本|我|该|每|此|哪|什么|几个|多少|其他|其余|相关|有关|上述|以上|所属|所在|属地|辖区|部分|多个|个别")
# after a number, the unit or date word of the item before it: 市监局521件，… or 4月14日的九龙园区
_UNIT = re.compile(r"[万亿]?(?:人次|[件个家次人起项户条名份处座台辆套批组例年月日号天元岁期])?[余多]?")
# kind words only (乡镇园区, 街道社区): a sum of kinds, not a name
_ONLY_KINDS = re.compile(r"(?:街道|街办|社区|园区|片区|[乡镇村街区县市旗园场])+")
# names that end like a subject but are common nouns (城乡, 农村, 干部 …); not 城镇 (奉城镇), 山村 (高山村),
# 城区 (东城区) or 山区 (黄山区), which end real names
_GENERIC_TAILS = frozenset([*"城乡 家乡 故乡 下乡 老乡 返乡 乡镇 村镇 农村 乡村 干部 内部 外部 局部 全部 总部 本部 东部 西部 南部 "
                             "北部 中部 团队 排队 入院 出院 住院 有所 场所 住所 厕所 处所 地区 市区 小区 景区 辖区 郊区 灾区 城市 "
                             "都市 超市 格局 布局 大局 开局 全局 结局 新局 合部".split(),
                            # 办 after a verb is the verb's object: 交办, 督办, 一网通办, 马上办
                            *(c + "办" for c in "交督承转催查包代开创举主合协领帮通上次再立即好快难能可要已未不没公民")])
# a kind of place, not a place: 大型居住社区, 示范村, 特色小镇; and a place's generic body: 街道党群服务中心
_GENERIC_PLACE = re.compile("(?:居住|城市|农村|老旧|新型|大型|周边|重点|示范|试点|文明|和谐|智慧|美丽|数字|平安|特色|偏远|贫困|小)"
                            "(?:社区|村|镇|乡|街道|园区|片区)\\Z|\\A(?:街道|社区|乡镇|村委|居委)")
_DEICTIC_END = re.compile("(?:各|每|该|其他|其余|相关|有关|上述|所属)\\Z")  # 瑶海区各街道: each street of a district
# a division is an item of its own only before its figure or as a table's cell (乌拉特中旗2件, 杭锦后旗\t3); else
# it is where something is (杨浦区新增…), a scope (青浦区内) or a kind of area (设有休息区、充电区)
_LIST_END = re.compile(r"[ \u3000]*(?:\d|[\t\n]|\Z)")
# a district, county or city written before a place (杨浦区五角场街道, 西区清香坪街道) is not part of its name;
# 区内, 市直, 市场 are words, not divisions
_DIVISION_BEFORE = re.compile(r".*[区县市旗](?![内外域级直属委场民政容管])(?=[\u4e00-\u9fff]{2})")
_LONGEST = 12  # the longest name, suffix included


@dataclass(frozen=True, slots=True)
class Subject:
    """A place or body named in text, at text[start:end], with the key it is matched by."""

    name: str  # as written: 五角场街道, 金沙社区居民委员会, 城管执法局
    kind: str  # street | town | township | community | village | zone | body | division
    start: int
    end: int
    key: str  # 瑞州街办 -> 瑞州街道, 金沙社区居委会 -> 金沙社区, 区市场监管局 -> 市监局


# The forms one body goes by, safe because a county (district, city) has one of each: 城管执法局 is its 城管局.
# Keys are the short forms bulletins use; a name not listed keeps its own.
_ALIASES: dict[str, str] = {alias: short for short, aliases in {
    "市监局": "市场监督管理局 市场监管局",
    "人社局": "人力资源和社会保障局 人力资源社会保障局",
    "住建局": "住房和城乡建设局 住房城乡建设局",
    "城管局": "城市管理局 城管执法局 城市管理行政执法局 城市管理综合行政执法局 综合行政执法局",
    "教体局": "教育体育局 教育和体育局",
    "卫健委": "卫生健康委员会 卫生健康委 卫生健康局 卫健局",
    "发改委": "发展和改革委员会 发展改革委 发展和改革局 发展改革局 发改局",
    "审批局": "行政审批局 行政审批服务局",
    "医保局": "医疗保障局", "应急局": "应急管理局", "交警大队": "交通警察大队", "消防大队": "消防救援大队",
}.items() for alias in aliases.split()}
# what a body's name may begin with that another mention leaves out: 县委 (县委宣传部), a division (西区行政审批局,
# 合肥市城管局) or its level alone (区住建局); never 市场 or 市政, which are words
_BODY_PREFIX = re.compile(r"[\u4e00-\u9fff]{0,4}?[省市区县旗州]委(?!员)|(?:[东西南北]|[\u4e00-\u9fff]{2,4})[区县市旗]"
                          r"(?![内外域级直属委场民容管])|[省区县旗州](?![内外域级直属])|市(?![场民容直级属管]|政(?!府))")


def _key(stem: str, suffix: str, kind: str) -> str:
    if kind != "body":
        return stem + _CANONICAL_SUFFIX.get(suffix, suffix)
    name = stem + suffix
    while name not in _ALIASES:
        m = _BODY_PREFIX.match(name)
        if m is None or len(name) - m.end() < 3:  # 市监局 keeps its 市: 监局 is nothing
            return name
        name = name[m.end():]
    return _ALIASES[name]


def _valid(stem: str, suffix: str, kind: str) -> bool:
    """Tell whether stem + suffix can be a name of its kind (the stem already cut at its left boundary)."""
    if kind == "body":
        fits = 2 <= len(stem) <= _LONGEST - len(suffix)
    elif kind == "division":
        fits = 2 <= len(stem) <= 6 or stem in ("东", "西", "南", "北")
    else:
        fits = 2 <= len(stem) <= 5  # towns and villages have names of two to four characters, rarely five
    name = stem + suffix
    return (fits and not _DEICTIC.match(name) and not _DEICTIC_END.search(stem) and not _ONLY_KINDS.fullmatch(stem)
            and name[-2:] not in _GENERIC_TAILS and not _GENERIC_PLACE.search(name))


def _start(text: str, floor: int, m: re.Match[str], kind: str) -> int | None:
    """Return where the name ending in suffix m begins, text[floor:] being free of earlier names (None: no name)."""
    lo = max(floor, m.start() - _LONGEST)
    run = _CJK_RUN.search(text, lo, m.start())
    start = run.start() if run else m.start()
    # else the run is longer than any name and where the name begins is unknown
    bounded = start > lo or lo == floor or not "\u4e00" <= text[lo - 1] <= "\u9fff"
    after_item = start == floor or (start > 0 and text[start - 1].isdigit())
    unit = _UNIT.match(text, start, m.start()) if after_item and start != floor else None
    start = unit.end() if unit else start
    cuts = [(w.end(), w["strong"] is not None) for w in _WORD.finditer(text, start, m.start())
            if not (w["join"] and ((kind == "body" and _PORTFOLIO.search(text, start, w.start()))
                                   or (w.start() == start and not after_item)))]
    for cut, strong in reversed(cuts):
        cut = _after_division(text, cut, m.start(), kind)
        if _valid(text[cut:m.start()], m.group(), kind):
            return cut
        if strong:
            return None
    start = _after_division(text, start, m.start(), kind)
    return start if bounded and _valid(text[start:m.start()], m.group(), kind) else None


def _after_division(text: str, start: int, stem_end: int, kind: str) -> int:
    if kind == "body":
        return start
    m = _DIVISION_BEFORE.match(text, start, stem_end)
    return m.end() if m and m.end() - start >= 2 else start


@functools.lru_cache(maxsize=1024)
def _subjects(text: str) -> tuple[Subject, ...]:
    found: list[Subject] = []
    floor = 0
    for m in _SUFFIX.finditer(text):
        kind = _KINDS[m.group()]
        part = _PART.match(text, m.end()) if kind in ("body", "division") else None
        if _SUFFIX.match(text, m.end()) or (part and not _WORD.search(text, m.end(), part.end())):
            continue  # the name goes on: 新村街道, 安委会办公室, 区委组织部, 公安局西区分局
        start = _start(text, floor, m, kind)
        if start is None or (kind == "division" and not _LIST_END.match(text, m.end())):
            continue
        if kind == "body" and start == floor and found and found[-1].end == floor and found[-1].kind != "body":
            floor = m.end()  # a place's own body (田林街道党工委, 新泾镇共同配送中心): the place is the subject
            continue
        stem = text[start:m.start()]
        found.append(Subject(stem + m.group(), kind, start, m.end(), _key(stem, m.group(), kind)))
        floor = m.end()
    return tuple(found)


def subjects_in(text: str) -> list[Subject]:
    """Return the places and bodies text names, in order; they never overlap."""
    return list(_subjects(text))


# a clause ends at these; 、 and 和 join the items of one list inside a clause
_CLAUSE_BREAK = re.compile(r"[，,；;：:。！？!?\n（）()]")
# between two items of one list: a link, or links around items that are no subject (区市场监管局、区残联、区卫生健康局)
_LINK = r"\s*(?:以及|[、和及与])\s*"  # 以及 before 及
_CHAIN_GAP = re.compile(rf"{_LINK}(?:[\u4e00-\u9fff]{{1,12}}?{_LINK})*")
# a list with an item for many (格里坪镇、各街道…申请6988件): its figure is all of theirs, no one subject's
_WIDER_ITEM = re.compile(rf"{_LINK}(?:各|其他|其余|相关|有关)")
_OPENING_GAP = re.compile(rf"(?:[^\u4e00-\u9fff]|[一二三四五六七八九十]+、|{_STRONG}|{_WEAK})*")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# a clause about the whole (全县, 我市) or its total is no one item's; 见附件2 and 第四次 are references
_WHOLE = re.compile(r"全[省市区县镇乡村旗]|[我本][省市区县镇乡村旗]|合计|总计")
_REFERENCE = re.compile(r"(?:附件|附表|表|图|第)\s*\Z")


def subjects_of(sentence: str, start: int, end: int) -> tuple[Subject, ...]:
    """Return the subjects the figure at sentence[start:end] belongs to: () when its clause names none."""
    # In order: a table row's label (瑞州街办\t99\t94.95%); the list item before the figure in its clause
    # (市监局521件，河洲街道257件), or all of a list (双峰林场、市监局、供电公司各1件) unless 分别 deals its figures
    # out; the subject a bracket follows (城管执法局（247件）); the list opening an earlier clause of the sentence,
    # if it is all that clause names (帅鑫片区1组，检查企业37家 — not 市监局521件，河洲街道257件).
    subjects = _subjects(sentence)
    if not subjects or _REFERENCE.search(sentence, 0, start) or sentence.startswith("第", start):
        return ()
    row = sentence.rfind("\n", 0, start) + 1
    tab = sentence.find("\t", row, start)
    if tab >= 0:  # a table row, the figure after its first cell
        return tuple(s for s in subjects if row <= s.start and s.end <= tab)[-1:]
    breaks = list(_CLAUSE_BREAK.finditer(sentence, 0, start))
    left = breaks[-1].end() if breaks else 0
    if _WHOLE.search(sentence, left, start):
        return ()
    own = [s for s in subjects if left <= s.start and s.end <= start]
    if own:
        return _dealt(_chain(sentence, own, backward=True), sentence, own[-1].end, start, end)
    if breaks and breaks[-1].group() in "（(" and (after := tuple(s for s in subjects if s.end == breaks[-1].start())):
        return after
    for i in range(len(breaks) - 1, -1, -1):
        if breaks[i].group() in "。！？!?":
            break  # a subject does not carry into the next sentence
        begin = breaks[i - 1].end() if i else 0
        clause = [s for s in subjects if begin <= s.start and s.end <= breaks[i].start()]
        if clause and _OPENING_GAP.fullmatch(sentence, begin, clause[0].start):
            chain = _chain(sentence, clause, backward=False)
            return _dealt(chain, sentence, left, start, end) if len(chain) == len(clause) else ()
    return ()


def subject_of(sentence: str, start: int, end: int) -> Subject | None:
    """Return the first subject the figure at sentence[start:end] belongs to, or None (see subjects_of)."""
    return next(iter(subjects_of(sentence, start, end)), None)


def _chain(sentence: str, subjects: list[Subject], *, backward: bool) -> tuple[Subject, ...]:
    """Return the list the last (backward) or first subject is an item of; () if an item of it stands for many."""
    chain = [subjects[-1] if backward else subjects[0]]
    for s in reversed(subjects[:-1]) if backward else subjects[1:]:
        a, b = (s, chain[-1]) if backward else (chain[-1], s)
        if not _CHAIN_GAP.fullmatch(sentence, a.end, b.start):
            break
        chain.append(s)
    items = sorted(chain, key=lambda s: s.start)
    wider = _WIDER_ITEM.search(sentence, items[0].end, items[-1].end) or _WIDER_ITEM.match(sentence, items[-1].end)
    return () if wider else tuple(items)


def _dealt(chain: tuple[Subject, ...], sentence: str, after: int, start: int, end: int) -> tuple[Subject, ...]:
    """Return the one item of chain that 分别 gives the figure (分别为2.89%和56.32%), else the whole chain."""
    word = sentence.find("分别", after, start)
    if word < 0 or len(chain) < 2:  # () too
        return chain
    stop = _CLAUSE_BREAK.search(sentence, end)
    numbers = [m.start() for m in _NUMBER.finditer(sentence, word, stop.start() if stop else len(sentence))]
    mine = [i for i, at in enumerate(numbers) if start <= at < end]
    return (chain[mine[0]],) if len(numbers) == len(chain) and mine else chain


def _parse(name: str) -> tuple[str | None, str, str]:
    """Return a name's kind, stem and key; a bare name (棠浦, 金沙) has no kind and is its own stem and key."""
    m = _NAME.fullmatch(name.strip())
    if m is None:
        return None, name.strip(), name.strip()
    kind, suffix = _KINDS[m["suffix"]], m["suffix"]
    stem = m["stem"] if kind == "body" else m["stem"][_after_division(m["stem"], 0, len(m["stem"]), kind):]
    return kind, stem, _key(stem, suffix, kind)


def same_subject(asked: str, named: str) -> bool:
    """Tell whether a question's subject is the text's: 金沙社区 = 金沙社区居委会, 瑞州街办 = 瑞州街道, 棠浦 = 棠浦镇."""
    # A place is never its district nor a district its place (杨浦区 ≠ 五角场街道), nor a town the township of the
    # same stem (棠浦镇 ≠ 棠浦乡); a body is its long and short forms (_ALIASES) and its name after a division.
    a_kind, a_stem, a_key = _parse(asked)
    n_kind, n_stem, n_key = _parse(named)
    if a_kind is None or n_kind is None:  # a bare name is any kind's stem
        return len(a_stem) >= 2 and (a_stem == n_stem if a_kind is None else a_stem == n_key)
    return a_key == n_key and a_kind == n_kind


def asks_about(question: str, subject: Subject) -> bool:
    """Tell whether a question names subject in any of its forms (棠浦镇重派了几件 / 棠浦重派了几件 -> 棠浦镇)."""
    if any(same_subject(s.name, subject.name) for s in _subjects(question)):
        return True
    _, stem, _ = _parse(subject.name)
    at = question.find(stem) if len(stem) >= 2 else -1
    while at >= 0:  # the stem bare (棠浦) or with a suffix of the same kind (乌拉特中旗), not 棠浦乡 nor 杨浦区
        suffix = _SUFFIX.match(question, at + len(stem))
        if suffix is None or same_subject(stem + suffix.group(), subject.name):
            return True
        at = question.find(stem, at + 1)
    return False
