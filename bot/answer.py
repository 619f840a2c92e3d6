"""Choose the answer: rank passages, scope them to the asked place, pick the figure that fits the question."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.passages import gap, passage_answer
from bot.question import Question
from index import TOTAL_WORDS, Chunk, Figure, Hit, Library, resolve_period, same_unit, unit_kind

HITS = 10  # passages whose figures are considered
_PLANNED = re.compile(r"计划|力争|目标|预计|争取|拟|将")
_COVERAGE = 0.35  # with a place asked, the share of the question's words a figure's sentence must hold


@dataclass(frozen=True, slots=True)
class FigureHit:
    """A candidate figure, the chunk it comes from and how well it fits the question."""

    figure: Figure
    chunk: Chunk
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply to a question: found or not, the figures best first, the passages best first."""

    question: Question
    found: bool
    headline: str  # the figure (or name, or reason) in one line
    quote: str  # the sentence it comes from ("" when nothing was found)
    chunk: Chunk | None  # where the quote stands
    figures: tuple[FigureHit, ...]
    hits: tuple[Hit, ...]


def answer(question: Question, library: Library) -> Answer:
    """Answer an analysed question from the library. Never raises for lack of an answer."""
    # a place narrows the passages after ranking, so rank deep enough to keep the place's own
    hits = library.search(question.terms, k=500 if question.places else 20, phrase=question.focus)
    for place in question.places:
        if not library.mentions(place):
            return _not_found(question, f"简报中没有关于{place}的内容。", ())
    if question.places:
        hits = [h for h in hits if set(question.places) & set(library.places.get(h.chunk.id, ()))]
    hits = hits[:HITS]
    if not hits:
        place = "、".join(question.places)
        reason = (f"简报提到了{place}，但没有与这个问题相关的内容。" if place
                  else "没有在简报中找到与这个问题相关的内容。")
        return _not_found(question, reason, ())
    if question.wants in ("figure", "date", "year", "ordinal"):
        figures = rank_figures(question, hits, library)
        if not figures:
            return _not_found(question, _missing(question), tuple(hits))
        best = figures[0]
        return Answer(question, True, _headline(question, best, figures), best.figure.sentence, best.chunk,
                      tuple(figures), tuple(hits))
    weights = {t: _weight(t, library) for t in (*question.content, *question.phrases)}
    headline, sentence, chunk = passage_answer(question, hits, weights)
    return Answer(question, True, headline, sentence, chunk, (), tuple(hits))


def _not_found(question: Question, reason: str, hits: tuple[Hit, ...]) -> Answer:
    return Answer(question, False, reason, "", None, (), hits)


def _missing(question: Question) -> str:
    what = question.measure or "、".join(question.content[:2]) or "这个问题"
    where = f"{'、'.join(question.places)}的" if question.places else ""
    unit = f"（以“{question.unit}”计）" if question.unit_spoken and question.unit else ""
    if question.places:
        return f"简报提到了{'、'.join(question.places)}，但没有{where}{what}的数字{unit}。"
    return f"相关段落里没有{what}的数字{unit}。"


def rank_figures(question: Question, hits: list[Hit], library: Library) -> list[FigureHit]:
    """Score every figure of the passages against the question; best first, one per value and sentence."""
    top = hits[0].score
    weights = {t: _weight(t, library) for t in (*question.content, *question.phrases)}
    period = resolve_period(question.period, library.newest)  # 今年 = the newest bulletin's year
    scored: list[FigureHit] = []
    passages = _passages(hits, library)
    articles: dict[int, str] = {}
    # 几级 may be answered by a bare 7.2: when no figure carries the spoken unit, bare numbers may answer
    for relaxed in (False, True):
        for chunk, relevance in passages:
            scope = library.places.get(chunk.id, ())
            for fig in library.figures.get(chunk.id, ()):
                if chunk.article_id not in articles:
                    articles[chunk.article_id] = library.article_text(chunk.article_id)
                article = articles[chunk.article_id]
                score = _fit(question, fig, scope[:1], weights, article=article, period=period, relaxed=relaxed)
                if score is not None:
                    scored.append(FigureHit(fig, chunk, score + 6.0 * relevance / top))
        if scored or not question.unit_spoken:
            break
    if question.wants == "figure" and question.unit_kind and not question.unit_spoken:
        # 多少钱 wants money: figures of another kind are wrong answers (a bare number stays: 人口8.57万)
        scored = [f for f in scored if f.figure.unit is None or unit_kind(f.figure.unit) == question.unit_kind]
    if question.places:
        # a place's figure must be about what was asked: 8000余人 in a 浦东 sentence about union members does not
        # answer 浦东快递业务量是多少, even though it is 浦东's only figure
        scored = [f for f in scored if _coverage(question, f.figure.sentence, weights) >= _COVERAGE]
    if not period:
        # with no period asked, the newest bulletin wins a tie: figures get revised in later issues
        newest = max((f.chunk.issue_date for f in scored if f.chunk.issue_date), default=None)
        scored = [replace(f, score=f.score + 0.3) if newest and f.chunk.issue_date == newest else f
                  for f in scored]
    scored.sort(key=lambda f: -f.score)
    seen: set[tuple[float, float | None, str | None, str]] = set()
    out = []
    for item in scored:
        key = (item.figure.value, item.figure.value_max, item.figure.unit, item.figure.sentence)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _passages(hits: list[Hit], library: Library, *, articles: int = 3) -> list[tuple[Chunk, float]]:
    """Return the chunks whose figures are candidates, each with its relevance (same scale as hit scores)."""
    # A figure's sentence often does not repeat the subject its article is about (体长可达10公分 in an article
    # about 溪银汉鱼), so every chunk of the best articles is a candidate, and a chunk's relevance blends its own
    # score with its article's best.
    best: dict[int, float] = {}
    own: dict[int, float] = {}
    for hit in hits:
        own[hit.chunk.id] = hit.score
        best[hit.chunk.article_id] = max(best.get(hit.chunk.article_id, 0.0), hit.score)
    chosen = sorted(best, key=lambda a: -best[a])[:articles]
    out = [(hit.chunk, 0.2 * hit.score + 0.8 * best[hit.chunk.article_id]) for hit in hits]
    for article in chosen:
        out.extend((chunk, 0.8 * best[article]) for chunk in library.articles.get(article, ())
                   if chunk.id not in own)
    return out


def _coverage(question: Question, sentence: str, weights: dict[str, float]) -> float:
    """Return the share of the question's word weight found in a sentence, by words or their bigrams."""
    total = sum(weights[w] for w in question.content)
    return sum(weights[w] * _found(w, sentence) for w in question.content) / total if total else 1.0


def _found(word: str, sentence: str) -> float:
    """Return 1.0 if word is in sentence, else the share of its bigrams that are (快递网点 in 快递末端网点: 2/3)."""
    if word in sentence:
        return 1.0
    pairs = [word[i:i + 2] for i in range(len(word) - 1)]
    return sum(p in sentence for p in pairs) / len(pairs) if pairs else 0.0


def _weight(term: str, library: Library) -> float:
    """Return how telling a question word is: its idf, or for a phrase the idf of its rarest bigram."""
    idf = library.searcher.idf(term) or max(
        (library.searcher.idf(term[i:i + 2]) for i in range(len(term) - 1)), default=0.0)
    return max(idf, 0.3) if idf else 1.0


def _fit(question: Question, fig: Figure, article_place: tuple[str, ...], weights: dict[str, float], *,
         article: str, period: str | None, relaxed: bool = False) -> float | None:
    """Return how well a figure answers the question, or None when it cannot."""
    if not _kind_fits(question, fig, relaxed=relaxed):
        return None
    if question.places:
        scope = fig.places or article_place
        if not set(question.places) & set(scope):
            return None
    score = 0.0
    if question.unit_kind and not question.unit_spoken:
        score += 1.5 if unit_kind(fig.unit) == question.unit_kind else -1.0
        if question.unit and same_unit(question.unit, fig.unit):
            score += 0.5
    if question.unit_kind and fig.kind == "number":
        score -= 0.5  # a bare number is a weaker answer than one with the asked kind of unit
    if fig.text.startswith("一"):
        score -= 0.4 if question.unit_spoken else 0.7  # 一个/一种 is usually the article "a", not a count
    if question.measure and question.measure in fig.after[:len(question.measure) + 2]:
        score += 1.0  # 多少套公租房 -> 100套公租房: the noun right after the unit is the one asked
    if _PLANNED.search(fig.before):
        score -= 0.8  # 计划年底前提升至80% is a target, not what happened
    if question.keyword and question.keyword in fig.before:
        score += 1.0  # 厚度大约有1厘米: the quantity asked is named right before the figure
    score += _context(question, fig, weights, article)
    total = fig.qualifier in TOTAL_WORDS
    if question.qualifier == "新增":
        score += 1.5 if fig.qualifier == "新增" else -0.5
    elif question.qualifier == "total" or question.places:
        score += 1.0 if total else (-0.8 if fig.qualifier == "新增" else 0.0)
    if period:
        score += 1.0 if fig.period == period else (-0.7 if fig.period else -0.2)
    return score


def _kind_fits(question: Question, fig: Figure, *, relaxed: bool = False) -> bool:
    if question.wants == "date":
        return fig.kind == "date"
    if question.wants == "year":
        return fig.kind in ("year", "date") and fig.value >= 1000
    if question.wants == "ordinal":
        return fig.kind == "ordinal"
    if fig.kind in ("date", "year", "ordinal"):
        return False
    if question.unit_spoken:
        return same_unit(question.unit, fig.unit) or (relaxed and fig.unit is None)
    return True


def _context(question: Question, fig: Figure, weights: dict[str, float], article: str) -> float:
    """Reward question words close to the figure, most of all inside its own measure phrase (0 to 4.5)."""
    # A word elsewhere in the figure's article counts a little: the article is about it (体长可达10公分 in an
    # article about 溪银汉鱼 answers 溪银汉鱼的体长).
    score = 0.0
    for term, weight in weights.items():
        distance = gap(fig.sentence, fig.start, fig.end, term)
        best = max(1.0 / (1.0 + distance / 6.0) if distance is not None else 0.0, 0.4 if term in article else 0.0)
        if term in fig.before or term in fig.after:
            best += 0.5
        score += weight * best
    total = sum(weights.values())
    return 3.0 * score / total if total else 0.0


def _headline(question: Question, best: FigureHit, figures: list[FigureHit]) -> str:
    """Write the figure first, as a reader would say it: 青浦：共100套公租房（其中2022年新增15套）."""
    fig = best.figure
    place = f"{question.places[0]}：" if question.places else ""
    qualifier = fig.qualifier if fig.qualifier in TOTAL_WORDS | {"新增"} and fig.qualifier not in fig.text else ""
    noun = question.measure if question.measure and fig.after.startswith(question.measure) else ""
    period = f"{fig.period}" if fig.period and fig.period not in fig.text and question.period else ""
    related = [f for f in figures[1:] if f.chunk.id == best.chunk.id and f.figure.unit == fig.unit
               and f.figure.value != fig.value and f.figure.qualifier != fig.qualifier][:2]
    extra = "；".join(f"{f.figure.period or ''}{f.figure.qualifier or ''}{f.figure.text}" for f in related)
    # a 新增 figure beside a total is part of it (其中); anything else is only related (另)
    part = "其中" if fig.qualifier in TOTAL_WORDS and all(f.figure.qualifier == "新增" for f in related) else "另："
    return f"{place}{period}{qualifier}{fig.text}{noun}" + (f"（{part}{extra}）" if extra else "")
