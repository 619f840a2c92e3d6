"""Postings against rank-bm25 itself: the same scores and the same top k, on random and on real corpora."""

from __future__ import annotations

import itertools
import json
import random
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Plus

from helpers import ROOT, SAMPLE, segmenter
from index.ingest import analyse
from index.models import Chunk
from index.reading.clean import parse_bulletin
from index.search.searcher import Postings, Searcher, naive_bm25

REL = 1e-9  # scores agree within this; rank-bm25 scores closer than this are ties (its own rounding orders them)
WORDS = ["青浦", "公租房", "快递", "小哥", "党建", "会议", "驿站", "平方米"]
EVERYWHERE = "上海"  # a term in every chunk when drawn: the list a common word has
UNKNOWN = "闵行"  # in no corpus


class Reference:
    """rank-bm25's BM25Plus (k1 = 1.2 as the searcher's) with each term's scores kept, to check many queries fast.

    get_scores adds the kept per-term arrays in query order, as rank-bm25's own get_scores does: the same floats.
    """

    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = 1.2, **params: float) -> None:
        self.bm25 = BM25Plus([list(t) for t in corpus], k1=k1, **params)
        self._per_term: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # term -> its scores, the chunks holding it

    def _term(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        if term not in self._per_term:
            has = np.array([term in freqs for freqs in self.bm25.doc_freqs], dtype=bool)
            self._per_term[term] = self.bm25.get_scores([term]), has
        return self._per_term[term]

    def get_scores(self, query: Sequence[str]) -> np.ndarray:
        scores = np.zeros(self.bm25.corpus_size)
        for term in query:
            scores += self._term(term)[0]
        return scores

    def top(self, query: Sequence[str], k: int, among: Sequence[int] | None) -> list[int]:
        """Return the top k: chunks with a query term, by score, ties (within REL) by position."""
        scores = self.get_scores(query)
        has = np.zeros(self.bm25.corpus_size, dtype=bool)
        for term in query:
            has |= self._term(term)[1]
        eligible = np.flatnonzero(has)
        if among is not None:
            eligible = np.intersect1d(eligible, np.asarray(among, dtype=np.int64))
        by_score = eligible[np.lexsort((eligible, -scores[eligible]))]
        s = scores[by_score]
        tie_group = np.cumsum(np.concatenate(([False], s[:-1] - s[1:] > REL * np.abs(s[:-1]))))[:len(s)]
        return by_score[np.lexsort((by_score, tie_group))][:k].tolist()


def reference(corpus: Sequence[Sequence[str]], **params: float) -> Reference | None:
    """The reference for a corpus (None for a termless one: rank-bm25 divides by zero there)."""
    return Reference(corpus, **params) if any(corpus) else None


def assert_matches(top: list[tuple[int, float]], ref: Reference | None, query: Sequence[str], k: int,
                   among: Sequence[int] | None = None) -> None:
    """Assert that top is the reference's top k, with its scores (a termless corpus finds nothing)."""
    if ref is None:
        assert top == []
        return
    scores = ref.get_scores(query)
    assert [i for i, _ in top] == ref.top(query, k, among)
    for i, score in top:
        assert score == pytest.approx(scores[i], rel=REL, abs=0), (i, score, scores[i])


@st.composite
def corpora(draw: st.DrawFn) -> list[list[str]]:
    vocab = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=len(WORDS), unique=True))
    everywhere = draw(st.booleans())
    chunks = draw(st.lists(st.lists(st.sampled_from(vocab), max_size=12), min_size=1, max_size=25))
    return [[*c, EVERYWHERE] if everywhere else c for c in chunks]


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[list[str]], list[str], int, list[int] | None]:
    corpus = draw(corpora())
    query = draw(st.lists(st.sampled_from([*WORDS, EVERYWHERE, UNKNOWN]), max_size=6))
    k = draw(st.sampled_from([1, 2, 3, 10]))
    among = draw(st.none() | st.sets(st.integers(0, len(corpus) - 1)).map(sorted))
    return corpus, query, k, among


_dirs = itertools.count()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_top_matches_rank_bm25(case: tuple[list[list[str]], list[str], int, list[int] | None],
                               tmp_path: Path) -> None:
    corpus, query, k, among = case
    ref = reference(corpus)
    postings = Postings.build(corpus)
    top = postings.top(query, k, None if among is None else np.asarray(among, dtype=np.int64))
    assert_matches(top, ref, query, k, among)
    folder = tmp_path / str(next(_dirs))
    postings.save(folder)
    loaded = Postings.load(folder)
    assert loaded.top(query, k, among) == top
    for term in set(query):
        assert loaded.idf_of(term) == postings.idf_of(term)
        assert postings.idf_of(term) == pytest.approx(ref.bm25.idf.get(term, 0.0) if ref else 0.0)


def _corpus(seed: int, n: int, vocab: int) -> list[list[str]]:
    """Chunks of 0 to 120 terms drawn from a Zipf-like vocabulary: some terms in most chunks, most rare."""
    rng = random.Random(seed)
    words = [f"词{i}" for i in range(vocab)]
    weights = [1 / (i + 1) for i in range(vocab)]
    return [rng.choices(words, weights, k=rng.randint(0, 120)) for _ in range(n)]


def test_pruned_top_matches_rank_bm25_on_long_lists() -> None:
    # long lists, so that pruning (MaxScore) skips most chunks: the common terms' lists cover most of the corpus
    corpus = _corpus(7, 3000, 3000)
    ref, postings = Reference(corpus), Postings.build(corpus)
    rng = random.Random(8)
    common = [f"词{i}" for i in range(12)]
    for _ in range(300):
        query = rng.sample(common, rng.randint(1, 4)) + [f"词{rng.randrange(3000)}" for _ in range(rng.randint(0, 4))]
        for k in (1, 10, 30):
            assert_matches(postings.top(query, k), ref, query, k)
        among = sorted(rng.sample(range(3000), rng.choice([5, 200, 2000])))
        assert_matches(postings.top(query, 10, np.asarray(among)), ref, query, 10, among)


@settings(max_examples=250, deadline=None)
@given(case=cases())
def test_one_accumulation_gives_each_place_the_same_top_k(case: tuple[list[list[str]], list[str], int,
                                                                       list[int] | None]) -> None:
    corpus, query, k, among = case
    postings = Postings.build(corpus)
    scores = postings.dense(query)
    everywhere = list(range(len(corpus)))
    # the very floats, in the same order: 各区 questions take every district's hits from one pass
    assert Postings.top_among(scores, k, among or everywhere) == postings.top(query, k, np.asarray(among or everywhere))


def test_one_accumulation_matches_the_pruned_search_on_long_lists() -> None:
    corpus = _corpus(7, 3000, 3000)
    postings = Postings.build(corpus)
    rng = random.Random(9)
    common = [f"词{i}" for i in range(12)]
    for _ in range(100):
        query = rng.sample(common, rng.randint(1, 4)) + [f"词{rng.randrange(3000)}" for _ in range(rng.randint(0, 4))]
        query += rng.sample(query, min(len(query), rng.randint(0, 2)))  # a repeated term counts as often as it is written
        scores = postings.dense(query)
        for size in (5, 200, 2000, 3000):
            among = np.asarray(sorted(rng.sample(range(3000), size)))
            for k in (1, 10, 30):
                assert Postings.top_among(scores, k, among) == postings.top(query, k, among)


def test_the_comparison_catches_a_wrong_formula() -> None:
    # the checks above must be able to fail: other parameters than the searcher's give other scores
    corpus = _corpus(3, 200, 100)
    query = ["词0", "词5", "词40"]
    top = Postings.build(corpus).top(query, 10)
    assert_matches(top, Reference(corpus), query, 10)
    for wrong in (Reference(corpus, k1=1.5), Reference(corpus, delta=0), Reference(corpus, b=0.5)):
        with pytest.raises(AssertionError):
            assert_matches(top, wrong, query, 10)


def test_naive_bm25_is_the_reference() -> None:
    corpus = _corpus(6, 100, 50)
    query = ["词0", "词3", "词3", "词30", "词无"]
    assert naive_bm25(corpus).get_scores(query).tolist() == BM25Plus(corpus, k1=1.2).get_scores(query).tolist()


@pytest.fixture(scope="module")
def bulletins() -> tuple[list[str], list[list[str]]]:
    """The chunk texts and terms of the sample and the three test bulletins, as ingest makes them."""
    texts, terms = [], []
    for path in [SAMPLE, *sorted((ROOT / "tests" / "data" / "bulletins").glob("*.txt"))]:
        for article in analyse(parse_bulletin(path.read_text(encoding="utf-8"), path.name), segmenter()):
            for chunk in article.chunks:
                texts.append(chunk.text)
                terms.append(chunk.tokens.split())
    return texts, terms


def _questions() -> list[str]:
    lines = [*(ROOT / "tests" / "qa" / "sample.jsonl").read_text(encoding="utf-8").splitlines(),
             *(ROOT / "tests" / "qa" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    return [json.loads(line)["q"] for line in lines if line.strip()]


def test_real_questions_match_rank_bm25(bulletins: tuple[list[str], list[list[str]]], tmp_path: Path) -> None:
    texts, corpus = bulletins
    assert len(corpus) > 20
    ref, postings = Reference(corpus), Postings.build(corpus)
    postings.save(tmp_path / "index")
    loaded = Postings.load(tmp_path / "index")
    questions = _questions()
    assert len(questions) > 20
    for question in questions:
        query = segmenter().terms(question)
        for k in (1, 10, 30):
            assert_matches(postings.top(query, k), ref, query, k)
            assert loaded.top(query, k) == postings.top(query, k)
        for place in ("青浦", "徐汇", "松江"):
            among = [i for i, text in enumerate(texts) if place in text]
            assert among
            assert_matches(postings.top(query, 10, np.asarray(among)), ref, query, 10, among)


class LazyChunks(Sequence[Chunk]):
    """A sequence that makes a chunk only when indexed, and remembers which were."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.made: list[int] = []

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):  # type: ignore[no-untyped-def, override]
        self.made.append(i)
        return Chunk(id=100 + i, document="doc.txt", title="", text=f"正文{i}", ordinal=i)

    def __iter__(self) -> Iterator[Chunk]:
        raise AssertionError("the searcher must not walk every chunk")


def test_searcher_from_loaded_postings_touches_only_its_hits(tmp_path: Path) -> None:
    corpus = _corpus(5, 500, 300)
    Postings.build(corpus).save(tmp_path / "index")
    chunks = LazyChunks(len(corpus))
    searcher = Searcher.from_postings(chunks, Postings.load(tmp_path / "index"))
    assert len(searcher) == 500
    hits = searcher.search(["词1", "词20", "词250"], k=5)
    assert [h.chunk.id - 100 for h in hits] == [i for i, _ in Postings.build(corpus).top(["词1", "词20", "词250"], 5)]
    assert [h.rank for h in hits] == list(range(5))
    assert sorted(chunks.made) == sorted(h.chunk.id - 100 for h in hits)
    assert searcher.idf("词1") == pytest.approx(naive_bm25(corpus).idf["词1"])


def test_from_postings_wants_one_chunk_per_position() -> None:
    with pytest.raises(ValueError, match="one term list per chunk"):
        Searcher.from_postings(LazyChunks(3), Postings.build([["青浦"], ["快递"]]))


def test_empty_index_saves_and_loads(tmp_path: Path) -> None:
    for corpus in ([], [[], []]):
        Postings.build(corpus).save(tmp_path / str(len(corpus)))
        loaded = Postings.load(tmp_path / str(len(corpus)))
        assert (len(loaded), loaded.top(["青浦"], 10), loaded.idf_of("青浦")) == (len(corpus), [], 0.0)


def test_saving_a_term_with_a_newline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="newline"):
        Postings.build([["青浦\n区"]]).save(tmp_path / "index")


def test_an_index_of_another_formula_is_refused(tmp_path: Path) -> None:
    Postings.build([["青浦", "快递"], ["快递"]]).save(tmp_path / "index")
    meta = json.loads((tmp_path / "index" / "meta.json").read_text(encoding="utf-8"))
    (tmp_path / "index" / "meta.json").write_text(json.dumps(meta | {"k1": 1.5}), encoding="utf-8")
    with pytest.raises(ValueError, match="rebuild"):
        Postings.load(tmp_path / "index")


def test_files_that_disagree_are_refused(tmp_path: Path) -> None:
    Postings.build([["青浦", "快递"], ["快递"]]).save(tmp_path / "a")
    Postings.build([["青浦", "快递", "驿站"], ["快递"]]).save(tmp_path / "b")
    (tmp_path / "b" / "words.txt").replace(tmp_path / "a" / "words.txt")
    with pytest.raises(ValueError, match="rebuild"):
        Postings.load(tmp_path / "a")


def test_posting_arrays_of_another_index_are_refused(tmp_path: Path) -> None:
    # the same number of terms, not of postings: only the sizes in meta.json tell
    Postings.build([["青浦", "快递"], ["快递"]]).save(tmp_path / "a")
    Postings.build([["青浦", "快递"], ["快递", "青浦"]]).save(tmp_path / "b")
    for name in ("docs.npy", "contrib.npy"):
        (tmp_path / "b" / name).replace(tmp_path / "a" / name)
        with pytest.raises(ValueError, match="rebuild"):
            Postings.load(tmp_path / "a")


def test_saving_over_a_loaded_index_leaves_it_working(tmp_path: Path) -> None:
    # the app may save a new index where a running process has the old one memory-mapped
    old_corpus, new_corpus = _corpus(1, 300, 200), _corpus(2, 400, 200)
    Postings.build(old_corpus).save(tmp_path / "index")
    old = Postings.load(tmp_path / "index")
    before = old.top(["词1", "词3"], 10)
    Postings.build(new_corpus).save(tmp_path / "index")
    assert old.top(["词1", "词3"], 10) == before
    assert_matches(Postings.load(tmp_path / "index").top(["词1", "词3"], 10), Reference(new_corpus), ["词1", "词3"], 10)


def test_threads_searching_at_once_get_the_same_results() -> None:
    # each thread has its own score accumulator
    corpus = _corpus(4, 2000, 500)
    postings = Postings.build(corpus)
    rng = random.Random(4)
    queries = [[f"词{rng.randrange(60)}" for _ in range(4)] for _ in range(200)]
    alone = [postings.top(q, 10) for q in queries]
    results: dict[int, list[list[tuple[int, float]]]] = {}

    def run(n: int) -> None:
        results[n] = [postings.top(q, 10) for q in queries]

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == alone for result in results.values())
