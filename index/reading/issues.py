"""Read an issue's identity and period from its header: series title, issue number, date, the period it covers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from index.analysis.numerals import parse_number
from index.analysis.text import LIST_MARK, clean_line
from index.models import IssueMeta

# Where Chinese bulletins put these, and so the rules:
# - the masthead is the run of short lines at the top (at most _HEAD_LINES, up to the first sentence or section
#   heading): the series' name, 第N期, the issuing office with the date, or a web page's 来源：… 时间：… line. Its lines
#   leave the text. The series is what stands above the number (however worded), or a line ending with what the
#   publication is (…简报, …通报, …工作信息); a headline above a mere date line stays the text's title.
# - the date is the masthead's date line's; else a signature (a date line among the last _TAIL_LINES lines, which
#   stays in the text). A date in running text (2022年3月7日，浦东局召开…) is an event, not the issue's date, with one
#   exception: an issue with a series but no date line takes the day its opening clause reports on (截至2022年8月18日).
# - the period is the title's or number line's (2017年7月社会服务统计月报), else the one beginning a clause in the
#   opening (after headings, its title or first line of text: 2024年12月，我市…); a single day there is an event,
#   not a period. A period without a year takes the issue's: its date's (a period never begins after the issue is
#   dated), else its number's (〔2019〕第11期).
_HEAD_LINES = 8
_TAIL_LINES = 6

_NUM = r"[\d一二三四五六七八九十百零〇]+"
# 〔2019〕第4期, [2019]第11期, 2023年第5期（总第74期）, 第十六期; 总第N期 is the running count, never the number
_NUMBER = re.compile(rf"(?:[〔\[【(（](?P<by>\d{{4}})[〕\]】)）]|(?P<y>\d{{4}})年)?(?<!总)第(?P<n>{_NUM})期"
                     rf"(?:[（(]总第{_NUM}期[)）])?")
_DATES = (re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]"),
          re.compile(r"(?P<y>[〇零一二三四五六七八九]{4})年(?P<m>[一二三四五六七八九十]{1,3})月(?P<d>[一二三四五六七八九十]{1,3})日"),
          re.compile(r"(?<![\d.])(?P<y>(?:19|20)\d{2})(?P<s>[-./])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?![\d.])"))
_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")
# 来源：福建省民政厅 时间：2017-08-25 15:44 — a web page's or a form's header fields
_LABEL = re.compile(r"(?:信息来源|来源|发布时间|发布日期|发布单位|时间|日期|编制单位|主办单位|主办|编印)[：:]")
# what the issuing office's name ends with (…管理局编 2017年7月28日, …领导小组办公室 2023年6月19日)
_OFFICE = re.compile(r"(?:局|委|办|会|室|部|厅|处|中心|组|站|所|院|队|政府|编|编印|印发?|主办)$")
_OFFICE_ONLY = re.compile(r"(?:办公室|编印|印发|主办|编)$")
# publications name themselves by their kind; 报告/情况 also end article titles, so they need a number or date too
_SERIES_WORD = re.compile(r"(?:简报|快报|通报|月报|周报|日报|旬报|季报|年报|专报|要情|信息|动态|通讯|摘报)(?:[（(].*[)）])?$")
_SERIES_WORD_WEAK = re.compile(r"(?:报告|情况)(?:[（(].*[)）])?$")
_SENTENCE = re.compile(r"[。！？；，]")
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、．.]|[（(][一二三四五六七八九十\d]{1,3}[)）])")
_LIST_MARK = re.compile(rf"^{LIST_MARK}")
_BRACKETS = re.compile(r"[（(〔\[【][)）〕\]】]")

# A period begins a clause: 2024年12月，我市… / 现将2022年7月1日至7月31日… / 其中，8月1日至15日…
_CLAUSE = re.compile(r"其中[，,]?|[，,：:（(；]|现将|现就")
_UPTO = r"(?P<upto>截至|截止到?)?"
_YEAR = r"(?:(?P<y>(?:19|20)\d{2})年|(?P<this>今年|本年))?"
_TO = r"[-－—–~～至到]"
_PERIODS = (
    re.compile(_UPTO + _YEAR + rf"(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})[日号](?:{_TO}(?:(?P<y2>\d{{4}})年)?"
               rf"(?:(?P<m2>\d{{1,2}})月)?(?P<d2>\d{{1,2}})[日号])?"),
    re.compile(_UPTO + _YEAR + rf"(?P<m>\d{{1,2}})(?:月份?)?(?:{_TO}(?:(?P<y2>\d{{4}})年)?(?P<m2>\d{{1,2}}))?月份?"),
    re.compile(_UPTO + _YEAR + rf"(?:(?P<front>前)|第?(?P<q>[一二三四1-4])(?:季度)?{_TO})?第?(?P<q2>[一二三四1-4])季度"),
    re.compile(_UPTO + _YEAR + r"(?P<half>上|下)半年"),
    re.compile(_UPTO + r"(?P<y>(?:19|20)\d{2})年(?:全年|度|(?=[，,]))"),
    re.compile(r"(?P<month>本月|当月)"),
)
_QUARTERS = "一二三四"


@dataclass(frozen=True, slots=True)
class _Period:
    """A period as written, before a year-less one is given the issue's year."""

    text: str  # normalised, after the year: 1至6月, 7月1日至31日, 一季度, 上半年, "" (a whole year)
    year: int | None  # the year written; None when none was (or 今年)
    first_month: int  # the month it begins: a period never begins after the issue is dated
    upto: bool = False  # 截至: a running total up to its end
    day: bool = False  # one day (not 截至): in running text, when something happened rather than a period
    end: dt.date | None = None  # its last day, when written in full
    this_year: bool = False  # 今年: the year the issue speaks in
    month: bool = False  # 本月: the month the issue reports on


@dataclass(frozen=True, slots=True)
class _Line:
    """What one header or signature line says."""

    number: str | None  # 第N期
    year: int | None  # the number's year: 〔2019〕第4期, 2023年第5期
    date: dt.date | None  # its date, when it is a date line (a date alone, or with its office or a label)
    anchor: bool  # a number, date, label (来源：) or office line: masthead for sure
    title: str  # the text beside the number, which may name the series


def read_issue(lines: list[str]) -> tuple[IssueMeta, list[str]]:
    """Read an issue's series, number, date and period; return them and the lines less the masthead."""
    filled = [i for i, ln in enumerate(lines) if ln.strip()]
    head = [(i, clean_line(lines[i])) for i in filled[:_HEAD_LINES]]
    masthead, titles = _masthead(head)
    heads = [(t, _line(t)) for i, t in head if i in masthead]
    body = [i for i in filled if i not in masthead]
    series = "".join(titles) or None
    number, number_year = next(((f.number, f.year) for _, f in heads if f.number), (None, None))
    date = next((f.date for _, f in heads if f.date), None)
    if date is None:  # a signature: the last date line among the last lines
        tail = (_line(clean_line(lines[i])) for i in reversed(body[-_TAIL_LINES:]))
        date = next((f.date for f in tail if f.date), None)
    # the period: as the title or number line gives it, else as the report's opening clause says it
    period = next((p for t, _ in heads for _, p in _periods(_undated(t), anywhere=True)), None)
    if series and (lead := _period_at(series, 0)) and lead[1] < len(series):
        series = series[lead[1]:]  # 2017年7月社会服务统计月报: the period is the issue's, the rest the series'
    if period is None:
        period = _opening([clean_line(lines[i]) for i in body[:_HEAD_LINES]])
    if date is None and series and period and period.end and (period.upto or period.day):
        date = period.end  # 截至2022年8月18日 of an undated daily is the day it reports on: nothing better exists
    meta = IssueMeta(series=series, number=number, date=date,
                     period=_resolve(period, date, number_year) if period else None)
    return meta, [ln for i, ln in enumerate(lines) if i not in masthead]


def _masthead(head: list[tuple[int, str]]) -> tuple[set[int], list[str]]:
    """Tell the masthead among the first lines: its line numbers, and the lines naming the series."""
    run: list[tuple[int, str, _Line]] = []
    for i, text in head:  # the masthead is short lines at the top: a sentence or a section heading ends it
        if _SENTENCE.search(text) or len(text) > 60 or _HEADING.match(text):
            break
        run.append((i, text, _line(text)))
    anchors = [k for k, (_, _, f) in enumerate(run) if f.anchor]
    if not anchors:  # a title alone (…疫情防控工作信息): one or two lines ending with the publication's kind
        for k in (1, 2):  # (关于…的通报 is one document's title, naming its subject: no series)
            joined = "".join(t for _, t, _ in run[:k])
            if len(run) >= k and _SERIES_WORD.search(joined) and not joined.startswith("关于"):
                return {i for i, _, _ in run[:k]}, [joined]
        return set(), []
    first = anchors[0]
    # the date line closes a masthead (name, number, office and date); a 来源：/编制单位： line further down is the text's
    last = next((k for k in anchors if run[k][2].date), anchors[-1])
    taken = {i for i, _, _ in run[first:last + 1]}  # what lies between two masthead lines is masthead too
    above = run[max(0, first - 3):first]
    titles = []
    named = "".join(t for _, t, _ in above)
    # lines above the number are the series' name, however worded (宜春12345 / 一体化 / 政务服务便民热线); above a
    # date or 来源 line only a name that says what it is: otherwise it is the headline of the text below
    if above and (run[first][2].number or _SERIES_WORD.search(named) or _SERIES_WORD_WEAK.search(named)):
        taken |= {i for i, _, _ in above}
        titles.append(named)
    titles += [f.title for _, _, f in run[first:last + 1]
               if f.number and (_SERIES_WORD.search(f.title) or _SERIES_WORD_WEAK.search(f.title))]
    if not titles:  # 第3期 above the name: a name between masthead lines
        titles = [t for _, t, f in run[first:last + 1] if not f.anchor and _SERIES_WORD.search(t)][:1]
    return taken, titles


def _line(text: str) -> _Line:
    """Read a header line: its number, its date if it is a date line, and whether it is a masthead line."""
    number = year = None
    rest = text
    if m := _NUMBER.search(text):
        value = int(m["n"]) if m["n"].isdigit() else parse_number(m["n"])
        number = f"第{int(value)}期" if value and 0 < value < 100_000 else f"第{m['n']}期"
        year = int(m["by"] or m["y"]) if m["by"] or m["y"] else None
        rest = text[:m.start()] + text[m.end():]
    date, undated = _date_in(rest)
    labelled = bool(_LABEL.search(undated))
    bare = _BRACKETS.sub("", _LABEL.sub("", _TIME.sub("", undated))).strip(" （）()")
    dated = date is not None and (not bare or labelled or (bool(_OFFICE.search(bare)) and len(bare) <= 40))
    office = bool(bare) and len(bare) <= 30 and bool(_OFFICE_ONLY.search(bare))
    title = _BRACKETS.sub("", rest).strip(" （）()")
    return _Line(number, year, date if dated else None, bool(number) or dated or labelled or office, title)


def _date_in(text: str) -> tuple[dt.date | None, str]:
    """Find a date written in any of the usual ways; return it and the text less it."""
    for pattern in _DATES:
        for m in pattern.finditer(text):
            parts = [int(g) if g.isdigit() else parse_number(g) for g in (m["y"], m["m"], m["d"])]
            try:
                if all(isinstance(p, int | float) for p in parts) and 1949 <= (parts[0] or 0) <= 2100:
                    return dt.date(*(int(p or 0) for p in parts)), text[:m.start()] + " " + text[m.end():]
            except ValueError:
                continue
    return None, text


def _undated(text: str) -> str:
    """The text less its issue number and dates: what is left may name a period."""
    text = _NUMBER.sub("", text)
    while (found := _date_in(text))[0] is not None:
        text = found[1]
    return text


def _opening(lines: list[str]) -> _Period | None:
    """The period the report's opening clause names: after any headings, in its title or first line of text."""
    for text in lines:
        if _HEADING.match(text) and len(text) <= 24 and "，" not in text:
            continue  # 一、工单总体情况
        found = list(_periods("。".join(re.split("[。！？]", _LIST_MARK.sub("", text))[:2]), anywhere=False))
        if found:
            first = found[0][1]
            # 2020年11月2日至2023年8月15日…。其中，2023年8月1日至8月15日…: the total, then this issue's part of it
            part = next((p for after, p in found[1:] if after and p.end and p.end == first.end), None)
            return part or first
        if _SENTENCE.search(text) or len(text) > 40:
            return None  # the first line of text said none
    return None


def _periods(text: str, *, anywhere: bool) -> list[tuple[bool, _Period]]:
    """The periods in text, each with whether 其中 precedes it; in running text only at a clause's start."""
    if anywhere:  # a title has no clauses: 关于2023年1-5月全市安全生产情况的通报
        starts = [(m.start(), False) for m in re.finditer(r"(?<!\d)[\d今本截当前第上下一二三四]", text)]
    else:
        starts = [(0, False), *((m.end(), m.group().startswith("其中")) for m in _CLAUSE.finditer(text))]
    found = []
    for start, after in starts:
        if (hit := _period_at(text, start)) and (anywhere or not hit[0].day):
            found.append((after, hit[0]))
    return found


def _period_at(text: str, start: int) -> tuple[_Period, int] | None:
    """The period written at start, and where it ends; the first shape that fits is the one written."""
    for pattern in _PERIODS:
        if m := pattern.match(text, start):
            period = _period(m.groupdict())
            return (period, m.end()) if period else None
    return None


def _period(g: dict[str, str | None]) -> _Period | None:
    """Normalise a period as matched: 1-11月 -> 1至11月, 第一季度 -> 一季度, 7月1日至7月31日 -> 7月1日至31日."""
    def num(key: str) -> int | None:
        return int(v) if (v := g.get(key)) and v.isdigit() else None

    if g.get("month"):
        return _Period("", None, 1, month=True)
    year, upto, this_year = num("y"), bool(g.get("upto")), bool(g.get("this"))
    if half := g.get("half"):
        return _Period(f"{half}半年", year, 1 if half == "上" else 7, upto, this_year=this_year)
    if q2 := g.get("q2"):
        last = _quarter(q2)
        first = 1 if g.get("front") else _quarter(q) if (q := g.get("q")) else last
        text = f"{_QUARTERS[last - 1]}季度" if first == last else f"{_QUARTERS[first - 1]}至{_QUARTERS[last - 1]}季度"
        return _Period(text, year, 3 * first - 2, upto, this_year=this_year) if first <= last else None
    m1, y2, m2, d1, d2 = num("m"), num("y2"), num("m2"), num("d"), num("d2")
    if m1 is None:
        return _Period("", year, 1, upto)  # a whole year: 2019年，… / 2019年全年
    if not 1 <= m1 <= 12 or (m2 is not None and not 1 <= m2 <= 12):
        return None
    across = f"{y2}年" if y2 and y2 != year else ""  # a range into the next year writes that year
    if d1 is None:
        if m2 is None or (m2 == m1 and not across):
            return _Period(f"{m1}月", year, m1, upto, this_year=this_year)
        text = f"{m1}月至{across}{m2}月" if across else f"{m1}至{m2}月"  # 2022年12月至2023年1月; 1至5月
        return _Period(text, year, m1, upto, this_year=this_year) if across or m2 > m1 else None
    if d2 is None:
        text, end = f"{m1}月{d1}日", _day(year, m1, d1)
    else:
        text = f"{m1}月{d1}日至{across}{f'{m2}月' if across or m2 not in (None, m1) else ''}{d2}日"
        end = _day(y2 or year, m2 or m1, d2)
    if _day(2000, m1, d1) is None or (d2 is not None and _day(2000, m2 or m1, d2) is None):
        return None
    return _Period(text, year, m1, upto, day=d2 is None and not upto, end=end, this_year=this_year)


def _quarter(q: str) -> int:
    return int(q) if q.isdigit() else _QUARTERS.index(q) + 1


def _day(year: int | None, month: int, day: int) -> dt.date | None:
    """The day, when it exists and its year is known."""
    try:
        found = dt.date(year or 2000, month, day)  # 2000, a leap year: 2月29日 exists when no year is written
    except ValueError:
        return None
    return found if year else None


def _resolve(period: _Period, date: dt.date | None, number_year: int | None) -> str | None:
    """Write a period out in full: a year-less one takes the issue's year (its date's, else its number's)."""
    if period.month:  # 本月: a monthly report is issued after its month ends (5月's report on 6月19日)
        if date is None:
            return None
        last = date.replace(day=1) - dt.timedelta(days=1)
        return f"{last.year}年{last.month}月"
    year = period.year
    if year is None and date is not None:
        # a period never begins after the issue's date: 12月 in an issue dated 2020年1月8日 is 2019年12月
        year = date.year - (0 if period.this_year or period.first_month <= date.month else 1)
    elif year is None:
        year = number_year
    return ("截至" if period.upto else "") + (f"{year}年" if year else "") + period.text or None
