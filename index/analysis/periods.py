"""Periods: the span of days a bulletin states a figure for, and the one a question asks about. Pure functions.

Bulletins write a year (2019年), a month (2024年12月), a quarter (2020年第一季度), a half (上半年), a span (1-11月,
2023年8月1日至8月15日), a day (8月19日), a running total (截至6月23日, 自2020年以来) or an issue's word (本月, 上期).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass, replace

from index.analysis.lexicon import RUNNING_WORDS, alternation
from index.analysis.numerals import parse_number

OPEN_START = dt.date.min  # 截至6月23日: a running total from a start the bulletin does not state
OPEN_END = dt.date.max  # 自2020年以来 with no issue to close it: the end is not known yet
NO_YEAR = 2000  # where a year-less period (8月19日) sits until placed: a leap year, so 2月29日 parses
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Period:
    """A span of days, as a bulletin states a figure's or a question asks for one."""

    start: dt.date  # first day; OPEN_START when a running total (截至…) does not say where it starts
    end: dt.date  # last day, inclusive; OPEN_END when 以来/目前 has nothing to close it yet
    grain: str  # day | week | month | quarter | half | year | span: the unit the text names (截至X: X's unit)
    # a running total to end (截至, 累计, 以来): 1-11月 alone is a span (both ends written), and figure_period
    # makes it cumulative only in a report that ends where it ends (1-11月 in the November report)
    cumulative: bool = False
    year_known: bool = True  # False: the text named no year (8月19日); its dates sit in NO_YEAR until placed
    text: str = ""  # as written

    def in_year(self, year: int) -> Period:
        """Return the period with its start (or, when that is open, its end) in year; a known year is kept."""
        shift = year - (self.end if self.start == OPEN_START else self.start).year
        return self if self.year_known else replace(self, start=_shifted(self.start, shift),
                                                    end=_shifted(self.end, shift), year_known=True)

    def latest_by(self, day: dt.date) -> Period:
        """Return the period in the latest year it has begun by day (12月 read in May 2025 is 2024's); known kept."""
        placed = self.in_year(day.year)
        begun = self.year_known or (placed.end if placed.start == OPEN_START else placed.start) <= day
        return placed if begun else self.in_year(day.year - 1)


def _shifted(day: dt.date, years: int) -> dt.date:  # 2月29日 of NO_YEAR is 2月28日 in 2023; open ends stay open
    return day if day in (OPEN_START, OPEN_END) else _month_end(day.year + years, day.month, day.day)


def _month_end(year: int, month: int, day: int = 31) -> dt.date:  # the day, or the month's last if it has fewer
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _months_later(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, 1)


def _unit(year: int, month: int | None, day: int | None) -> tuple[dt.date, dt.date, str] | None:
    """Return the first and last day of a year, a month of it or a day of that, and the grain; None if no such day."""
    if month is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31), "year"
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= _month_end(year, month).day):
        return None
    first = dt.date(year, month, day or 1)
    return first, first if day else _month_end(year, month), "day" if day else "month"


def _n(raw: str | None) -> int | None:
    value = parse_number(raw) if raw else None
    return int(value) if value is not None and value.is_integer() else None


# a numeral right before is part of another number: 12345 is a hotline, not 45, and 十二月 is not 二月
_NOT_AFTER = r"(?<![\d〇零○一二两三四五六七八九十百千万])"
_SEP = r"\s*(?:至|到|—+|–|-|－|~|～)\s*"
_REL_YEAR = {"今年": 0, "本年": 0, "本年度": 0, "当年": 0, "去年": -1, "上年": -1, "上年度": -1, "前年": -2, "明年": 1}
# a year, month and day of point # (1, or 2 for a span's end); 2023年第5期, 2022年第四次学习: the year numbers a
# series (issue, batch, meeting), it is not the figures' period
_Y = (r"(?:(?P<y#>(?:19|20)\d{2}|(?:一九|二[〇零○])[〇零○一二三四五六七八九]{2})\s*年度?+"
      r"(?!\s*第[\d一二三四五六七八九十]+[期批次号])"
      rf"|(?P<r#>{'|'.join(sorted(_REL_YEAR, key=len, reverse=True))}))")
_M = r"(?P<m#>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])(?!\d)"
_D = r"(?P<d#>3[01]|[12]\d|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*[日号]"
_Y1, _M1, _D1, _Y2, _M2, _D2 = (p.replace("#", i) for i in "12" for p in (_Y, _M, _D))
_POINT = re.compile(
    rf"{_NOT_AFTER}(?P<cut>截至|截止到?)?\s*(?:[自从]\s*)?(?:{_Y1}\s*)?"
    rf"(?:{_M1}\s*月份?(?:\s*{_D1})?(?P<part>上旬|中旬|下旬|上半月|下半月|底|末)?"
    r"|第?(?P<q>[一二三四1-4])\s*季度|(?<![A-Za-z])[Qq](?P<qq>[1-4])(?!\d)|前(?P<fq>[一二两三1-3])个?季度"
    r"|前(?P<fm>十[一二]?|[一二两三四五六七八九]|1[01]|[1-9])个月|(?P<half>[上下])半年|(?P<whole>全年)"
    r"|(?P<yend>年?[底末])|(?P<yinit>年初|开年))?(?P<open>以来|至今|迄今)?")
_RANGE = re.compile(
    rf"{_NOT_AFTER}(?:[自从]\s*)?(?:{_Y1}\s*)?(?:{_M1}(?P<mm1>\s*月份?)?(?:\s*{_D1})?)?{_SEP}"
    rf"(?:{_Y2}\s*)?(?:{_M2}\s*月份?)?(?:\s*{_D2})?")
# words that name a period only through the issue they are written in (上期 in a July issue is June)
_NOW_WORDS = "截至目前|截止目前|截至当前|截至今日|截至发稿时?|目前|至今"
_RELATIVE = re.compile(rf"去年同期|上年同期|{_NOW_WORDS}|本月|当月|该月|上个?月|下个?月|次月"
                       r"|本周|当周|该周|这一?周|那一?周|上一?周|当日|当天|今天|今日|本日|昨天|昨日|本期|上一?期")
_PATTERNS = (_RANGE, _POINT, _RELATIVE)
_STARTS = frozenset("0123456789截自从今去前明本上下当年开全第Qq〇零○一二三四五六七八九十该这那次昨目至")
_DIGITS = str.maketrans("〇零○一二三四五六七八九", "000123456789")
_PARTS = {"上旬": (1, 10), "中旬": (11, 20), "下旬": (21, 31), "上半月": (1, 15), "下半月": (16, 31)}  # else 底, 末


def _year(m: re.Match[str], i: int, base: int | None) -> tuple[bool, int | None]:
    """Return whether the year of point i can be told, and the year (None: none written, or 今年 with no base)."""
    if written := m[f"y{i}"]:
        return True, int(written.translate(_DIGITS))
    if (word := m[f"r{i}"]) is None:
        return True, None
    # 今年 with nothing to say which year is like a phrase with no year; 去年 with nothing is no year at all
    return (True, base + _REL_YEAR[word]) if base is not None else (_REL_YEAR[word] == 0, None)


def _point(m: re.Match[str], base: int | None) -> Period | None:
    ok, year = _year(m, 1, base)
    y, month, part, half = NO_YEAR if year is None else year, _n(m["m1"]), m["part"], m["half"] == "上"
    found: tuple[dt.date, dt.date, str] | None = None
    if month is not None and part and not m["d1"] and 1 <= month <= 12:  # 8月上旬, 8月上半月, 6月底
        first, last = _PARTS.get(part, (31, 31))
        found = _month_end(y, month, first), _month_end(y, month, last), "day" if first == last else "span"
    elif m["m1"]:
        found = _unit(y, month, _n(m["d1"]))
    elif quarter := _n(m["q"] or m["qq"]):
        found = dt.date(y, quarter * 3 - 2, 1), _month_end(y, quarter * 3), "quarter"
    elif months := (3 * (_n(m["fq"]) or 0) or _n(m["fm"]) or 0):  # 前三季度, 前5个月: from January
        found = (dt.date(y, 1, 1), _month_end(y, months), "span") if months <= 12 else None
    elif m["half"]:
        found = dt.date(y, 1 if half else 7, 1), _month_end(y, 6 if half else 12), "half"
    elif m["yend"] and (m["y1"] or m["r1"] or m["yend"][0] == "年"):  # 年底, 2022年底; a lone 底 is a word
        found = dt.date(y, 12, 31), dt.date(y, 12, 31), "day"
    elif (m["yinit"] and m["open"]) or m["whole"] or ((m["y1"] or m["r1"]) and not m["yend"] and not m["yinit"]):
        found = _unit(y, None, None)  # 2019年, 全年, 年初以来
    if found is None or not ok:
        return None
    # 截至 leaves the start unstated, 以来 the end; either makes a running total
    return Period(OPEN_START if m["cut"] else found[0], OPEN_END if m["open"] else found[1],
                  "span" if m["open"] else found[2], bool(m["cut"] or m["open"]), year is not None, m.group().rstrip())


def _range(m: re.Match[str], base: int | None) -> Period | None:
    (ok1, y1), (ok2, y2) = _year(m, 1, base), _year(m, 2, base)
    m1, d1, m2, d2 = _n(m["m1"]), _n(m["d1"]), _n(m["m2"]), _n(m["d2"])
    valid = (m["mm1"] is not None and d2 is not None if d1 is not None  # days: 8月1日至8月15日, 8月1日到15日
             else d2 is None and m2 is not None if m1 is not None  # months: 1-11月, 2022年11月至2023年2月
             else y1 is not None and y2 is not None and m2 is None and d2 is None)  # years: 2020年至2022年
    first_year = y1 if y1 is not None else y2 if y2 is not None else NO_YEAR
    first, last = _unit(first_year, m1, d1), _unit(y2 if y2 is not None else first_year, m2 or m1, d2)
    if not (ok1 and ok2 and valid and first and last):
        return None
    end = last[1] if last[1] >= first[0] or y2 is not None else _shifted(last[1], 1)  # 12月25日至1月5日
    return Period(first[0], end, "span", year_known=y1 is not None or y2 is not None,
                  text=m.group().rstrip()) if end >= first[0] else None


def _relative(word: str, reference: Period | None, day: dt.date | None) -> Period | None:
    """Return the period a word relative to the issue (written on day) names; None with no issue to place it."""
    known = reference is None or reference.year_known
    if re.fullmatch(_NOW_WORDS, word):  # 截至目前: a running total to the issue's date, open until it is known
        return Period(OPEN_START, day or OPEN_END, "day", True, known, word)
    if reference is None or day is None:
        return None
    back = -1 if word[0] in "上昨" or word[:2] == "去年" else 1 if word[0] in "下次" else 0
    if word.endswith("同期"):  # 去年同期: the issue's own period a year before
        return replace(reference, start=_shifted(reference.start, -1), end=_shifted(reference.end, -1), text=word)
    if word.endswith("期"):  # 上期: the period as long before the issue's: a monthly issue's is the month before
        if back == 0 or reference.start == OPEN_START or reference.end == OPEN_END:
            return replace(reference, text=word) if back == 0 else None
        months = {"month": 1, "quarter": 3, "half": 6, "year": 12}.get(reference.grain)
        length = reference.end - reference.start + _DAY
        start = _months_later(reference.start, -months) if months else reference.start - length
        return replace(reference, start=start, end=reference.start - _DAY, text=word)
    if word.endswith("月"):
        start = _months_later(day, back)
        period = Period(start, _months_later(start, 1) - _DAY, "month")
    elif word.endswith("周"):  # the week, Monday to Sunday, holding the issue's day
        monday = day - dt.timedelta(days=day.weekday() - 7 * back)
        period = Period(monday, monday + 6 * _DAY, "week")
    else:
        period = Period(day + back * _DAY, day + back * _DAY, "day")
    return replace(period, year_known=known, text=word)


@functools.lru_cache(maxsize=4096)
def _candidates(sentence: str) -> tuple[tuple[int, re.Match[str]], ...]:
    """Every phrase any pattern reads at any place of sentence, overlapping ones too (the same sentences recur)."""
    return tuple((k, m) for i, char in enumerate(sentence) if char in _STARTS
                 for k, pattern in enumerate(_PATTERNS) if (m := pattern.match(sentence, i)) and m.group())


def _find(sentence: str, year: int | None, reference: Period | None, base: int | None) -> list[tuple[int, int, Period]]:
    # the day the issue is written on: its end, unless open
    day = None if reference is None else reference.start if reference.end == OPEN_END else reference.end
    day = None if day == OPEN_START else day
    anchor = day if reference is not None and reference.year_known else None
    base = anchor.year if anchor else year if base is None else base
    read: list[tuple[int, int, Period]] = []
    for kind, m in _candidates(sentence):
        period = _range(m, base) if kind == 0 else _point(m, base) if kind == 1 else \
            _relative(m.group(), reference, day)
        if period is not None:  # 8月19日: the default year, else the latest by the issue's date
            period = period.in_year(year) if year is not None else period.latest_by(anchor) if anchor else period
            read.append((m.start(), m.start() + len(period.text), period))
    chosen: list[tuple[int, int, Period]] = []
    for found in sorted(read, key=lambda f: (f[0] - f[1], f[0])):  # longest first: 2023年8月1日至8月15日 is one
        if all(found[1] <= s or e <= found[0] for s, e, _ in chosen):
            chosen.append(found)
    return sorted(chosen, key=lambda f: f[0])


def find_periods(sentence: str, *, year: int | None = None,
                 reference: Period | None = None) -> list[tuple[int, int, Period]]:
    """Return every period phrase in sentence as (start, end, period), in reading order, the longest of overlaps."""
    # a phrase with no year takes year, else the latest year by the reference's day, else stays year-unknown;
    # words relative to the issue (本月, 上月, 上期, 当日, 今年 …) are read against reference, its own period
    return _find(sentence, year, reference, None)


def parse_period(text: str, *, year: int | None = None) -> Period | None:
    """Return the period a phrase names (year: the default for one with no year); None if it names no one period."""
    text = text.strip().strip("，。,.：:")
    found = _find(text, year, None, None)
    return found[0][2] if len(found) == 1 and found[0][:2] == (0, len(text)) else None


# a period after these is the one a figure is compared with (较上期减少41件, 比上月降低), not the figure's own
_COMPARED = re.compile(r"(?:较|比|与|同|和|跟)\s*$")
# words that make a figure a running total; 共/共计/合计 only sum the parts of a period (本月共受理1099件)
_RUNNING = re.compile(alternation(RUNNING_WORDS))
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")
_CLAUSE_END = re.compile(r"[，,：:；;。！？!?\n]")


def _aside(piece: str, start: int, end: int, at: int) -> bool:
    """Tell whether a period phrase lies in a bracketed aside closed before at: （限期内200件工单至下月办结） is one,
    （2022年7月1日至2022年7月31日） after a heading is the period itself."""
    opened = max(piece.rfind("（", 0, start), piece.rfind("(", 0, start))
    closed = min((i for i in (piece.find("）", end, at), piece.find(")", end, at)) if i >= 0), default=-1)
    if opened < 0 or closed < 0 or opened < max(piece.rfind("）", 0, start), piece.rfind(")", 0, start)):
        return False
    return len(piece[opened + 1:start]) + len(piece[end:closed]) >= 2  # more than the period in the brackets


@functools.lru_cache(maxsize=4096)  # once per sentence and issue: a sentence holds several figures
def _read(piece: str, issue: Period | None) -> tuple[tuple[int, int, Period], ...]:
    return tuple(_find(piece, None, issue, None))


def figure_period(sentence: str, start: int, *, issue: Period | None) -> Period | None:
    """Return the period of the figure at start: the nearest period phrase before it in its sentence, else issue's."""
    left = max((m.end() for m in _SENTENCE_END.finditer(sentence, 0, start)), default=0)
    right = m.start() if (m := _SENTENCE_END.search(sentence, start)) else len(sentence)
    piece, at = sentence[left:right], start - left
    clause = max((m.end() for m in _CLAUSE_END.finditer(piece, 0, at)), default=0)
    before = [(s, p) for s, e, p in _read(piece, issue)
              if e <= at and not _COMPARED.search(piece[:s]) and not _aside(piece, s, e, at)]
    phrase_at, period = before[-1] if before else (clause, issue)
    if period is None:
        return None  # nothing says when
    # a running-total word in the figure's clause: to the end of a day (2022年8月18日，累计检测…) or, with no phrase, of
    # the issue from an unstated start; within the period named otherwise (2019年累计…)
    if _RUNNING.search(piece, max(phrase_at, clause), at) and not period.cumulative:
        to_end = not before or period.grain == "day"
        period = replace(period, start=OPEN_START if to_end else period.start, cumulative=True)
    if issue is not None:  # 1-11月 in a November report reaches back from its end: a running total; 以来 ends there
        back = period.grain == "span" and period.start < issue.start and period.end == issue.end
        period = replace(period, cumulative=period.cumulative or back,
                         end=issue.end if period.end == OPEN_END else period.end)
    return period


def question_period(text: str, *, newest: dt.date | None = None, reference: Period | None = None) -> Period | None:
    """Return the period a question asks about: its first period phrase not compared with (较上期); None if none."""
    # no year: year-unknown, or the latest year by newest (今年/去年 count from it); 上期/本月/当日 need reference,
    # the issue asked about, else are no period (None here, a period with it); 累计/总计 make it a running total
    base = None if reference is not None or newest is None else newest.year
    for s, _, period in _find(text, None, reference, base):
        if not _COMPARED.search(text[:s]):
            period = period.latest_by(newest) if newest is not None else period
            if _RUNNING.search(text) and not period.cumulative:  # a day's running total runs to it, others within
                period = replace(period, start=OPEN_START if period.grain == "day" else period.start, cumulative=True)
            return period
    return None


def _aligned(asked: Period, given: Period) -> list[tuple[Period, Period]]:
    """Return the pairs to compare: a year-unknown side placed in each year the other side touches."""
    known, loose = (asked, given) if asked.year_known else (given, asked)
    years = {d.year for d in (known.start, known.end) if d not in (OPEN_START, OPEN_END)}
    if asked.year_known == given.year_known or not years:
        return [(asked, given)]
    placed = [loose.in_year(y) for y in range(min(years) - 1, max(years) + 1)]  # -1: 12月25日至1月5日 starts before
    return [(asked, p) for p in placed] if asked.year_known else [(p, given) for p in placed]


def matches(asked: Period, given: Period) -> bool:
    """Tell whether a figure stated for given answers a question asking for asked."""
    # The same first and last day: 2019年 = 2019年全年 = 2019年1-12月, 上半年 = 1-6月, 一季度 = 1-3月; never a
    # neighbour, a part or a whole (2019年10月 is not 11月 nor 1-11月). A year-unknown side (8月19日) is those days
    # in any year. Running totals match on their end when either start is unstated (截至8月29日 answers
    # 2021年1月1日至2022年8月29日累计, not 8月29日's own count); an open end (以来, no date) matches any end.
    # (an open end matches only a total that reaches past its start: 截至2000年6月23日 is no 自2020年以来)
    return any((a.start, a.end) == (g.start, g.end) or (a.cumulative and g.cumulative and (
        a.end == g.end or OPEN_END in (a.end, g.end)) and (a.start == g.start or OPEN_START in (a.start, g.start))
        and a.start <= g.end and g.start <= a.end) for a, g in _aligned(asked, given))


def covers(asked: Period, given: Period) -> bool:
    """Tell whether given (an issue's or a figure's period) shares a day with asked: if no issue does, not found."""
    # a year-unknown side shares one if it would in any year the other touches; an unstated start reaches back
    return any(a.start <= g.end and g.start <= a.end for a, g in _aligned(asked, given))
