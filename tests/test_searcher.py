"""Searcher: BM25Plus ranking over chunks, checked against the formula computed by hand."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from index.models import Chunk
from index.search.searcher import Searcher

K1, B, DELTA = 1.2, 0.75, 1.0  # the searcher's k1; rank-bm25's b and delta

DOCS: list[list[str]] = [
    ["青浦", "公租房", "公租房", "套", "快递"],
    ["浦东", "工会", "快递", "快递", "会议", "小哥"],
    ["青浦", "快递", "小哥"],
    ["奉贤", "驿站", "快递", "党建", "党建", "联盟", "快递"],
    ["松江", "权益", "保障", "快递", "座谈会"],
    ["青浦", "公租房", "租赁", "面积", "平方米", "快递", "企业", "员工", "一线"],
    ["青浦", "调研", "会议", "党建"],
]


def _chunks(n: int) -> list[Chunk]:
    return [Chunk(id=100 + i, document="doc.txt", title=f"标题{i}", text=f"正文{i}", ordinal=i) for i in range(n)]


def _bm25_plus(corpus: list[list[str]], query: list[str]) -> list[float]:
    """BM25Plus as rank_bm25 0.2 defines it: idf = log((N + 1) / df), plus delta for every query term."""
    n = len(corpus)
    avgdl = sum(len(d) for d in corpus) / n
    df = Counter(t for d in corpus for t in set(d))
    idf = {t: math.log((n + 1) / f) for t, f in df.items()}
    scores = []
    for doc in corpus:
        tf = Counter(doc)
        norm = K1 * (1 - B + B * len(doc) / avgdl)
        scores.append(sum(idf.get(q, 0.0) * (DELTA + tf[q] * (K1 + 1) / (tf[q] + norm)) for q in query))
    return scores


def _expected_order(corpus: list[list[str]], query: list[str]) -> list[int]:
    scores = _bm25_plus(corpus, query)
    # best first; ties keep corpus order; a document with none of the query terms is no hit
    return [i for i in sorted(range(len(corpus)), key=lambda i: (-scores[i], i)) if set(query) & set(corpus[i])]


@pytest.fixture(scope="module")
def searcher() -> Searcher:
    return Searcher(_chunks(len(DOCS)), DOCS)


@pytest.mark.parametrize("query", [
    ["青浦", "公租房"],
    ["快递", "小哥"],
    ["党建", "会议"],
    ["青浦", "快递"],  # 快递 is in more than half the documents: Okapi's idf would be negative
    ["公租房", "公租房", "面积"],  # a repeated query term counts twice
    ["快递"],
])
def test_ranking_matches_bm25_plus(searcher: Searcher, query: list[str]) -> None:
    expected = _expected_order(DOCS, query)
    assert expected  # the query finds something, so the comparison means something
    hits = searcher.search(query, k=len(DOCS))
    assert [h.chunk.id for h in hits] == [100 + i for i in expected]


def test_scores_match_bm25_plus(searcher: Searcher) -> None:
    query = ["青浦", "公租房", "小哥"]
    scores = _bm25_plus(DOCS, query)
    for hit in searcher.search(query, k=len(DOCS)):
        assert hit.score == pytest.approx(scores[hit.chunk.id - 100])


def test_common_term_keeps_a_positive_idf(searcher: Searcher) -> None:
    # 快递 is in 6 of 7 documents: Okapi's raw idf would be negative; BM25Plus's is log(8/6)
    assert math.log(len(DOCS) - 6 + 0.5) - math.log(6 + 0.5) < 0
    assert searcher.idf("快递") == pytest.approx(math.log(8 / 6))
    assert searcher.idf("快递") > 0


def test_single_chunk_library_finds_its_chunk() -> None:
    hits = Searcher(_chunks(1), [["闵行", "快递员", "培训"]]).search(["闵行", "培训"])
    assert [h.chunk.id for h in hits] == [100]
    assert hits[0].score > 0


def test_hits_positive_and_ranked(searcher: Searcher) -> None:
    hits = searcher.search(["青浦", "党建", "会议"], k=10)
    assert hits
    assert [h.rank for h in hits] == list(range(len(hits)))
    assert all(h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_k_limits_hits(searcher: Searcher) -> None:
    full = searcher.search(["快递"], k=len(DOCS))
    assert len(full) > 2
    top2 = searcher.search(["快递"], k=2)
    assert top2 == full[:2]


def test_ties_keep_corpus_order() -> None:
    docs = [["甲", "乙"], ["丙", "丁"], ["甲", "乙"], ["戊", "己"], ["庚", "辛"]]
    hits = Searcher(_chunks(len(docs)), docs).search(["甲"])
    assert [h.chunk.id for h in hits] == [100, 102]
    assert hits[0].score == hits[1].score


def test_absent_term_gives_no_hits(searcher: Searcher) -> None:
    assert searcher.search(["闵行"]) == []
    assert searcher.search(["闵行", "宝山"]) == []


def test_empty_query_gives_no_hits(searcher: Searcher) -> None:
    assert searcher.search([]) == []


def test_idf_of_unknown_term_is_zero(searcher: Searcher) -> None:
    assert searcher.idf("闵行") == 0.0


def test_idf_of_rare_term(searcher: Searcher) -> None:
    # 驿站 is in one document of seven
    assert searcher.idf("驿站") == pytest.approx(math.log((7 + 1) / 1))
    assert searcher.idf("驿站") > searcher.idf("公租房") > 0


def test_empty_corpus() -> None:
    empty = Searcher([], [])
    assert len(empty) == 0
    assert empty.search(["青浦"]) == []
    assert empty.idf("青浦") == 0.0


def test_corpus_of_termless_chunks() -> None:
    # chunks whose text gave no terms (all stop-words or punctuation) are an index that finds nothing
    searcher = Searcher(_chunks(3), [[], [], []])
    assert searcher.search(["青浦"]) == []
    assert searcher.idf("青浦") == 0.0


def test_length_mismatch_rejected() -> None:
    with pytest.raises(ValueError, match="one term list per chunk"):
        Searcher(_chunks(2), [["青浦"]])


def test_len_and_chunks_kept() -> None:
    chunks = _chunks(len(DOCS))
    searcher = Searcher(chunks, DOCS)
    assert len(searcher) == len(DOCS)
    assert searcher.chunks == tuple(chunks)
