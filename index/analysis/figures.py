"""Find the figures in text: numbers with their unit, range, approximation, qualifier, period and place.

Pure functions; run once per chunk at ingest, so a question never re-parses text.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator
from typing import NamedTuple

from index.analysis.enumerations import enumerations
from index.analysis.lexicon import RELATIVE_YEARS, TOTAL_WORDS, alternation
from index.analysis.numerals import parse_number, scaled
from index.analysis.places import SCOPE_WORD, canonical, place_names_in, places_in, scope_of, within
from index.analysis.text import LIST_MARK, sentence_text
from index.models import Figure
from index.records import FigureRow

_CN_DIGIT = "零〇一二两三四五六七八九"
_CN_NUM = f"[{_CN_DIGIT}十百千万亿]"
_AR_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MULT = "(?:千万|百万|十万|万亿|万|亿)"

# Units, longest first so 平方公里 wins over 公里 and 个百分点 over 个.
_MEASURE_UNITS = ["平方公里", "平方千米", "平方米", "平米", "立方米", "公顷", "亩", "公里", "千米", "厘米", "毫米", "米", "英里",
    "英尺", "海里", "千克", "公斤", "吨", "克", "斤", "千瓦时", "千瓦", "兆瓦", "瓦", "度", "升", "毫升", "摄氏度", "分贝",
    "马力", "像素", "字节", "平方英里", "英亩", "公分", "纳米", "微米", "英寸", "吋", "码", "光年", "天文单位", "磅", "盎司",
    "伏特", "加仑", "马赫", "公尺", "平方公尺", "公吨"]
_MONEY_UNITS = ["元", "美元", "欧元", "英镑", "日元", "港元", "港币", "人民币", "韩元", "卢布", "法郎", "马克", "块钱", "块"]
_PERCENT_UNITS = ["%", "％", "个百分点", "成"]
_TIME_UNITS = ["个月", "个小时", "小时", "分钟", "秒钟", "秒", "天", "周", "星期", "年代", "年", "世纪", "岁"]
_COUNT_UNITS = ["部门", "个", "套", "人", "名", "位", "家", "户", "件", "辆", "次", "项", "所", "处", "条", "份",
    "期", "批", "场", "台", "座", "栋", "幢", "间", "张", "本", "部", "支", "只", "头", "匹", "架", "艘", "枚", "颗",
    "首", "篇", "章", "集", "届", "层", "级", "种", "类", "例", "起", "门", "面", "把", "根", "株", "棵", "册", "卷",
    "幅", "段", "节", "轮", "局", "票", "倍", "届", "强", "代", "路", "站", "号", "组", "对", "双", "片", "块", "句",
    "字", "声", "口", "顶", "扇", "辈", "任", "所", "区", "县", "旗", "盟", "省", "国", "城", "村", "镇", "乡", "街", "校", "队",
    "团", "营", "军", "师", "餐", "季", "场次", "分", "点", "页", "辑", "朝", "话", "步", "席", "宗", "帧", "发", "科",
    "关", "回", "遍", "趟", "圈", "粒", "滴", "人次", "亿人次", "羽", "尾", "剂", "剂次", "针次", "户次", "件次", "车次",
    "架次", "批次", "盒", "瓶", "袋", "箱", "桶", "笔"]

# Latin units as Wikipedia and technical text write them (46,600m², 40km)
_LATIN_UNITS = ["km²", "m²", "km/h", "km", "cm", "mm", "m", "kg", "ha", "kW", "MW", "GW", "kWh", "mph", "ft", "mi"]

_UNIT_KIND: dict[str, str] = {}
for _kind, _units in (("count", _COUNT_UNITS), ("time", _TIME_UNITS), ("percent", _PERCENT_UNITS),
                      ("money", _MONEY_UNITS), ("measure", _MEASURE_UNITS), ("measure", _LATIN_UNITS)):
    for _u in _units:
        _UNIT_KIND[_u] = _kind
# Units that name the same thing: a question's 多少人 is answered by 名 or 位 as well.
_SYNONYMS = [{"人", "名", "位", "人次"}, {"平方米", "平米", "m²", "平方公尺"}, {"公里", "千米", "km"}, {"千克", "公斤", "kg"}, {"吨", "公吨"},
             {"公分", "厘米", "cm"}, {"毫米", "mm"}, {"米", "m", "公尺"}, {"平方公里", "平方千米", "km²"}, {"公顷", "ha"},
             {"英寸", "吋"}, {"英尺", "ft"}, {"英里", "mi"}, {"队", "支", "只"}, {"间", "家"},
             {"元", "块", "块钱", "人民币"}, {"%", "％"}, {"个", "座", "处", "所"}, {"年", "年代"}]
# a Latin unit must end its word: 5m, not the m of 5 million
_UNIT_RE = "|".join(re.escape(u) + ("(?![A-Za-z])" if u.isascii() else "")
                    for u in sorted(_UNIT_KIND, key=len, reverse=True))
# currencies written before the number ($4.9) are money units too, though never looked for after one
_UNIT_KIND.update(dict.fromkeys(["$", "＄", "HK$", "NT$", "US$", "S$", "A$", "C$", "¥", "￥", "€", "£"], "money"))

_APPROX_BEFORE = "约|近|超过|逾|不少于|不足|不到|将近|接近|大约|多达|高达|达到|达|约合|至少|最多|仅|近乎"
_APPROX_AFTER = "余|多|左右|以上|以下|上下|来|许"
_QUALIFIERS = ("新增", *sorted(TOTAL_WORDS), "其中", "同比", "增长", "减少", "下降", "提高", "增加", "全长", "总长", "总面积", "总投资",
               "每年", "每月", "每天", "平均", "人均", "月租金", "年均")




def _starting(chars: str, pattern: str) -> re.Pattern[str]:
    """Compile pattern behind a look-ahead for the characters that any match of it begins with.

    The same matches, found sooner: where no match can begin, the engine moves on after one test instead of
    trying every alternative (these patterns are tried at every position of every sentence ingested).
    tests/test_figures.py checks each against its pattern alone.
    """
    return re.compile(f"(?=[{chars}]){pattern}")


_NUMBER = f"(?:{_AR_NUM}|{_CN_NUM}+)"
_FIGURE_PATTERN = (
    rf"(?P<before>{_APPROX_BEFORE})?"
    rf"(?P<num>{_NUMBER})(?P<mult>{_MULT})?(?P<after1>{_APPROX_AFTER})?"
    rf"(?:(?P<unit1>{_UNIT_RE})?\s*(?P<dash>[-~～—–至到])\s*(?P<num2>{_NUMBER})(?P<mult2>{_MULT})?)?"
    rf"(?P<after>{_APPROX_AFTER})?"
    rf"\s*(?P<unit>{_UNIT_RE})?"
)
_FIGURE = _starting(rf"\d{_CN_DIGIT}十百千万亿约近超逾不将接大多高达至最仅", _FIGURE_PATTERN)
_DATE_PATTERN = (r"(?:(?P<y>\d{4}|[一二〇零三四五六七八九]{4})\s*年\s*)?(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
                 r"\s*(?:(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号])?")
_DATE = _starting(r"\d一二〇零三四五六七八九十", _DATE_PATTERN)
ENUMERATED = "列举"  # the qualifier of a count that a list implies (its span is the list, its value the items)
_PER_HUNDRED = re.compile(r"百分之(?P<n>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+)")
_NAMED_NUMBER = re.compile(
    r"[〔［【\[(（]\s*(?:19|20)\d{2}\s*[〕］】\])）]\s*第?\d{1,4}\s*号"  # a document's number: 〔2023〕9号
    r"|(?<![\d.,])0\d{2,3}-\d{7,8}(?!\d)|(?:(?<=电话|手机|联系|热线|号码|拨打|致电)|(?<=[：:]))1[3-9]\d{9}(?!\d)"  # a telephone
    r"|(?<![\d.,])\d{3,5}(?=[政务便民服务投诉举报咨询监督市民]{0,8}(?:热线|专线|平台))"  # a hotline: 12345政务服务便民热线
    r"|(?<=拨打|致电|热线)\d{3,5}(?![\d.,])")
_CODE = re.compile(r"(?<![A-Za-z0-9.\-])[A-Z]{1,3}-?(?P<n>\d{1,4})(?![A-Za-z0-9.])")
# a currency written before the number: $4.9, HK$25,000, ¥100
_CURRENCY = re.compile(r"(?:HK|NT|US|S|A|C)?[$＄]$|[￥¥€£]$")
_YEAR = re.compile(r"(?<![\d.])(?P<y>1\d{3}|20\d{2})\s*年(?!代)")
_SENTENCE = re.compile(r"[^。！？；!?;\n]*[。！？；!?;]?")
SENTENCE_CHARS = 300  # the longest sentence a figure is read in (prose runs far shorter: 1 in 10,000 is longer)
_NUMBER_CHAR = re.compile(r"[\d.,:%]")
_NUMBER_BACK_OFF = 20  # characters a cut steps back to keep a number whole (the longest is far shorter)
_CLAUSE_BREAK = re.compile(r"[，,、：:（）()“”\s]")
# a period: a year (2022年, 今年), a part of one (上半年, 1至5月), or a year and its part (今年1-5月, 2022年上半年)
_CN_MONTH = r"(?:1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])"
_YEAR_WORDS = re.compile(
    rf"(?:\d{{4}}年|今年|去年|明年|前年|本年度)(?:开年以来|年初以来|上半年|下半年|全年|{_CN_MONTH}\s*[至\-—~－]\s*{_CN_MONTH}\s*月份?)?"
    rf"|开年以来|年初以来|上半年|下半年|全年|{_CN_MONTH}\s*[至\-—~－]\s*{_CN_MONTH}\s*月份?")
_PERIOD_PARTS = re.compile(rf"(\d{{4}}年|{alternation(RELATIVE_YEARS)})?(.*)")
def _vague(prev: str, num: str) -> bool:
    """Tell whether a Chinese numeral names a rough magnitude: 数十, 几百, 好几千, 上千, 成千."""
    if prev and prev in "数几好":
        return num[0] in "十百千万亿"
    return bool(prev) and prev in "上成" and num in ("百", "千", "万", "百万", "千万")


# a lone Chinese numeral followed by one of these is a word, not a figure: 一致, 一线, 万一, 一是 …
_CN_WORD_AFTER = set("致线是般些直起道定同样切体边面向共再旦流手带方时贯步回遍趟关发度")


def unit_kind(unit: str | None) -> str | None:
    """Return the kind of a unit: count, measure, money, percent or time (None if unknown)."""
    return _UNIT_KIND.get(unit or "")


def unit_names() -> frozenset[str]:
    """Return every unit the extractor knows."""
    return frozenset(_UNIT_KIND)


@functools.lru_cache(maxsize=4096)  # asked of every candidate: units are few, pairs of them fewer
def same_unit(a: str | None, b: str | None) -> bool:
    """Tell whether two units measure the same thing (人 = 名 = 位, 平方米 = 平米 …)."""
    if a is None or b is None:
        return False
    return a == b or any(a in group and b in group for group in _SYNONYMS)


_DIMENSIONS = [
    {"米", "m", "公尺", "公里", "千米", "km", "厘米", "cm", "毫米", "mm", "公分", "英里", "mi", "英尺", "ft", "海里", "英寸", "吋",
     "码", "纳米", "微米"},
    {"平方米", "平米", "m²", "平方公尺", "平方公里", "平方千米", "km²", "公顷", "ha", "亩", "英亩", "平方英里"},
    {"千克", "公斤", "kg", "吨", "公吨", "克", "斤", "磅", "盎司"},
    {"%", "％", "成"},  # 几成 is answered by 30% as by 三成
]


@functools.lru_cache(maxsize=4096)
def same_dimension(a: str | None, b: str | None) -> bool:
    """Tell whether two units measure the same dimension (米 and km are both lengths), so one converts to the other."""
    return a is not None and b is not None and any(a in group and b in group for group in _DIMENSIONS)


def sentences(text: str) -> list[str]:
    """Split text into sentences at 。！？； and newlines, each keeping its end mark (see sentence_spans)."""
    return [sentence_text(text, start, end) for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return where text's sentences stand: split at 。！？； and newlines, none longer than SENTENCE_CHARS.

    A numbered heading written as a sentence (1.住房和城乡建设类问题。) stays with the sentence after it, whose
    subject it is (共受理1099件，占比29.07%。). A sentence over SENTENCE_CHARS is cut at a comma (a run-on list of
    thousands of figures would otherwise make every figure's context the whole run)."""
    out: list[tuple[int, int]] = []
    heading: tuple[int, int] | None = None
    for m in _SENTENCE.finditer(text):
        if not m.group().strip():
            continue
        if _HEADING.match(m.group()):
            heading = (heading[0] if heading else m.start(), m.end())
            continue
        out.extend(_bounded(text, heading[0] if heading else m.start(), m.end()))
        heading = None
    if heading:
        out.extend(_bounded(text, *heading))
    return out


def _bounded(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut text[start:end] into pieces of at most SENTENCE_CHARS, after a comma where one falls in the second half."""
    while end - start > SENTENCE_CHARS:
        cut = _cut(text, start + SENTENCE_CHARS // 2, start + SENTENCE_CHARS)
        yield start, cut
        start = cut
    yield start, end


def _cut(text: str, low: int, limit: int) -> int:
    """Where to cut before limit: after the last comma from low on that is no number's (12,345 and 10:30 are whole),
    else at limit, stepping back before a number that stands across it (never far: a run of digits is cut)."""
    for at in range(limit - 1, low - 1, -1):
        mark = text[at]
        if mark in "，、；：" or (mark in ",;:" and not (text[at - 1].isdigit() and text[at + 1].isdigit())):
            return at + 1
    for cut in range(limit, limit - _NUMBER_BACK_OFF, -1):
        if not (_NUMBER_CHAR.match(text[cut - 1]) or _NUMBER_CHAR.match(text[cut])):
            return cut  # a number and its unit stay together: 12,345,678件 is not cut at 678|件
    return limit


# a list item's number is an enumeration mark, not a figure
_ENUMERATOR = rf"\s*{LIST_MARK}"
_HEADING = re.compile(rf"{_ENUMERATOR}[^，,。！？；\d]{{2,20}}[。！？；]?$")
_ENUMERATOR_AT = re.compile(rf"(?:^|(?<=[：:。；]))({_ENUMERATOR})")


def extract_figures(text: str, *, issue_date: dt.date | None = None, place: str | None = None,
                    home: str | None = None) -> list[Figure]:
    """Return every figure in text in reading order.

    今年/去年 resolve against issue_date when known; a sentence that names no district belongs to place, the
    district its article is about (辖区共有快递员约3200人 in an article about 徐汇).
    """
    return [Figure(text=r[0], value=r[1], value_max=r[2], unit=r[3], kind=r[4], start=r[5], end=r[6], sentence=r[7],
                   qualifier=r[8], approx=r[9], before=r[10], after=r[11], places=r[12], period=r[13], measure=r[14],
                   span=(r[15], r[16]))
            for r in figure_rows(text, issue_date=issue_date, place=place, home=home)]


def figure_rows(text: str, *, issue_date: dt.date | None = None, place: str | None = None,
                home: str | None = None) -> list[FigureRow]:
    """Return every figure in text in reading order as a FigureRow: the fields extract_figures gives each Figure.

    place is the article's (its title's) place, home the bulletin's: 我市/全县 are resolved against them.
    Ingest stores these: a Figure made of each would cost as much again as finding it.
    """
    rows: list[FigureRow] = []
    about = tuple(dict.fromkeys(p for p in (place, home) if p))
    context: str | None = None  # an undated bulletin's figures are about the year its text last named
    for at, until in sentence_spans(text):
        sentence = sentence_text(text, at, until)
        places = _sentence_places(sentence, about)
        previous: tuple[str | None, str] | None = None  # the unit and measure of the figure before
        wide: re.Match[str] | None = None  # the sentence's own _WIDER match, once looked for
        wide_looked = False
        for f in _sentence_figures(sentence, places):
            kind = f.kind
            # 同比增长6.5% measures what the figure before it measured (业务量约4860万件，同比增长6.5%), and so
            # does 其中漕河泾街道新增4个 after 累计设有快递网点130个
            measure = _measure(kind, f.before, f.after)
            if not measure and previous and (kind == "percent" or same_unit(f.unit, previous[0])):
                measure = previous[1]
            if kind not in ("date", "year", "ordinal"):
                previous = (f.unit, measure)
            period = _resolved(f.period, issue_date) if f.period else None
            if period and _YEAR.fullmatch(period):
                context = period
            elif period is None and issue_date is None and kind not in ("date", "year"):
                period = context
            # 全市共有快递网点1800个 in a 徐汇 article is the city's figure, not 徐汇's; 全国 ones are the country's
            # its own clause first (…，全国…20万个), read in the sentence: 排名全国第6 compares, the 第 lies past before
            wider = _WIDER.search(sentence, f.start - len(f.before), f.start + 1)
            if wider is not None and wider.end() > f.start:
                wider = None
            if wider is None:
                if not wide_looked:
                    wide, wide_looked = _WIDER.search(sentence), True
                wider = wide
            own: tuple[str, ...] = (place,) if place else ()
            if wider is not None:
                scope = "全国" if wider.group() == "全国" else scope_of(wider.group(), about)
                own = (scope,) if scope else ()
            rows.append((f.text, f.value, f.value_max, f.unit, kind, f.start, f.end, sentence, f.qualifier, f.approx,
                         f.before, f.after, _figure_places(sentence, f.start, places, own, about), period, measure,
                         at, until))
    return rows


def _figure_places(sentence: str, start: int, places: tuple[str, ...], own: tuple[str, ...],
                   about: tuple[str, ...]) -> tuple[str, ...]:
    """Return a figure's places, its subject first: the places its own clause names, else its article's (南接吉林省，
    西邻内蒙古自治区，土地面积共约47.3万平方公里 is still 黑龙江's), then the others its sentence names."""
    if not places:
        return own
    left, _ = _clause_bounds(sentence, start, start)
    clause = _sentence_places(sentence[left:start], about) if left < start else ()
    if clause and own and all(within(own[0], c) for c in clause):
        clause = (*own, *clause)  # 受理宜春下派工单 in 高安's bulletin: the city named is where the work came from
    return tuple(dict.fromkeys((*(clause or own), *places)))


def _sentence_places(sentence: str, about: tuple[str, ...]) -> tuple[str, ...]:
    """Return the places a sentence names, 我市/全县 as the place they mean, in order of mention."""
    named = places_in(sentence)
    if not about or not SCOPE_WORD.search(sentence):
        return named
    found = [(m.start(), key) for m in SCOPE_WORD.finditer(sentence) if (key := scope_of(m.group(), about))]
    found += [(sentence.find(name), key) for name in place_names_in(sentence) if (key := canonical(name))]
    return tuple(dict.fromkeys(key for _, key in sorted(found)))


# a sentence about the whole city (or country) is not about the article's district; but 居全国第6, 占全省的, 全国领先
# only compare the subject with it
_WIDER = re.compile(r"(?<![居占列于比在])(?:全市|本市|我市|全县|本县|我县|全区|本区|我区|全旗|全国|全省|本省|我省)(?![第前首之平领])")
# Words that end a measure phrase on its left (设有快递网点130个 -> 快递网点) or its right (100套公租房租赁给 -> 公租房).
_CUT_LEFT_WORDS = (
    r"(?:新增|累计|合计|共计|共有|总计|一共|总共|其中|设有|建有|建成|拥有|推动|完成|实现|达到|超过|约为|约有|全区|辖区|"
    r"全市|同比|增长|下降|减少|提高|增加|占|共|有(?!效)|达|为|是|约|近|逾|在|和|与|及|、|的|了|\d{4}年|[今去明前]年|"
    r"上半年|下半年|全年|以来|年底|月底|\d+月份?|[一二三四五六七八九十]+月|[^\u3400-\u9fff])")
# everything up to the last of those words (.* backs off one character at a time, trying each word at each place)
_MEASURE_CUT_LEFT = re.compile(
    r".*(?=[^\u3400-\u9fff]|[新累合共总一其设建拥推完实达超约全辖同增下减提占有为是近逾在和与及的了今去明前上以年月二三四五六七八九十])"
    + _CUT_LEFT_WORDS)
_TRAILING_PATTERN = (r"(?:约为|约有|大约|高达|多达|达到|超过|累计|合计|共计|总计|新增|共有|可达|能达|只有|平均|至少|最多|为|是|约|达|"
                     r"有|共|近|逾|了|可|能|仅|只|均|的)+$")
_TRAILING = _starting("约大高多达超累合共总新可能只平至最为是有近逾了仅均的", _TRAILING_PATTERN)
_MEASURE_CUT_RIGHT = re.compile(r"的|、|和|与|及|比|更|等|不|未|均|新建|建设|新设|设立|租赁|参加|参与|进行|开展|签订|实现|覆盖|服务|用于|投入|落户|入驻|为|是|在|给|被"
                                r"|已|将|了|[^\u3400-\u9fff]")


def measure_of(fig: Figure) -> str:
    """Return the noun phrase a figure counts or measures, from the words around it ("" if none)."""
    return _measure(fig.kind, fig.before, fig.after)


def _measure(kind: str, before: str, after: str) -> str:
    if kind in ("date", "year", "ordinal", "code"):
        return ""
    # a count names its noun after the unit (100套公租房); anything else names it before (租赁面积6044.86平方米),
    # or failing that after (价格在900-3000元月租金不等)
    after = _MEASURE_CUT_RIGHT.split(after, maxsplit=1)[0] if after else ""
    if kind in ("count", "number") and len(after) >= 2:
        return after[:8]
    noun = _MEASURE_CUT_LEFT.sub("", _TRAILING.sub("", before))
    places = place_names_in(noun)
    if places:
        noun = noun.rsplit(places[-1], 1)[-1]  # 徐汇区快递网点 -> 快递网点: the place is kept apart
    if len(noun) < 2:
        noun = after
    return noun[-8:] if len(noun) >= 2 else ""


_RELATIVE_YEAR = {"今年": 0, "本年度": 0, "去年": -1, "前年": -2, "明年": 1}


def resolve_period(period: str | None, today: dt.date | None) -> str | None:
    """Write a period in absolute terms given the date it was written: 今年1-5月 -> 2023年1至5月, 去年 -> 2022年.

    开年以来/全年 say the year itself; 上半年 and month spans are kept, so 1至4月 and 1至5月 never look alike.
    """
    if period is None:
        return None
    m = _PERIOD_PARTS.fullmatch(period)
    year, part = (m.group(1), m.group(2)) if m else (None, period)
    if today is not None and year in _RELATIVE_YEAR:
        year = f"{today.year + _RELATIVE_YEAR[year]}年"
    elif today is not None and year is None:
        year = f"{today.year}年"
    part = _SPACE_OR_FEN.sub("", _DASH.sub("至", part))
    if part in ("开年以来", "年初以来", "全年"):
        part = ""
    return f"{year or ''}{part}" or None


_DASH = re.compile(r"[\-—~－]")
_SPACE_OR_FEN = re.compile(r"\s|份")
# the same periods come back in every chunk of an issue: each is resolved once
_resolved = functools.lru_cache(maxsize=4096)(resolve_period)


class _Found(NamedTuple):
    """A figure as found in its sentence, before what the sentences around it say (measure, period, places)."""

    text: str
    value: float
    value_max: float | None
    unit: str | None
    kind: str
    start: int
    end: int
    qualifier: str | None
    approx: str | None
    before: str
    after: str
    period: str | None


def _sentence_figures(sentence: str, places: tuple[str, ...]) -> Iterator[_Found]:
    taken: list[tuple[int, int]] = []
    # a date needs 月 and a year 年, and so does any period: a sentence without them is not searched for them
    has_year, has_month = "年" in sentence, "月" in sentence
    dated = has_year or has_month
    for m in _DATE.finditer(sentence) if has_month else ():
        month = parse_number(m["m"])
        day = parse_number(m["d"]) if m["d"] else None
        if month is None or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
            continue
        taken.append((m.start(), m.end()))  # 1-6月 or 12月 is a period, never a count
        if m["d"] is None and m["y"] is None:
            continue  # "3月" alone is too vague to be a date figure
        year = parse_number(m["y"]) if m["y"] else None
        value = (year or 0) * 10000 + month * 100 + (day or 0)
        yield _make(sentence, m.start(), m.end(), value, None, "日" if day else "月", "date", None, dated)
    for m in _YEAR.finditer(sentence) if has_year else ():
        if any(a <= m.start() < b for a, b in taken):
            continue
        taken.append((m.start(), m.end()))
        yield _make(sentence, m.start(), m.end(), float(m["y"]), None, "年", "year", None, dated)
    for m in _CODE.finditer(sentence):
        taken.append((m.start(), m.end()))  # G11, L5: a code names a road or a line, it counts nothing
        yield _make(sentence, m.start(), m.end(), float(m["n"]), None, None, "code", None, dated)
    for start, end, items in enumerations(sentence):
        if not any(a < end and start < b for a, b in taken):  # 在金海街道、南桥镇和奉城镇成立: three, by its list
            yield _make(sentence, start, end, float(items), None, "个", "count", None, dated)._replace(
                qualifier=ENUMERATED)
    for m in _PER_HUNDRED.finditer(sentence):
        if (share := parse_number(m["n"])) is not None:
            taken.append((m.start(), m.end()))  # 百分之二十五: a percentage written in words
            yield _make(sentence, m.start(), m.end(), share, None, "%", "percent", None, dated)
    for m in _NAMED_NUMBER.finditer(sentence):
        taken.append((m.start(), m.end()))  # 12345热线, 0571-88886666, 〔2023〕9号: numbers that name, not count
        yield _make(sentence, m.start(), m.end(), float(re.findall(r"\d+", m.group())[-1]), None, None, "code",
                    None, dated)
    # list numbers (1.住房…, （2）…) at the start of the sentence or after a colon are marks, not figures
    taken.extend(m.span(1) for m in _ENUMERATOR_AT.finditer(sentence))
    for m in _FIGURE.finditer(sentence):
        if m["unit1"] and (any(a < m.end() and m.start("num") < b for a, b in taken)
                           or not (m["unit"] is None or same_unit(m["unit"], m["unit1"]))):
            m = _FIGURE.match(sentence, m.start(), m.end("unit1")) or m  # 5人至10月底: no range, 5人 alone
        if not any(a < m.end() and m.start("num") < b for a, b in taken):
            fig = _figure_from_match(sentence, m, dated)
            if fig is not None:
                yield fig


def _figure_from_match(sentence: str, m: re.Match[str], dated: bool) -> _Found | None:
    num, unit, before = m.group("num", "unit", "before")
    unit = unit or m["unit1"]  # 1200元至2600元, 1200元至2600: the unit of both
    chinese = not num[0].isdigit()
    ordinal = sentence[m.start() - 1:m.start()] == "第" and not before
    if chinese and not before and _vague(sentence[m.start() - 1:m.start()], num):
        return None  # 数十万, 几百, 上千, 成千: a magnitude, not a figure (建成三个 and 人数二百 are figures)
    if chinese and not ordinal and unit in _ATTRIBUTIVE_UNITS and _CJK_CHAR.match(sentence, m.end()):
        return None  # 一级平台, 二类疫苗, 三等奖: a grade that qualifies the noun after it, not a count
    if chinese and not ordinal:  # 排行第三, 第一背鳍: after 第 a numeral is an ordinal, unit or none
        nxt = sentence[m.end("num"):m.end("num") + 1]
        if (unit is None and m["mult"] is None and not _CN_LARGE.fullmatch(num)) or (
                len(num) == 1 and nxt in _CN_WORD_AFTER):
            return None  # a Chinese numeral with no unit is almost always part of a word (四十万, 三千 are numbers)
    value = scaled(num, m["mult"] or (m["mult2"] if m["num2"] else None))  # 3至5亿元: 亿 applies to both
    if value is None:
        return None
    if unit in ("年", "年代") and not chinese and 1000 <= value <= 2100 and m["mult"] is None:
        return None  # 1980年代 is a period, not a count of years
    value_max = scaled(m["num2"], m["mult2"] or m["mult"]) if m["num2"] else None
    if value_max is not None and value_max < value:
        if m["dash"] in "-–":
            value_max = None  # 2-1 is a score or a code, not a range
        else:
            return None
    start = m.start("before") if before else m.start("num")
    prev = sentence[start - 1:start]
    if _DOT_DIGIT.match(sentence, m.end("num")) or (prev.isascii() and prev.isalpha()):
        return None  # part of a version string or a code (v2.0.1, A380)
    if unit is None and (cur := _CURRENCY.search(sentence, max(0, start - 3), start)):
        unit, start = cur.group(), cur.start()
    kind = "ordinal" if prev == "第" else _UNIT_KIND.get(unit or "", "number")
    if kind == "ordinal":
        start -= 1  # the span says 第三, not 三
    approx = before or m["after1"] or m["after"]
    text = sentence[start:m.end()].strip()
    return _make(sentence, start, start + len(text), value, value_max, unit, kind, approx, dated)


_DOT_DIGIT = re.compile(r"\.\d")
_CN_LARGE = re.compile(r"[一二两三四五六七八九十百千]+[千万亿]")  # 四十万, 三千, 两百万: a number in words
_ATTRIBUTIVE_UNITS = frozenset("级 类 等".split())
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")


def _make(sentence: str, start: int, end: int, value: float, value_max: float | None, unit: str | None,
          kind: str, approx: str | None, dated: bool) -> _Found:
    """The figure at sentence[start:end]; dated tells whether the sentence has 年 or 月, which any period needs."""
    left, right = _clause_bounds(sentence, start, end)
    return _Found(sentence[start:end], value, value_max, unit, kind, start, end, _qualifier(sentence, left, start),
                  approx, sentence[left:start][-10:], sentence[end:right][:8].rstrip("。！？；!?;"),
                  _period(sentence, start) if dated else None)


def clause_before(fig: Figure) -> str:
    """Return all the words of the figure's own clause before it (its `before` keeps only the last ten)."""
    left, _ = _clause_bounds(fig.sentence, fig.start, fig.start)
    return fig.sentence[left:fig.start]


def _clause_bounds(sentence: str, start: int, end: int) -> tuple[int, int]:
    last = _LAST_CLAUSE_BREAK.match(sentence, 0, start)  # the clause begins after the last break before start
    right_m = _CLAUSE_BREAK.search(sentence, end)
    return last.end() if last else 0, right_m.start() if right_m else len(sentence)


_LAST_CLAUSE_BREAK = re.compile(rf".*{_CLAUSE_BREAK.pattern}", re.DOTALL)
_NUMERAL = re.compile(rf"\d|{_CN_NUM}{{2,}}")
# the qualifiers written backwards: searching the reversed window finds the one that ends nearest the figure,
# and of those ending there the first in _QUALIFIERS (the regex tries its alternatives in order)
_QUALIFIER_REVERSED = re.compile("|".join(re.escape(word[::-1]) for word in _QUALIFIERS))


def _qualifier(sentence: str, left: int, start: int) -> str | None:
    """Return the qualifier nearest before the figure in its clause (left: where the clause begins)."""
    window = sentence[max(left, start - 12):start]
    # a qualifier binds to the nearest number: 共有220个来自115个国家 — 共有 is 220's, not 115's
    window = _NUMERAL.split(window)[-1]
    found = _QUALIFIER_REVERSED.search(window[::-1])
    return found.group()[::-1] if found else None


def _period(sentence: str, start: int) -> str | None:
    """Return the nearest period before the figure in its sentence (2022年, 今年, 上半年, 1至5月 …)."""
    found = None
    for m in _YEAR_WORDS.finditer(sentence, 0, start):
        found = m.group()
    return found
