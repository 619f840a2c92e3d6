"""Searcher: an immutable BM25 snapshot over chunks (rank-bm25's BM25Okapi scores)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rank_bm25 import BM25Okapi

from index.models import Chunk, Hit


class Searcher:
    """Rank chunks for a list of query terms; never returns a hit scoring 0 or less."""

    def __init__(self, chunks: Sequence[Chunk], terms: Sequence[Sequence[str]]) -> None:
        if len(chunks) != len(terms):
            raise ValueError("one term list per chunk")
        self.chunks = tuple(chunks)
        # BM25Okapi([]) divides by zero: an empty index simply finds nothing
        self._bm25 = BM25Okapi([list(t) for t in terms]) if chunks else None

    def __len__(self) -> int:
        return len(self.chunks)

    def idf(self, term: str) -> float:
        """Return the term's inverse document frequency (0.0 for an unknown term or an empty index)."""
        if self._bm25 is None:
            return 0.0
        return float(self._bm25.idf.get(term, 0.0))

    def search(self, terms: Sequence[str], *, k: int = 10) -> list[Hit]:
        """Return the top k chunks for the terms, best first, ties broken by corpus order."""
        if self._bm25 is None or not terms:
            return []
        scores = np.asarray(self._bm25.get_scores(list(terms)), dtype=float)
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return [Hit(self.chunks[i], float(scores[i]), rank) for rank, i in enumerate(order) if scores[i] > 0]
