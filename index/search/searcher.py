"""Searcher: an immutable BM25 snapshot over chunks (rank-bm25's BM25Plus scores, from inverted postings).

BM25Plus rather than BM25Okapi: Okapi's IDF is zero or negative for a term in half the chunks or more,
so a library of one short bulletin would find nothing (rank_bm25 issues #39, #43). BM25Plus's IDF,
log((N + 1) / df), stays positive. Its delta adds the same amount to every chunk for each query term,
which does not change the order; a chunk must contain at least one query term to be a hit.
k1 = 1.2 (Lucene's default) rather than rank-bm25's 1.5: a repeated common word saturates sooner, so a rare
name counts for more (measured on CMRC 2018 dev: R@1 97.5% -> 97.6%, R@5 99.75% -> 99.8%).

rank-bm25 scores every chunk for every query (a Python loop over all chunks: 0.4 to 0.8 s a question at
100,000 chunks). Postings holds, for each term, the sorted positions of the chunks containing it and each
one's precomputed share of the score, idf * tf * (k1 + 1) / (k1 * (1 - b + b * dl / avgdl) + tf), in numpy
arrays (CSR); a question adds up only its terms' lists, and MaxScore pruning skips most of the long ones
(see Postings.top). The scores equal rank-bm25's up to float rounding (the delta part, idf * delta for each
known query term, is the same for every chunk and added once); rank-bm25 stays the reference the tests
compare with (naive_bm25). Postings.save writes the arrays as .npy files that Postings.load memory-maps,
so a library can start without rebuilding them. tests/bench_search.py measures all of it.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections import defaultdict
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rank_bm25 import BM25Plus

from index.models import Chunk, Hit

K1 = 1.2
B = 0.75  # rank-bm25's default
DELTA = 1.0  # rank-bm25's default
FORMAT = 1  # of a saved Postings directory
_SLACK = 1e-9  # relative margin on pruning bounds
_ARRAYS = ("indptr", "docs", "contrib", "idf", "maxc")

Ints = npt.NDArray[np.int64]
Positions = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]


class Postings:
    """Per-term lists of (chunk position, score contribution) in CSR arrays: BM25Plus without the chunks."""

    def __init__(self, n_chunks: int, words: list[str], indptr: Ints, docs: Positions, contrib: Floats,
                 idf: Floats, maxc: Floats) -> None:
        self.n_chunks = n_chunks
        self.words = words  # term id -> term
        self.vocab = dict(zip(words, range(len(words)), strict=True))  # term -> term id
        self.indptr = indptr  # term id t's postings are [indptr[t], indptr[t + 1])
        self.docs = docs  # chunk positions, ascending within each term
        self.contrib = contrib  # idf * tf * (k1 + 1) / (k1 * (1 - b + b * dl / avgdl) + tf), per posting
        self.idf = idf  # per term id
        self.maxc = maxc  # the largest contribution in each term's list: the bound that lets top() prune
        self._local = threading.local()  # each thread's score accumulator (allocating one per query costs more)

    @classmethod
    def build(cls, terms_per_chunk: Sequence[Sequence[str]]) -> Postings:
        """Index each chunk's terms (a term repeated in a chunk counts tf times)."""
        terms = TermIds()
        terms.add(terms_per_chunk)
        return terms.postings()

    @classmethod
    def from_ids(cls, lengths: Ints, ids: Ints, words: list[str]) -> Postings:
        """Index chunks given as their term counts and, chunk after chunk, the ids of their terms in words."""
        n = len(lengths)
        total = int(lengths.sum())
        if not words:
            empty = np.zeros(0, dtype=np.float64)
            return cls(n, [], np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32), empty, empty, empty)
        # (term, chunk) keys, sorted: runs of one key are one posting, a run's length its tf
        keys = ids
        keys *= n
        keys += np.repeat(np.arange(n, dtype=np.int64), lengths)
        keys.sort()
        ends = np.append(np.flatnonzero(keys[1:] != keys[:-1]) + 1, total)
        tf = np.diff(ends, prepend=0).astype(np.float64)
        term, doc = np.divmod(keys[ends - 1], n)
        del ids, keys
        df = np.bincount(term, minlength=len(words))
        indptr = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        idf = np.log((n + 1) / df)
        avgdl = total / n
        # the same expression, in the same order, as rank-bm25's get_scores
        contrib = idf[term] * ((tf * (K1 + 1)) / (K1 * (1 - B + B * lengths[doc] / avgdl) + tf))
        maxc = np.maximum.reduceat(contrib, indptr[:-1])
        return cls(n, words, indptr, doc.astype(np.int32), contrib, idf, maxc)

    def save(self, path: Path) -> None:
        """Write the index into the directory path (created if missing): .npy arrays, the words, meta.json last."""
        text = "\n".join(self.words)
        if text.count("\n") != max(len(self.words) - 1, 0):
            raise ValueError("a term contains a newline: the word list could not be read back")
        path.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "k1": K1, "b": B, "delta": DELTA, "chunks": self.n_chunks,
                "terms": len(self.words), "postings": len(self.docs)}
        files = {f"{name}.npy": getattr(self, name) for name in _ARRAYS}
        files |= {"words.txt": text.encode(), "meta.json": json.dumps(meta).encode()}
        for name, data in files.items():
            # a new file renamed over the old: a process with the old index memory-mapped keeps its pages
            part = path / f"{name}.part"
            if isinstance(data, bytes):
                part.write_bytes(data)
            else:
                with part.open("wb") as f:
                    np.save(f, data, allow_pickle=False)
            os.replace(part, path / name)

    @classmethod
    def load(cls, path: Path) -> Postings:
        """Read an index written by save; the posting arrays are memory-mapped, not read."""
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if (meta.get("format"), meta.get("k1"), meta.get("b"), meta.get("delta")) != (FORMAT, K1, B, DELTA):
            raise ValueError(f"{path}: an index of another format or formula ({meta}): rebuild it")
        # plain ndarray views of the maps: slicing numpy's memmap class costs microseconds a call
        arrays = {name: np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
                  for name in _ARRAYS}
        text = (path / "words.txt").read_text(encoding="utf-8")
        words = text.split("\n") if meta["terms"] else []
        terms, postings = meta["terms"], meta["postings"]
        sizes = {"indptr": terms + 1, "docs": postings, "contrib": postings, "idf": terms, "maxc": terms}
        if len(words) != terms or any(len(arrays[name]) != size for name, size in sizes.items()) \
                or int(arrays["indptr"][-1]) != postings or arrays["docs"].dtype != np.int32:
            raise ValueError(f"{path}: the index's files do not agree with its meta.json: rebuild it")
        return cls(meta["chunks"], words, arrays["indptr"], arrays["docs"], arrays["contrib"],
                   np.array(arrays["idf"]), np.array(arrays["maxc"]))

    def __len__(self) -> int:
        return self.n_chunks

    def idf_of(self, term: str) -> float:
        """Return the term's inverse document frequency (0.0 for an unknown term)."""
        t = self.vocab.get(term)
        return 0.0 if t is None else float(self.idf[t])

    def top(self, terms: Sequence[str], k: int = 10, among: npt.ArrayLike | None = None) -> list[tuple[int, float]]:
        """Return (position, score) of the k best chunks containing a term, best first, ties by position.

        among, if given, holds the sorted positions of the only chunks that may be hits.
        """
        weight, order, const = self._plan(terms)
        positions = None if among is None else np.asarray(among, dtype=np.intp)
        if k <= 0 or not order or (positions is not None and not len(positions)):
            return []
        allowed = None  # the chunks that may be hits, as one flag per chunk: looking a list's chunks up in it is
        if positions is not None:  # a gather, where searching each list for them was 40% of a place's search
            allowed = np.zeros(self.n_chunks, dtype=bool)
            allowed[positions] = True
        # MaxScore: terms by the most they can add, largest first. While the k-th best score found is below
        # what the terms left could add, a chunk holding none of the terms so far may still make the top k,
        # so each term's whole list is added. After that the candidates are closed: each later term (common
        # words with long lists) is only looked up for them, and they are pruned as the bound left shrinks.
        bound = {t: w * float(self.maxc[t]) for t, w in weight.items()}
        rest = [0.0] * (len(order) + 1)  # rest[j]: the most the terms order[j:] can add
        for j in range(len(order) - 1, -1, -1):
            rest[j] = rest[j + 1] + bound[order[j]]
        # bounds are compared with a margin far above float rounding, on the scale of the final scores
        # (const included): a chunk is only pruned when it could not even tie within rounding
        margin = _SLACK * (const + rest[0])
        kth = -math.inf  # a lower bound on the k-th best score (without const)
        acc = self._accumulator()
        touched: list[Ints] = []  # every list added to acc, to zero it again
        try:
            for j, t in enumerate(order):
                docs, contrib = self._postings(t, allowed)
                touched.append(docs)  # before adding: even an interrupted add is zeroed again
                acc[docs] += contrib if weight[t] == 1 else weight[t] * contrib  # each chunk once in a list
                if rest[0] - rest[j + 1] > rest[j + 1]:  # else no partial score can exceed rest[j + 1] yet
                    kth = max(kth, _kth(acc.take(docs), k))
                if kth > rest[j + 1] + margin:
                    break
            floor = kth - rest[len(touched)] - margin
            if positions is not None and len(positions) < sum(map(len, touched)):
                # only the allowed chunks can hold a score (acc is zero elsewhere): fewer to look at than the lists
                found = positions[acc[positions] > max(floor, 0.0)]
            else:
                found = self._candidates(acc, touched, floor)
            at = found.astype(np.int32)  # int32 like the lists: searching them for int64 would convert them
            for j in range(len(touched), len(order)):
                self._add(acc, order[j], weight[order[j]], found, at, touched)
                if len(found) > 4 * k:  # worth pruning
                    partial = acc.take(found)
                    kth = max(kth, _kth(partial, k))
                    keep = partial > kth - rest[j + 1] - margin
                    found, at = found[keep], at[keep]
            scores = acc.take(found) + const
        finally:
            for docs in touched:  # leave the accumulator zeroed for the next query
                acc[docs] = 0.0
        return _best(found, scores, k)

    def _plan(self, terms: Sequence[str]) -> tuple[dict[int, int], list[int], float]:
        """Return the known terms' ids with how often each is asked, in the order they are added (the most they can
        add, largest first), and what they add to every chunk (delta's part)."""
        ids = [t for t in map(self.vocab.get, terms) if t is not None]
        weight: dict[int, int] = {}  # a repeated query term counts as often as it is repeated
        for t in ids:
            weight[t] = weight.get(t, 0) + 1
        order = sorted(weight, key=lambda t: (-(weight[t] * float(self.maxc[t])), t))
        return weight, order, sum(float(self.idf[t]) * DELTA for t in ids)

    def dense(self, terms: Sequence[str]) -> tuple[Floats, float]:
        """Return every chunk's score but the constant part (0.0 for a chunk with none of the terms), and that part.

        The terms are added in top()'s order, so each chunk's sum is the very float top() computes: a search among
        any positions can then take its k best from these scores (top_among) instead of adding the lists again.
        """
        weight, order, const = self._plan(terms)
        acc = np.zeros(self.n_chunks, dtype=np.float64)
        for t in order:
            docs, contrib = self._postings(t, None)
            acc[docs] += contrib if weight[t] == 1 else weight[t] * contrib
        return acc, const

    @staticmethod
    def top_among(scores: tuple[Floats, float], k: int, among: npt.ArrayLike) -> list[tuple[int, float]]:
        """Return top(terms, k, among)'s result from the terms' dense() scores."""
        acc, const = scores
        at = np.asarray(among).astype(np.intp)
        if k <= 0 or not len(at):
            return []
        partial = acc[at]
        held = partial > 0.0  # only a chunk holding a term is a hit
        return _best(at[held], partial[held] + const, k)

    def _candidates(self, acc: Floats, touched: list[Ints], floor: float) -> Ints:
        """Return the sorted positions of the chunks in the touched lists whose partial score is above floor."""
        floor = max(floor, 0.0)  # every contribution is positive: a touched chunk's partial score is above 0
        if len(touched) == 1:  # one list holds each chunk once, in order
            return touched[0][acc.take(touched[0]) > floor]
        if sum(map(len, touched)) > len(acc) // 8:  # long lists: one pass over acc beats sorting them
            return np.flatnonzero(acc > floor)
        found = np.concatenate(touched)
        found = np.sort(found[acc.take(found) > floor])
        once = np.ones(len(found), dtype=bool)
        once[1:] = found[1:] != found[:-1]
        return found[once]

    def _add(self, acc: Floats, t: int, weight: int, found: Ints, at: Positions, touched: list[Ints]) -> None:
        """Add term t's contributions to the chunks found (int64 and int32 positions) into acc."""
        lo, hi = int(self.indptr[t]), int(self.indptr[t + 1])
        if hi - lo <= 8 * len(found):  # a short list: adding it whole is cheaper than searching it
            docs = self.docs[lo:hi].astype(np.intp)
            touched.append(docs)
            acc[docs] += weight * self.contrib[lo:hi]  # (chunks not found get scores that are never read)
        else:
            i, j = _match(self.docs[lo:hi], at)
            acc[found[j]] += weight * self.contrib[lo:hi][i]

    def _postings(self, t: int, allowed: npt.NDArray[np.bool_] | None) -> tuple[Ints, Floats]:
        """Return term t's chunk positions and contributions, only the chunks allowed flags if given."""
        lo, hi = int(self.indptr[t]), int(self.indptr[t + 1])
        docs, contrib = self.docs[lo:hi], self.contrib[lo:hi]
        if allowed is not None:
            held = allowed[docs]
            docs, contrib = docs[held], contrib[held]
        return docs.astype(np.intp), contrib  # intp: numpy's indexing converts any other type, slowly

    def _accumulator(self) -> Floats:
        acc: Floats | None = getattr(self._local, "acc", None)
        if acc is None:
            acc = self._local.acc = np.zeros(self.n_chunks, dtype=np.float64)
        return acc


def _best(found: Ints, scores: Floats, k: int) -> list[tuple[int, float]]:
    """Return the k best (position, score) pairs, best first, ties by position."""
    if len(found) > 4 * k:  # the k best and any chunk tied with the k-th; sorting all would take longer
        keep = scores >= np.partition(scores, len(scores) - k)[len(scores) - k]
        found, scores = found[keep], scores[keep]
    best = np.lexsort((found, -scores))[:k]  # best first, ties by position
    return list(zip(found[best].tolist(), scores[best].tolist(), strict=True))


def _match(a: Positions, b: Positions) -> tuple[Ints, Ints]:
    """Return the indexes into a and into b of the positions in both (each sorted, each position once)."""
    if not len(a) or not len(b):
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    if len(b) < len(a):  # binary-search the shorter in the longer
        i = np.minimum(a.searchsorted(b), len(a) - 1)
        j = np.flatnonzero(a[i] == b)
        return i[j], j
    j = np.minimum(b.searchsorted(a), len(b) - 1)
    i = np.flatnonzero(b[j] == a)
    return i, j[i]


class TermIds:
    """Turns chunks' terms into term ids batch by batch, so a large corpus' terms never sit in memory as strings."""

    def __init__(self) -> None:
        # one dict pass gives every term occurrence an id (a new term gets the next one); the rest is numpy
        self.vocab: defaultdict[str, int] = defaultdict()
        self.vocab.default_factory = self.vocab.__len__
        self._lengths: list[Ints] = []
        self._ids: list[Ints] = []

    def add(self, terms_per_chunk: Sequence[Sequence[str]]) -> None:
        """Add the next chunks' terms."""
        lengths = np.fromiter(map(len, terms_per_chunk), dtype=np.int64, count=len(terms_per_chunk))
        self._lengths.append(lengths)
        self._ids.append(np.fromiter(map(self.vocab.__getitem__, chain.from_iterable(terms_per_chunk)),
                                     dtype=np.int64, count=int(lengths.sum())))

    def postings(self) -> Postings:
        """Return the Postings of every chunk added."""
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, dtype=np.int64)
        ids = np.concatenate(self._ids) if self._ids else np.zeros(0, dtype=np.int64)
        self._lengths, self._ids = [], []
        return Postings.from_ids(lengths, ids, list(self.vocab))


def _kth(values: Floats, k: int) -> float:
    """Return the k-th largest value (-inf if there are fewer than k)."""
    if len(values) < k:
        return -math.inf
    return float(np.partition(values, len(values) - k)[len(values) - k])


def naive_bm25(terms_per_chunk: Sequence[Sequence[str]]) -> Any:
    """Return rank-bm25's BM25Plus over the same terms with the same parameters: the reference Postings matches."""
    return BM25Plus([list(t) for t in terms_per_chunk], k1=K1, b=B, delta=DELTA)


class Searcher:
    """Rank chunks for a list of query terms; only chunks containing a query term are hits."""

    def __init__(self, chunks: Sequence[Chunk], terms: Sequence[Sequence[str]]) -> None:
        if len(chunks) != len(terms):
            raise ValueError("one term list per chunk")
        self.chunks: Sequence[Chunk] = tuple(chunks)
        self.postings = Postings.build(terms)

    @classmethod
    def from_postings(cls, chunks: Sequence[Chunk], postings: Postings) -> Searcher:
        """Wrap a built or loaded index; chunks may load lazily: only the hits are indexed."""
        if len(chunks) != len(postings):
            raise ValueError("one term list per chunk")
        searcher = cls.__new__(cls)
        searcher.chunks = chunks
        searcher.postings = postings
        return searcher

    def __len__(self) -> int:
        return len(self.chunks)

    def idf(self, term: str) -> float:
        """Return the term's inverse document frequency (0.0 for an unknown term or an empty index)."""
        return self.postings.idf_of(term)

    def search(self, terms: Sequence[str], *, k: int = 10, among: npt.ArrayLike | None = None) -> list[Hit]:
        """Return the top k chunks for the terms, best first, ties broken by corpus order.

        among, if given, holds the positions (in corpus order) of the only chunks that may be hits.
        """
        top = self.postings.top(terms, k, among)
        return [Hit(self.chunks[i], score, rank) for rank, (i, score) in enumerate(top)]
