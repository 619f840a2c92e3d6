"""Periods: the span of days a bulletin states a figure for, and the span a question asks about.

Bulletins write a year (2019年), a month (2024年12月, 12月份), a quarter (2020年第一季度), a half (上半年), a span
(1-11月, 2023年8月1日至8月15日), a day (8月19日), a running total (截至6月23日, 自2020年以来) or a word relative to
the issue (本月, 上期, 当日). Pure functions: which figure answers which question is decided elsewhere.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass, replace

from index.numerals import parse_number

OPEN_START = dt.date.min  # 截至6月23日: a running total from a start the bulletin does not state
OPEN_END = dt.date.max  # 自2020年以来 with no issue to close it: the end is not known yet
NO_YEAR = 2000  # where a year-less period (8月19日) sits until placed: a leap year, so 2月29日 parses


@dataclass(frozen=True, slots=True)
class Period:
    """A span of days, as a bulletin states a figure's or a question asks for one."""

    start: dt.date  # first day; OPEN_START when a running total (截至…) does not say where it starts
    end: dt.date  # last day, inclusive; OPEN_END when 以来/目前 has nothing to close it yet
    grain: str  # day | week | month | quarter | half | year | span: the unit the text names (截至X: X's unit)
    cumulative: bool = False  # a running total up to end (截至, 累计, 总计, 以来), not a count within the span
    year_known: bool = True  # False: the text named no year (8月19日); its dates sit in NO_YEAR until placed
    text: str = ""  # as written

    def in_year(self, year: int) -> Period:
        """Return the period with its start (or, when that is open, its end) in year; a known year is kept."""
        if self.year_known:
            return self
        shift = year - (self.end if self.start == OPEN_START else self.start).year
        return replace(self, start=_shifted(self.start, shift), end=_shifted(self.end, shift), year_known=True)

    def latest_by(self, day: dt.date) -> Period:
        """Return the period placed in the latest year in which it has begun by day; a known year is kept."""
        # bulletins and questions are about the past: 12月 read in a May 2025 issue is December 2024
        placed = self.in_year(day.year)
        first = placed.end if placed.start == OPEN_START else placed.start
        return placed if first <= day or self.year_known else self.in_year(day.year - 1)


def _shifted(day: dt.date, years: int) -> dt.date:
    if day in (OPEN_START, OPEN_END):
        return day
    year = day.year + years
    # a month's last day moves with it: 2月29日 of NO_YEAR is 2月28日 in 2023
    return dt.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def _months_later(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, 1)


def _unit(year: int, month: int | None, day: int | None) -> tuple[dt.date, dt.date, str] | None:
    """Return the first and last day of a year, a month of it or a day of that, and the grain; None if no such day."""
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31), "year"
    if not 1 <= month <= 12:
        return None
    last = calendar.monthrange(year, month)[1]
    if day is None:
        return dt.date(year, month, 1), dt.date(year, month, last), "month"
    return (dt.date(year, month, day), dt.date(year, month, day), "day") if 1 <= day <= last else None


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _n(raw: str | None) -> int | None:
    value = parse_number(raw) if raw else None
    return int(value) if value is not None and value.is_integer() else None


# --- the phrases ---------------------------------------------------------------------------------

# a numeral right before is part of another number: 12345 is a hotline, not 45, and 十二月 is not 二月
_NOT_AFTER = r"(?<![\d〇零○一二两三四五六七八九十百千万])"
_SEP = r"\s*(?:至|到|—+|–|-|－|~|～)\s*"
_REL_YEAR = {"今年": 0, "本年": 0, "本年度": 0, "当年": 0, "去年": -1, "上年": -1, "上年度": -1, "前年": -2, "明年": 1}


def _year_re(i: int) -> str:
    # 2023年第5期, 2022年第四次学习: the year numbers a series (issue, batch, meeting), it is not the figures' period
    return (rf"(?:(?P<y{i}>(?:19|20)\d{{2}}|[〇零○一二三四五六七八九]{{4}})\s*年度?+(?!\s*第[\d一二三四五六七八九十]+[期批次号])"
            rf"|(?P<r{i}>{'|'.join(sorted(_REL_YEAR, key=len, reverse=True))}))")


def _month_re(i: int) -> str:
    return rf"(?P<m{i}>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])(?!\d)"


def _day_re(i: int) -> str:
    return rf"(?P<d{i}>3[01]|[12]\d|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*[日号]"


_POINT = re.compile(
    rf"{_NOT_AFTER}(?P<cut>截至|截止到?)?\s*(?:[自从]\s*)?(?:{_year_re(1)}\s*)?"
    rf"(?:{_month_re(1)}\s*月份?(?:\s*{_day_re(1)})?(?P<part>上旬|中旬|下旬|上半月|下半月|底|末)?"
    r"|第?(?P<q>[一二三四1-4])\s*季度|(?<![A-Za-z])[Qq](?P<qq>[1-4])(?!\d)|前(?P<fq>[一二两三1-3])个?季度"
    r"|前(?P<fm>十[一二]?|[一二两三四五六七八九]|1[01]|[1-9])个月|(?P<half>[上下])半年|(?P<whole>全年)"
    r"|(?P<yend>年?[底末])|(?P<yinit>年初|开年))?(?P<open>以来|至今|迄今)?")
_RANGE = re.compile(
    rf"{_NOT_AFTER}(?:[自从]\s*)?(?:{_year_re(1)}\s*)?(?:{_month_re(1)}(?P<mm1>\s*月份?)?(?:\s*{_day_re(1)})?)?{_SEP}"
    rf"(?:{_year_re(2)}\s*)?(?:{_month_re(2)}\s*月份?)?(?:\s*{_day_re(2)})?")
_ISO = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})([-/.])(?P<m>1[0-2]|0?[1-9])\2(?P<d>3[01]|[12]\d|0?[1-9])(?!\d)")
# words that name a period only through the issue they are written in (上期 in a July issue is June)
_NOW_WORDS = "截至目前|截止目前|截至当前|截至今日|截至发稿时?|目前|至今"
_RELATIVE = re.compile(rf"去年同期|上年同期|{_NOW_WORDS}|本月|当月|该月|上个?月|下个?月|次月|本周|当周|该周|这一?周|那一?周|上一?周"
                       r"|当日|当天|今天|今日|本日|昨天|昨日|本期|上一?期")
_PATTERNS = (_RANGE, _POINT, _ISO, _RELATIVE)
_STARTS = frozenset("0123456789截自从今去前明本上下当年开全第Qq〇零○一二三四五六七八九十该这那次昨目至")


def _year(m: re.Match[str], i: int, base: int | None) -> tuple[bool, int | None]:
    """Return whether the year of point i can be told, and the year (None: none written, or 今年 with no base)."""
    if written := m[f"y{i}"]:
        return True, int(written.translate(_DIGITS))
    if (word := m[f"r{i}"]) is None:
        return True, None
    offset = _REL_YEAR[word]
    # 今年 with nothing to say which year is like a phrase with no year; 去年 with nothing is no year at all
    return (True, base + offset) if base is not None else (offset == 0, None)


_DIGITS = str.maketrans("〇零○一二三四五六七八九", "000123456789")
_PARTS = {"上旬": (1, 10), "中旬": (11, 20), "下旬": (21, 31), "上半月": (1, 15), "下半月": (16, 31), "底": (31, 31),
          "末": (31, 31)}


def _point(m: re.Match[str], base: int | None) -> Period | None:
    ok, year = _year(m, 1, base)
    y = NO_YEAR if year is None else year
    month, day, part = _n(m["m1"]), _n(m["d1"]), m["part"]
    if not ok:
        return None
    found: tuple[dt.date, dt.date, str] | None = None
    if month is not None and part is not None and day is None:  # 8月上旬, 8月上半月, 6月底
        first, last = _PARTS[part]
        end = _month_end(y, month).day if 1 <= month <= 12 else 0
        if end:
            found = dt.date(y, month, min(first, end)), dt.date(y, month, min(last, end)), "day" if first == last else "span"
    elif m["m1"]:
        found = _unit(y, month, day)
    elif quarter := _n(m["q"] or m["qq"]):
        found = dt.date(y, quarter * 3 - 2, 1), _month_end(y, quarter * 3), "quarter"
    elif months := (3 * (_n(m["fq"]) or 0) or _n(m["fm"])):  # 前三季度, 前5个月: from January
        found = (dt.date(y, 1, 1), _month_end(y, months), "span") if months <= 12 else None
    elif m["half"]:
        found = dt.date(y, 1 if m["half"] == "上" else 7, 1), _month_end(y, 6 if m["half"] == "上" else 12), "half"
    elif m["yend"] and (m["y1"] or m["r1"] or m["yend"][0] == "年"):  # 年底, 2022年底; a lone 底 is a word
        found = dt.date(y, 12, 31), dt.date(y, 12, 31), "day"
    elif (m["yinit"] and m["open"]) or m["whole"] or ((m["y1"] or m["r1"]) and not m["yend"] and not m["yinit"]):
        found = _unit(y, None, None)  # 2019年, 全年, 年初以来
    if found is None:
        return None
    period = Period(found[0], found[1], found[2], year_known=year is not None, text=m.group().rstrip())
    if m["cut"]:
        period = replace(period, start=OPEN_START, cumulative=True)
    if m["open"]:
        period = replace(period, end=OPEN_END, grain="span", cumulative=True)
    return period


def _range(m: re.Match[str], base: int | None) -> Period | None:
    (ok1, y1), (ok2, y2) = _year(m, 1, base), _year(m, 2, base)
    m1, d1, m2, d2 = _n(m["m1"]), _n(m["d1"]), _n(m["m2"]), _n(m["d2"])
    if d1 is not None:  # a span of days: 8月1日至8月15日, 8月1日到15日; its months say 月
        valid = m["mm1"] is not None and d2 is not None
    elif m1 is not None:  # a span of months: 1-11月, 1月至11月, 2022年11月至2023年2月
        valid = d2 is None and m2 is not None
    else:  # a span of years: 2020年至2022年
        valid = y1 is not None and y2 is not None and m2 is None and d2 is None
    if not (ok1 and ok2 and valid):
        return None
    first_year = y1 if y1 is not None else y2 if y2 is not None else NO_YEAR
    first = _unit(first_year, m1, d1)
    last = _unit(y2 if y2 is not None else first_year, m2 or m1, d2)
    if first is None or last is None:
        return None
    end = last[1] if last[1] >= first[0] or y2 is not None else _shifted(last[1], 1)  # 12月25日至1月5日
    if end < first[0]:
        return None
    return Period(first[0], end, "span", year_known=y1 is not None or y2 is not None, text=m.group().rstrip())


def _iso(m: re.Match[str]) -> Period | None:
    found = _unit(int(m["y"]), int(m["m"]), int(m["d"]))  # 2019-12-15, as web pages date an issue
    return Period(*found, text=m.group()) if found else None


def _anchor(reference: Period | None) -> dt.date | None:
    """Return the day a reference period is written on: its end, or its start when the end is open."""
    if reference is None:
        return None
    day = reference.start if reference.end == OPEN_END else reference.end
    return None if day == OPEN_START else day


def _relative(word: str, reference: Period | None) -> Period | None:
    """Return the period a word relative to the issue names (本月, 上期, 当日 …); None with no issue to place it."""
    day = _anchor(reference)
    known = reference is None or reference.year_known
    if re.fullmatch(_NOW_WORDS, word):  # 截至目前: a running total to the issue's date, open until it is known
        return Period(OPEN_START, day or OPEN_END, "day", True, known, word)
    if reference is None or day is None:
        return None
    back = -1 if word[0] in "上昨" or word[:2] == "去年" else 1 if word[0] in "下次" else 0
    if word.endswith("月"):
        start = _months_later(day, back)
        period = Period(start, _months_later(start, 1) - dt.timedelta(days=1), "month")
    elif word.endswith("周"):
        monday = day - dt.timedelta(days=day.weekday() - 7 * back)
        period = Period(monday, monday + dt.timedelta(days=6), "week")
    elif word.endswith("期") and word[-2:] != "同期":
        return replace(reference, text=word) if back == 0 else _previous(reference, word)
    elif word.endswith("同期"):  # 去年同期: the issue's own period a year before
        return replace(reference, start=_shifted(reference.start, -1), end=_shifted(reference.end, -1), text=word)
    else:
        period = Period(day + dt.timedelta(days=back), day + dt.timedelta(days=back), "day")
    return replace(period, year_known=known, text=word)


def _previous(reference: Period, word: str) -> Period | None:
    """Return the period before reference of the same length: 上期 of a monthly issue is the month before."""
    if reference.start == OPEN_START or reference.end == OPEN_END:
        return None
    end = reference.start - dt.timedelta(days=1)
    months = {"month": 1, "quarter": 3, "half": 6, "year": 12}.get(reference.grain)
    start = _months_later(reference.start, -months) if months else end - (reference.end - reference.start)
    return replace(reference, start=start, end=end, text=word)


@functools.lru_cache(maxsize=4096)
def _candidates(sentence: str) -> tuple[tuple[int, re.Match[str]], ...]:
    """Every phrase any pattern reads at any place of sentence, overlapping ones too (the same sentences recur)."""
    found: list[tuple[int, re.Match[str]]] = []
    for i, char in enumerate(sentence):
        if char in _STARTS:
            found.extend((k, m) for k, pattern in enumerate(_PATTERNS) if (m := pattern.match(sentence, i)) and m.group())
    return tuple(found)


def _find(sentence: str, year: int | None, reference: Period | None, base: int | None) -> list[tuple[int, int, Period]]:
    anchor = _anchor(reference) if reference is not None and reference.year_known else None
    base = anchor.year if anchor else year if base is None else base
    read: list[tuple[int, int, Period]] = []
    for kind, m in _candidates(sentence):
        period = _range(m, base) if kind == 0 else _point(m, base) if kind == 1 else _relative(m.group(), reference) \
            if kind == 3 else _iso(m)
        if period is None:
            continue
        if not period.year_known:  # 8月19日: the default year, else the latest by the issue's date
            period = period.in_year(year) if year is not None else period.latest_by(anchor) if anchor else period
        read.append((m.start(), m.start() + len(period.text or m.group()), period))
    chosen: list[tuple[int, int, Period]] = []
    for found in sorted(read, key=lambda f: (f[0] - f[1], f[0])):  # longest first: 2023年8月1日至8月15日 is one
        if all(found[1] <= s or e <= found[0] for s, e, _ in chosen):
            chosen.append(found)
    return sorted(chosen, key=lambda f: f[0])


# --- public --------------------------------------------------------------------------------------

def find_periods(sentence: str, *, year: int | None = None,
                 reference: Period | None = None) -> list[tuple[int, int, Period]]:
    """Return every period phrase in sentence as (start, end, period), in reading order, the longest where they overlap.

    A phrase with no year takes year, else the latest year by the reference's date, else stays year-unknown; words
    relative to the issue (本月, 上月, 上期, 当日, 今年 …) are read against reference, its own period.
    """
    return _find(sentence, year, reference, None)


def parse_period(text: str, *, year: int | None = None) -> Period | None:
    """Return the period a phrase names (year: the default for one with no year); None if the phrase is not one."""
    text = text.strip().strip("，。,.：:")
    found = _find(text, year, None, None)
    return found[0][2] if len(found) == 1 and found[0][:2] == (0, len(text)) else None


# a period after these is the one a figure is compared with (较上期减少41件, 比上月降低), not the figure's own
_COMPARED = re.compile(r"(?:较|比|与|同|和|跟)\s*$")
# words that make a figure a running total; 共/共计/合计 only sum the parts of a period (本月共受理1099件)
_RUNNING = re.compile(r"累计|总计|截至|截止|以来|至今|迄今")
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")
_CLAUSE_END = re.compile(r"[，,：:；;。！？!?\n]")


def _running(period: Period, *, to_end: bool) -> Period:
    """Return period as a running total: to its end from an unstated start for a day (or to_end), else within it."""
    if to_end or period.grain == "day":  # 2022年8月18日，累计检测… counts to that day, not on it
        return replace(period, start=OPEN_START, cumulative=True)
    return replace(period, cumulative=True)  # 2019年累计…: within 2019


def figure_period(sentence: str, start: int, *, issue: Period | None) -> Period | None:
    """Return the period of the figure at start: the nearest period phrase before it in its sentence, else issue.

    A running-total word in the figure's clause (累计, 总计, 截至, 以来) makes it cumulative; with no phrase that is a
    total to the issue's end. None when neither a phrase nor the issue says.
    """
    left = max((m.end() for m in _SENTENCE_END.finditer(sentence, 0, start)), default=0)
    right = m.start() if (m := _SENTENCE_END.search(sentence, start)) else len(sentence)
    piece, at = sentence[left:right], start - left
    clause = max((m.end() for m in _CLAUSE_END.finditer(piece, 0, at)), default=0)
    before = [(s, p) for s, e, p in _find(piece, None, issue, None) if e <= at and not _COMPARED.search(piece[:s])]
    if before:
        phrase_at, period = before[-1]
        running = _RUNNING.search(piece, max(phrase_at, clause), at) is not None
    elif issue is not None:
        period, running = issue, _RUNNING.search(piece, clause, at) is not None
    else:
        return None
    if running and not period.cumulative:
        period = _running(period, to_end=not before)
    # a span reaching back before the issue's period and ending with it is a running total to the issue's date:
    # 1-11月 in a November report, 2020年11月2日至2023年8月15日 in a report on 8月1日至15日
    if issue is not None and period.grain == "span" and period.start < issue.start and period.end == issue.end:
        period = replace(period, cumulative=True)
    if period.end == OPEN_END and issue is not None and _anchor(issue):  # 以来 closes at the issue's date
        period = replace(period, end=issue.end if issue.end != OPEN_END else period.end)
    return period


def question_period(text: str, *, newest: dt.date | None = None, reference: Period | None = None) -> Period | None:
    """Return the period a question asks about: its first period phrase, not one it compares with; None if none.

    A phrase with no year stays year-unknown, or is placed in the latest year by newest; 今年/去年 count from newest.
    Words relative to an issue (上期, 本月, 当日) need reference, the issue asked about: without one they are no
    period here (see is_relative). 累计/总计 in the question make the period cumulative.
    """
    base = None if reference is not None or newest is None else newest.year
    for s, _, period in _find(text, None, reference, base):
        if _COMPARED.search(text[:s]):
            continue
        if newest is not None and not period.year_known:
            period = period.latest_by(newest)
        return _running(period, to_end=False) if _RUNNING.search(text) and not period.cumulative else period
    return None


_ISSUE_WORDS = re.compile(_RELATIVE.pattern.replace(_NOW_WORDS + "|", ""))


def is_relative(text: str) -> bool:
    """Tell whether text names a period only through an issue (上期, 本月, 当日, 那一周), not by its dates."""
    return _ISSUE_WORDS.search(text) is not None


def _aligned(asked: Period, given: Period) -> list[tuple[Period, Period]]:
    """Return the pairs to compare: a year-unknown side placed in each year the other side touches."""
    if asked.year_known == given.year_known:
        return [(asked, given)]
    known, loose = (asked, given) if asked.year_known else (given, asked)
    years = {d.year for d in (known.start, known.end) if d not in (OPEN_START, OPEN_END)}
    if not years:
        return [(asked, given)]
    placed = [loose.in_year(y) for y in range(min(years) - 1, max(years) + 1)]  # -1: 12月25日至1月5日 starts before
    return [(asked, p) for p in placed] if asked.year_known else [(p, given) for p in placed]


def matches(asked: Period, given: Period) -> bool:
    """Tell whether a figure stated for given answers a question asking for asked.

    Rules: the same first and last day (2019年 = 2019年全年 = 2019年1-12月; 上半年 = 1-6月; 一季度 = 1-3月), never a
    neighbour or a part or a whole (2019年10月 is not 11月 nor 1-11月); a year-unknown side (8月19日) is the same
    days in any year; running totals match on their end day when either start is unstated (截至8月29日 =
    2021年1月1日至2022年8月29日累计), and an open end (以来 with no date) matches any end.
    """
    for a, g in _aligned(asked, given):
        if (a.start, a.end) == (g.start, g.end):
            return True
        ends = a.end == g.end or OPEN_END in (a.end, g.end)
        if a.cumulative and g.cumulative and ends and (a.start == g.start or OPEN_START in (a.start, g.start)):
            return True
    return False


def covers(asked: Period, given: Period) -> bool:
    """Tell whether given (an issue's or a figure's period) shares any day with asked: if no issue does, not found.

    A year-unknown side shares a day if it would in any year the other touches; a running total with an unstated
    start reaches back without end.
    """
    return any(a.start <= g.end and g.start <= a.end for a, g in _aligned(asked, given))
