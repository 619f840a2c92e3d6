"""Choose the answer: rank passages, scope them to the asked place, pick the figure that fits the question."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.answering.combine import (
    PER_PLACE,
    alike_measure,
    combine,
    is_share,
    kind_of_count,
    labelled,
    names_measure,
    newest_first,
    towns_of,
    what_is_asked,
    when,
)
from bot.answering.features import INDEX, Describer
from bot.answering.fit import kind_fits, part_of_date, weight
from bot.answering.model import current
from bot.answering.models import Answer, FigureHit
from bot.answering.passages import passage_answer
from bot.answering.question import Question
from bot.answering.scope import abbreviated_in, period_fits, set_aside
from index import (
    DOWN_WORDS,
    ENUMERATED,
    TOTAL_WORDS,
    UP_WORDS,
    Chunk,
    Hit,
    Library,
    local,
    parse_number,
    parse_period,
    resolve_period,
    same_unit,
    unit_kind,
)

HITS = 10  # passages whose figures are considered
INDEXED_ISSUES = 12  # at most this many of them: the newest (and as many of the asked year)
SERIES_MARGIN = 1.0  # how much worse (log-odds) the newest issue's figure may fit and still answer with no year asked
_RELEVANCE, _ARTICLE, _BEST, _BEST_ARTICLE, _RANK, _INDEXED, _NEWEST = (INDEX[name] for name in (
    "passage relevance", "article relevance", "best passage", "best article", "passage rank",
    "found by the figure index", "newest issue"))
_WHICH_COUNT = re.compile(r"哪几(个|种|位|项|类|部分|条|家|处|座|所)")


def answer(question: Question, library: Library, *, look_elsewhere: bool = True,
           hits: list[Hit] | None = None) -> Answer:
    """Answer an analysed question from the library. Never raises for lack of an answer.

    With look_elsewhere False, a not-found answer does not look up what other places report (a part of a total);
    hits, when given, are the question's search results, found already.
    """
    for place in question.places:
        if not library.mentions(place):
            return _not_found(question, f"简报中没有关于{place}的内容。", ())
    if question.wants == "date" and (published := _issue_date(question, library)) is not None:
        return published
    if question.wants == "figure" and (len(question.places) > 1 or len(question.towns) > 1):
        return combine(question, library, _parts)
    if question.wants == "figure" and question.every_place and not question.places and question.content:
        if question.city and (own := _city_wide(question, library)) is not None:
            return own  # 全市共有快递网点1800个: the city's own figure beats a sum of districts
        return combine(question, library, _parts)
    # a place narrows the passages before ranking: a small district's own are not crowded out by a big one's
    if hits is None:
        hits = library.search(question.terms, k=HITS, phrase=question.focus, places=question.places)
    if not hits:
        place = "、".join(question.places)
        reason = (f"简报提到了{place}，但没有与这个问题相关的内容。" if place
                  else "没有在简报中找到与这个问题相关的内容。")
        return _not_found(question, reason, ())
    if question.wants in ("figure", "code", "date", "year", "month", "ordinal"):
        figures, other_years = rank_figures(question, hits, library)
        if figures and (model := current()).probability(figures[0].score) < model.threshold:
            # too unlikely to be the answer: not found, the figure shown for reference only when it counts the
            # asked measure (an unlikely figure of something else would only mislead)
            doubtful = [figures[0]] if question.measure and names_measure(question, figures[0].figure) else []
            return Answer(question, False, _missing(question, doubtful), "", None, (), tuple(hits),
                          elsewhere=tuple(doubtful))
        if not figures:
            elsewhere = other_years or (_elsewhere(question, library) if look_elsewhere else [])
            return Answer(question, False, _missing(question, elsewhere), "", None, (), tuple(hits),
                          elsewhere=tuple(elsewhere[:3]))
        # the newest issue's figure of the same statistic answers (within the asked year, if one is asked: a year is
        # set aside above), unless it fits far worse
        figures, series = newest_first(figures, SERIES_MARGIN)
        best = figures[0]
        return Answer(question, True, _headline(question, best, figures), best.figure.sentence, best.chunk,
                      tuple(figures), tuple(hits), series=tuple(series))
    weights = {t: weight(t, library) for t in (*question.content, *question.phrases)}
    headline, sentence, chunk = passage_answer(question, hits, weights)
    return Answer(question, True, headline, sentence, chunk, _counted(question, sentence, chunk, library), tuple(hits))


_ISSUE_NUMBER = re.compile(r"第\s*([0-9一二三四五六七八九十百]+)\s*期")
_PUBLISHED = re.compile(r"发|印|出|刊|编|哪天|几号|日期")


def _issue_date(question: Question, library: Library) -> Answer | None:
    """Answer 第11期是哪天发的 from the issues' own dates: the issue of that number (of the year asked, if one is)."""
    m = _ISSUE_NUMBER.search(question.text)
    if m is None or not _PUBLISHED.search(question.text[m.end():]) or (number := parse_number(m.group(1))) is None:
        return None
    year = question.asked_period.start.year if question.asked_period and question.asked_period.year_known else None
    found = [c for c in library.issue_chunks() if c.issue and c.issue_date and c.issue.endswith(f"第{int(number)}期")
             and year in (None, c.issue_date.year, _period_year(c))]
    if question.places:  # of several series with that number, the asked place's
        found = [c for c in found if set(question.places) & set(library.places_of(c.id))] or found
    if len(found) != 1:
        return None
    chunk = found[0]
    when = chunk.issue_date
    assert when is not None  # (filtered above)
    headline = f"{chunk.issue}：{when.year}年{when.month}月{when.day}日"
    return Answer(question, True, headline, "", chunk, (), (Hit(chunk, 1.0, 0),))  # the source: the issue itself


def _period_year(chunk: Chunk) -> int | None:
    """Return the year of the period an issue covers (a December report is dated the next January)."""
    found = parse_period(chunk.issue_period) if chunk.issue_period else None
    return found.start.year if found is not None and found.year_known else None


def _parts(parts: Sequence[Question], library: Library) -> list[Answer]:
    """Answer each place's part of a question over several places, their passages found in one search."""
    shared = [len(q.places) == 1 and (q.terms, q.focus) == (parts[0].terms, parts[0].focus) for q in parts]
    searched = library.search_each(parts[0].terms, [q.places[0] for q, s in zip(parts, shared, strict=True) if s],
                                   k=HITS, phrase=parts[0].focus) if any(shared) else {}
    return [answer(q, library, look_elsewhere=False, hits=searched[q.places[0]] if s else None)
            for q, s in zip(parts, shared, strict=True)]


def _city_wide(question: Question, library: Library) -> Answer | None:
    """Answer from the city's own figures (全市共有…: no district), or None when the bulletins have none of it."""
    result = answer(replace(question, every_place=False, city=False), library, look_elsewhere=False)
    wanted = "new" if question.qualifier == "新增" else None
    # the city's own: its figure names no district (全市, 上海市), nor the country
    city = [f for f in result.figures if not any(local(p) or p == "全国" for p in f.figure.places)
            and names_measure(question, f.figure)
            and (wanted is None or kind_of_count(f.figure) == wanted)
            and (f.figure.kind != "percent" or question.unit_kind == "percent")]
    if not result.found or not city:
        return None
    city, series = newest_first(city, SERIES_MARGIN)
    best = city[0]
    return replace(result, headline="全市：" + _headline(question, best, city), quote=best.figure.sentence,
                   chunk=best.chunk, figures=tuple(city), series=tuple(series))


def _counted(question: Question, sentence: str, chunk: Chunk, library: Library) -> tuple[FigureHit, ...]:
    """For 有哪几种口味, the count the answer's sentence gives (四种口味) alongside the list it names."""
    asked = _WHICH_COUNT.search(question.text)
    if question.wants != "list" or asked is None:
        return ()
    return tuple(FigureHit(f, chunk, 0.0, (("counts the listed items", 1.0, 0.0),)) for f in library.figures.get(chunk.id, ())
                 if f.sentence == sentence and same_unit(f.unit, asked.group(1)))


def _not_found(question: Question, reason: str, hits: tuple[Hit, ...]) -> Answer:
    return Answer(question, False, reason, "", None, (), hits)


def _missing(question: Question, elsewhere: list[FigureHit]) -> str:
    """Say what is missing, and what the bulletins have instead, marked as not the answer."""
    what = what_is_asked(question)
    where = "、".join(question.towns or question.places)
    when = question.period or ""
    unit = f"（以“{question.unit}”计）" if question.unit_spoken and question.unit else ""
    kind = {"date": "日期", "year": "年份", "month": "月份", "ordinal": "名次", "code": "编号"}.get(question.wants, "数字")
    if where or when:
        reason = f"简报{'提到了' + where + '，但' if where else '中'}没有{where}{when}{'的' if where or when else ''}{what}的{kind}{unit}。"
    else:
        reason = f"相关段落里没有{what}的{kind}{unit}。"
    if elsewhere:
        # each with its qualifier: 新增15套 and 累计100套 are different statistics, and bare numbers would hide which
        shown = "；".join(list(dict.fromkeys(f"{_label(f)} {labelled(f.figure)}" for f in elsewhere))[:3])
        reason += f"仅供参考（不是所问）：{shown}。"
    return reason


def _label(item: FigureHit) -> str:
    """Name a figure's place and period: 青浦 2022年, or its bulletin's date."""
    return " ".join((*item.figure.places[:1], when(item)))


def _elsewhere(question: Question, library: Library) -> list[FigureHit]:
    """Return, from the figure index, the asked measure's figures for other places: what the bulletins do say."""
    if not question.places:
        return []
    words = [question.measure] if question.measure else list(question.content)
    found = [FigureHit(fig, chunk, 0.0)
             for chunk, fig in library.measuring(words, places=question.places, other_places=True, per_place=PER_PLACE)
             if kind_fits(question, fig) and (question.unit_kind is None or unit_kind(fig.unit) == question.unit_kind)]
    # per place the newest, and a total before a new part when a total is asked (新增 when 新增 is)
    wanted = {"total": "total", "新增": "new"}.get(question.qualifier or "", "plain")
    found.sort(key=lambda f: (kind_of_count(f.figure) == wanted, f.chunk.issue_date or dt.date.min), reverse=True)
    newest: dict[str, FigureHit] = {}
    for item in found:
        newest.setdefault(item.figure.places[0], item)  # one per place: its newest
    return list(newest.values())


def rank_figures(question: Question, hits: list[Hit], library: Library) -> tuple[list[FigureHit], list[FigureHit]]:
    """Score every figure of the passages against the question; best first, one per value and sentence.

    Also returns, when a year is asked, the figures that would fit but are about another year.
    """
    # the words of a rate keyword (同比增长) say what kind of figure, which "keyword before it" rewards; near the
    # figure it is the other words that tell whose rate it is (投诉同比增长: 投诉's)
    rate = question.keyword if question.unit_kind == "percent" else None
    weights = {t: weight(t, library) for t in (*question.content, *question.phrases) if not (rate and t in rate)}
    period = resolve_period(question.period, library.newest)  # 今年 = the newest bulletin's year
    asked_year = int(period[:4]) if period and period[:4].isdigit() else None
    passages = _passages(hits, library)
    if question.places and question.measure:
        # the figure index adds the place's figures of this measure from other issues, not only BM25's best
        # passages: the newest issue's figure and the asked year's are candidates however the passages rank
        listed = {p.chunk.id for p in passages}
        passages += [_Passage(c, 0.0, 0.0, None, True) for c in _indexed(question, library, listed, asked_year)]
    articles: dict[int, frozenset[str]] = {}
    asked_places = frozenset(question.places)
    describer = Describer(question, weights, period)
    top = hits[0].score
    # 几级 may be answered by a bare 7.2, 什么时候 by a year: when nothing fits strictly, the next best may answer
    # (高安10月市监局办了多少件: 办件数量322 in a table row has no 件)
    other_years: list[FigureHit] = []
    for relaxed in (False, True):
        candidates: list[FigureHit] = []
        for passage in passages:
            chunk = passage.chunk
            for fig in library.figures.get(chunk.id, ()):
                if asked_places and asked_places.isdisjoint(fig.places):
                    continue  # another place's figure (looked at first: most of a 各区 part's figures are)
                if question.wants in ("year", "month") and fig.kind == "date":
                    fig = part_of_date(fig, question.wants) or fig  # 西元几年 is answered by 1980年 of 1980年5月4日
                if not kind_fits(question, fig, relaxed=relaxed) or (
                        question.towns and not set(question.towns) & set(towns_of(fig))):
                    continue  # a town asked (七宝镇): only a figure whose clause names it
                if question.places and question.unit_spoken and question.unit_kind == "count" and question.measure \
                        and fig.measure and not names_measure(question, fig) \
                        and not abbreviated_in(question.measure, fig.sentence):
                    continue  # 多少个快递网点 (a counted noun, spoken) is not answered by a count of 快递驿站
                if chunk.article_id not in articles:  # looked up once per article, not per figure and word
                    text = library.article_text(chunk.article_id)
                    articles[chunk.article_id] = frozenset(t for t in weights if t in text)
                row = describer.row(fig, article=articles[chunk.article_id],
                                    period_fits=period_fits(question, FigureHit(fig, chunk, 0.0)))
                row[_RELEVANCE] = passage.score / top
                row[_ARTICLE] = passage.article / top
                row[_BEST] = float(chunk.id == hits[0].chunk.id)
                row[_BEST_ARTICLE] = float(chunk.article_id == hits[0].chunk.article_id)
                row[_RANK] = 1.0 / (1.0 + passage.rank) if passage.rank is not None else 0.0
                row[_INDEXED] = float(passage.indexed)
                candidates.append(FigureHit(fig, chunk, 0.0, (), tuple(row)))
        kept, aside = set_aside(question, candidates, weights, asked_year)
        other_years = other_years or aside  # what the strict pass set aside stays the answer's "elsewhere"
        if kept or not (question.unit_spoken or question.wants == "date"):
            break
    return _distinct(_scored(kept)), _distinct(_scored(other_years))


def _scored(items: list[FigureHit]) -> list[FigureHit]:
    """Score the candidates all at once: their features as one matrix, one product with the model's weights."""
    if not items:
        return []
    model = current()
    matrix = np.array([item.features for item in items], dtype=np.float64)
    dates = np.array([(item.chunk.issue_date or dt.date.min).toordinal() for item in items])
    matrix[:, _NEWEST] = dates == dates.max()  # a set feature: of these candidates, the newest issue's
    scores = model.scores(matrix)
    # built directly: dataclasses.replace, once per candidate, cost a tenth of the question's time
    return [FigureHit(item.figure, item.chunk, score, item.reasons, tuple(row))
            for item, score, row in zip(items, scores.tolist(), matrix.tolist(), strict=True)]


def _indexed(question: Question, library: Library, listed: set[int], year: int | None) -> list[Chunk]:
    """Return the chunks holding the asked place's figures of the asked measure: the newest issues', the year's."""
    positions, dates = library.measure_chunks([question.measure or ""], places=question.places, exclude=listed)
    chosen = positions[:INDEXED_ISSUES].tolist()
    if year is not None:  # that year's issues first, then the next year's (which report the year's totals)
        # the years of only the dates that can be that year or the next (a date per chunk cost a 全市 question 5%)
        lo, hi = _new_year(year), _new_year(year + 2)
        rest, days = positions[INDEXED_ISSUES:], dates[INDEXED_ISSUES:]
        near = (days >= lo) & (days < hi)
        of_year = sorted(((int(p), dt.date.fromordinal(int(d)).year) for p, d in zip(rest[near], days[near], strict=True)),
                         key=lambda py: py[1] != year)
        chosen += [p for p, _ in of_year[:INDEXED_ISSUES]]
    return [library.chunk_at(p) for p in chosen]


def _new_year(year: int) -> int:
    """Return the ordinal of a year's first day (of any year asked: 0 is before every date, 10000 after)."""
    return dt.date.max.toordinal() + 1 if year > dt.MAXYEAR else dt.date(max(year, dt.MINYEAR), 1, 1).toordinal()


def _distinct(scored: list[FigureHit]) -> list[FigureHit]:
    """Sort best first, keeping one figure per value and sentence: of reprints, the newest issue's, at the best score."""
    groups: dict[tuple[float, float | None, str | None, str], list[FigureHit]] = {}
    for item in scored:
        groups.setdefault((item.figure.value, item.figure.value_max, item.figure.unit, item.figure.sentence), []).append(item)
    out = []
    for group in groups.values():
        best = max(group, key=lambda f: f.score)
        newest = max(group, key=lambda f: (f.chunk.issue_date or dt.date.min, f.score))
        out.append(replace(newest, score=best.score, features=best.features) if newest is not best else best)
    return sorted(out, key=lambda f: (-f.score, -(f.chunk.issue_date or dt.date.min).toordinal()))


@dataclass(frozen=True, slots=True)
class _Passage:
    """A chunk whose figures are candidates: its own BM25 score, its article's best, its rank among the hits."""

    chunk: Chunk
    score: float  # 0 for a chunk that is no hit
    article: float
    rank: int | None
    indexed: bool = False  # found through the figure index, not the search


def _passages(hits: list[Hit], library: Library, *, articles: int = 3) -> list[_Passage]:
    """Return the chunks whose figures are candidates: the hits and every chunk of the best articles."""
    # A figure's sentence often does not repeat the subject its article is about (体长可达10公分 in an article
    # about 溪银汉鱼), so every chunk of the best articles is a candidate, with its article's relevance.
    best: dict[int, float] = {}
    for hit in hits:
        best[hit.chunk.article_id] = max(best.get(hit.chunk.article_id, 0.0), hit.score)
    out = [_Passage(hit.chunk, hit.score, best[hit.chunk.article_id], hit.rank) for hit in hits]
    own = {hit.chunk.id for hit in hits}
    for article in sorted(best, key=lambda a: -best[a])[:articles]:
        out.extend(_Passage(chunk, 0.0, best[article], None) for chunk in library.articles.get(article, ())
                   if chunk.id not in own)
    return out


def _headline(question: Question, best: FigureHit, figures: list[FigureHit]) -> str:
    """Write the figure first, as a reader would say it: 青浦：共100套公租房（其中2022年新增15套）."""
    fig = best.figure
    # a 全市 question answered by one district's figure says whose it is: 徐汇's figure is not the city's
    # of several places asked, the one the figure is about (徐汇和长宁哪天开会: 长宁's meeting says 长宁)
    named = [p for p in question.places if p in fig.places][:1] or question.places[:1] or (
        fig.places[:1] if question.every_place else ())
    place = f"{(question.towns[:1] or named)[0]}：" if named else ""
    # a rate says its direction: 下降12.5% must not read as the 增长 that was asked
    shown = TOTAL_WORDS | {"新增"} | (set(UP_WORDS) | set(DOWN_WORDS) if fig.kind == "percent" else set())
    qualifier = fig.qualifier if fig.qualifier in shown and fig.qualifier not in fig.text else ""
    noun = question.measure if question.measure and fig.after.startswith(question.measure) else ""
    period = f"{fig.period}" if fig.period and fig.period not in fig.text and question.period else ""
    # a town's share (其中漕河泾街道新增4个) is a part of a part: left to the quote
    # and only a 新增 or a total is worth a mention (其中约650人 is left to the quote too)
    related = [f for f in figures[1:] if f.chunk.id == best.chunk.id and f.figure.unit == fig.unit
               and f.figure.value != fig.value and f.figure.qualifier != fig.qualifier
               and f.figure.qualifier in TOTAL_WORDS | {"新增"} and alike_measure(f.figure, fig)
               and not is_share(f.figure)][:2]
    extra = "；".join(f"{f.figure.period or ''}{f.figure.qualifier or ''}{f.figure.text}" for f in related)
    # a 新增 figure beside a total is part of it (其中); anything else is only related (另)
    part = "其中" if fig.qualifier in TOTAL_WORDS and all(f.figure.qualifier == "新增" for f in related) else "另："
    if fig.qualifier == ENUMERATED:  # 3个（金海街道、南桥镇和奉城镇）: the count its list implies, then the list
        return f"{place}{period}{int(fig.value)}{fig.unit or ''}（{fig.text}）"
    return f"{place}{period}{qualifier}{fig.text}{noun}" + (f"（{part}{extra}）" if extra else "")
