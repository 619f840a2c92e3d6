"""Whether a figure is about what was asked: its kind, its subject (棠浦镇, 市监局) and its period (2024年12月)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import replace

from bot.answering.fit import coverage, year_of
from bot.answering.models import FigureHit
from bot.answering.question import Question
from index import (
    OPEN_START,
    Figure,
    Period,
    Subject,
    covers,
    figure_period,
    matches,
    parse_period,
    same_subject,
    subjects_in,
    subjects_of,
    unit_kind,
)

_COVERAGE = 0.35  # with a place asked, the share of the question's words a figure's sentence must hold


def set_aside(question: Question, scored: list[FigureHit], weights: dict[str, float],
               asked_year: int | None) -> tuple[list[FigureHit], list[FigureHit]]:
    """Drop the figures that cannot answer (another kind, another subject's, not about what was asked) and set
    aside those of another year or period: return the rest and those."""
    if question.wants == "figure" and question.unit_kind and not question.unit_spoken:
        # 多少钱 wants money: figures of another kind are wrong answers (a bare number stays: 人口8.57万)
        scored = [f for f in scored if f.figure.unit is None or unit_kind(f.figure.unit) == question.unit_kind]
    if question.places:
        # a place's figure must be about what was asked: 8000余人 in a 浦东 sentence about union members does not
        # answer 浦东快递业务量是多少, even though it is 浦东's only figure
        scored = [f for f in scored if coverage(question, f.figure.sentence, weights) >= _COVERAGE]
    other_years: list[FigureHit] = []
    if asked_year is not None and question.wants == "figure":
        # 2021年新增 is not answered by 2022年新增: a figure dated to another year is set aside
        aside = [year_of(f.figure, f.chunk.issue_date) not in (None, asked_year) for f in scored]
        other_years = [f for f, out in zip(scored, aside, strict=True) if out]
        scored = [f for f, out in zip(scored, aside, strict=True) if not out]  # (each candidate once: no == needed)
    # whose each figure is, read only when a subject is asked (reading it is a tenth of a 全市 question's time)
    owners = [_owners(f) for f in scored] if question.subjects and question.wants == "figure" else []
    if owners and any(_named(question.subjects, own) for own in owners):
        # 棠浦镇重复派发了几件: not 市监局's 1件 (a figure of another subject), and in a list or table of several
        # subjects its own 其中棠浦镇2件, not the whole's 5件 (in a text about it alone, every sentence may open with its
        # name, so there a figure naming nobody stays)
        # (only where some figure is the subject's own: otherwise who a figure is of is not told apart here)
        listed = any(own and not _named(question.subjects, own) for own in owners)
        scored = [f for f, own in zip(scored, owners, strict=True)
                  if _named(question.subjects, own) or not (own or listed)]
    if (offices := tuple(s for s in question.subjects if _OFFICE.search(s))) and question.wants == "figure":
        # 公安局重复派发了几件: not the whole's 5件 of a paragraph that never names 公安局, nor 市监局's 1件 in its list
        # (the offices and places below a county that bulletins report on; a 球队 or 公司 of encyclopedic text is
        # written too many ways to be held to its name)
        scored = [f for f in scored if _about(offices, f)]
    if question.rate and question.wants == "figure":
        # 接通率 is not answered by 提前办结率53.46% (another rate named right before it), nor by a count (办件数量91);
        # 重派占比率 is a 重派率
        scored = [f for f in scored if _same_rate(question.rate, f.figure)]
    if question.asked_period is not None and question.wants == "figure":
        # 2025年4月 is not answered by May's figure, nor 11月 by 1-11月's: a figure of another period is set aside
        asked = question.asked_period
        out = [(given := period_of(f)) is not None and not _answers(asked, given, f.figure) for f in scored]
        other = [f for f, o in zip(scored, out, strict=True) if o]
        scored = [f for f, o in zip(scored, out, strict=True) if not o]
        other_years += other
    return scored, other_years


_OFFICE = re.compile(r"(?:局|委|办|委员会|办公室|街道|街办|镇|乡|社区|居委会|村|村委会|开发区|园区|片区)$")
_RATE_BEFORE = re.compile(r"([\u4e00-\u9fff]{1,6}率)[为是达到了约有]*$")


def _same_rate(rate: str, fig: Figure) -> bool:
    """Tell whether a figure may be the rate asked: a rate named right before it is that rate (重派占比率 for 重派率);
    with none named, a percentage may be, a count may not."""
    own = _RATE_BEFORE.search(fig.before)
    return abbreviated_in(rate[:-1], own.group(1)) if own else fig.kind == "percent"


def _about(subjects: tuple[str, ...], item: FigureHit) -> bool:
    """Tell whether a figure may be the asked subject's: its own clause, list or row names it, or (naming nobody) its
    paragraph up to it or its article's title does."""
    own = _owners(item)
    if own:
        return _named(subjects, own)
    text, fig = item.chunk.text, item.figure
    at = text.find(fig.sentence)
    paragraph = text[text.rfind("\n", 0, at) + 1:at + len(fig.sentence)] if at >= 0 else fig.sentence
    context = item.chunk.title + paragraph
    return any(abbreviated_in(s, context) for s in subjects) or _named(subjects, tuple(subjects_in(context)))


def _owners(item: FigureHit) -> tuple[Subject, ...]:
    """Return whose a figure is: the subjects of its clause, list item or row, read across the ；-parts of its
    sentence (帅鑫片区1组，…；需整改问61个 is still 帅鑫片区's)."""
    fig, text = item.figure, item.chunk.text
    at = text.find(fig.sentence)
    if at < 0:
        return subjects_of(fig.sentence, fig.start, fig.end)
    left = max(text.rfind("。", 0, at), text.rfind("\n", 0, at)) + 1
    return subjects_of(text[left:at + len(fig.sentence)], at - left + fig.start, at - left + fig.end)


def _named(asked: tuple[str, ...], own: tuple[Subject, ...]) -> bool:
    """Tell whether a figure's subjects (its clause's, list item's or row's) hold one asked."""
    return any(same_subject(a, s.name) for a in asked for s in own)


def abbreviated_in(word: str, text: str) -> bool:
    """Tell whether text holds a word or the phrase it abbreviates: its characters in order, close together
    (违建 in 违法建设, 核酸 in 核酸检测)."""
    if word in text:
        return True
    pattern = ".{0,3}".join(re.escape(ch) for ch in word)
    return len(word) >= 2 and re.search(pattern, text) is not None


def _answers(asked: Period, given: Period, fig: Figure) -> bool:
    """Tell whether a figure of the given period answers the asked one: the same days; for a year asked, a running
    total reached within that year (长宁2020年有多少个快递网点: the count at 2020's last issue); for a day asked, a
    rate standing on that day (目前…接种完成率84.31% in the 8月29日 report: a level, where a count would be a flow)."""
    if matches(asked, given):
        return True
    if asked.grain == "year" and given.cumulative and given.start == OPEN_START and asked.year_known \
            and given.year_known:
        return asked.start <= given.end <= asked.end  # a stock (累计建成) reached within the year asked
    if asked.grain == "day" and given.cumulative and fig.kind == "percent":
        return (given.end.month, given.end.day) == (asked.end.month, asked.end.day) and (
            not asked.year_known or not given.year_known or given.end.year == asked.end.year)
    return False


def period_fits(question: Question, item: FigureHit) -> str | None:
    """Tell how a figure's period stands to the one asked: "same" (its sentence says so), "issue" (its issue's
    period, its sentence saying none, is the same), "overlap" (a part or a whole of it) or "other"; None when no
    period is asked or none is known."""
    if question.asked_period is None or (given := period_of(item)) is None:
        return None
    if _answers(question.asked_period, given, item.figure):
        fig = item.figure
        return "same" if _period_of(fig.sentence, fig.start, None, None) is not None else "issue"
    return "overlap" if covers(question.asked_period, given) else "other"


def period_of(item: FigureHit) -> Period | None:
    """Return the period a figure is stated for: its sentence's, else its issue's (None when nothing says)."""
    return _period_of(item.figure.sentence, item.figure.start, item.chunk.issue_period, item.chunk.issue_date)


@functools.lru_cache(maxsize=8192)
def _period_of(sentence: str, start: int, issue_period: str | None, issue_date: dt.date | None) -> Period | None:
    issue = parse_period(issue_period, year=issue_date.year if issue_date else None) if issue_period else None
    if issue is not None and issue.cumulative and issue.grain == "day":
        # a daily report opening 截至8月18日 reports that day: its figures with no period words are the day's own
        issue = replace(issue, start=issue.end, cumulative=False)
    elif issue is None and issue_date is not None:
        issue = parse_period(f"{issue_date.year}年")  # an issue known only by its date: its figures are its year's
    return figure_period(sentence, start, issue=issue)
