"""Library: the loaded, searchable snapshot of the corpus (BM25 postings, chunks, figures, the figure index)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

import numpy as np

from index.models import Chunk, Figure, Hit
from index.records import StoredChunk
from index.search.corpus import ChunkRow, Corpus, StoredFigureRow
from index.search.searcher import Postings, Searcher

RERANK = 30  # how many of BM25's best are re-ordered by phrase
PHRASE_WEIGHT = 0.3  # a chunk whose article holds all of the question's trigrams scores 1.3 times its BM25
CACHED = 4096  # decoded chunks' figures and articles' texts kept, most recently used
_RUN = re.compile(r"[\u3400-\u9fffA-Za-z0-9·]+")


class Chunks(Sequence[Chunk]):
    """The corpus' chunks in order, each made when it is reached."""

    def __init__(self, corpus: Corpus) -> None:
        self._corpus = corpus

    def __len__(self) -> int:
        return len(self._corpus)

    @overload
    def __getitem__(self, pos: int) -> Chunk: ...

    @overload
    def __getitem__(self, pos: slice) -> Sequence[Chunk]: ...

    def __getitem__(self, pos: int | slice) -> Chunk | Sequence[Chunk]:
        if isinstance(pos, slice):
            return [self._corpus.chunk(i) for i in range(*pos.indices(len(self)))]
        if not -len(self) <= pos < len(self):
            raise IndexError(pos)
        return self._corpus.chunk(pos % len(self))

    def __iter__(self) -> Iterator[Chunk]:
        return (self._corpus.chunk(i) for i in range(len(self)))


class _ByChunk:
    """chunk id -> its figures, decoded on first use."""

    def __init__(self, corpus: Corpus) -> None:
        self._corpus = corpus
        self._decode = functools.lru_cache(maxsize=CACHED)(corpus.figures_of)

    def get(self, chunk_id: int, default: tuple[Figure, ...] = ()) -> tuple[Figure, ...]:
        pos = self._corpus.position(chunk_id)
        return default if pos is None else self._decode(pos)


class _ByArticle:
    """article id -> its chunks, in order."""

    def __init__(self, corpus: Corpus) -> None:
        self._corpus = corpus

    def get(self, article_id: int, default: tuple[Chunk, ...] = ()) -> tuple[Chunk, ...]:
        positions = self._corpus.article_positions(article_id)
        return tuple(self._corpus.chunk(p) for p in positions) if positions else default


@dataclass(frozen=True, eq=False)
class Library:
    """An immutable view of the stored corpus; a reindex builds a new one and swaps the reference."""

    searcher: Searcher
    corpus: Corpus
    figures: _ByChunk = field(init=False, repr=False)
    articles: _ByArticle = field(init=False, repr=False)
    newest: dt.date | None = field(init=False)  # the newest bulletin's date, for 今年 in a question
    _named: frozenset[str] = field(init=False, repr=False)
    _texts: functools._lru_cache_wrapper[str] = field(init=False, repr=False)
    _chunk: functools._lru_cache_wrapper[Chunk] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # derived views of the corpus; frozen, so set through object
        object.__setattr__(self, "figures", _ByChunk(self.corpus))
        object.__setattr__(self, "articles", _ByArticle(self.corpus))
        object.__setattr__(self, "newest", self.corpus.newest())
        object.__setattr__(self, "_named", self.corpus.named_places())
        object.__setattr__(self, "_texts", functools.lru_cache(maxsize=CACHED)(self._article_text))
        object.__setattr__(self, "_chunk", functools.lru_cache(maxsize=CACHED)(self.corpus.chunk))

    @classmethod
    def build(cls, stored: Sequence[StoredChunk]) -> Library:
        """Build the snapshot from chunks with their terms and figures (as tests and small corpora have them)."""
        chunk_rows: list[ChunkRow] = [
            (s.chunk.id, s.chunk.document, s.chunk.title, s.chunk.text, s.chunk.ordinal, s.chunk.article_id,
             s.chunk.place, s.chunk.issue_date.isoformat() if s.chunk.issue_date else None, s.chunk.issue,
             s.chunk.issue_period) for s in stored]
        figure_rows: list[StoredFigureRow] = [
            (f.chunk_id or s.chunk.id, f.text, f.value, f.value_max, f.unit, f.kind, f.start, f.end,
             *_span(s.chunk.text, f), f.qualifier, f.approx, f.before, f.after, ",".join(f.places), f.period, f.measure)
            for s in stored for f in s.figures]
        return cls.from_rows(chunk_rows, figure_rows, [s.terms for s in stored])

    @classmethod
    def from_rows(cls, chunk_rows: Sequence[ChunkRow], figure_rows: Sequence[StoredFigureRow],
                  terms: Sequence[Sequence[str]]) -> Library:
        """Build the snapshot from rows as the store holds them: chunks in corpus order, and their terms."""
        corpus = Corpus.build(chunk_rows, figure_rows)
        return cls(Searcher.from_postings(Chunks(corpus), Postings.build(terms)), corpus)

    def save(self, folder: Path) -> None:
        """Write the snapshot to a folder, to be loaded rather than rebuilt."""
        self.corpus.save(folder / "corpus")
        self.searcher.postings.save(folder / "postings")

    @classmethod
    def load(cls, folder: Path) -> Library:
        """Read a saved snapshot."""
        corpus = Corpus.load(folder / "corpus")
        return cls(Searcher.from_postings(Chunks(corpus), Postings.load(folder / "postings")), corpus)

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, in corpus order."""
        return self.searcher.chunks

    def search(self, terms: Sequence[str], *, k: int = 10, phrase: str = "",
               places: Sequence[str] = ()) -> list[Hit]:
        """Rank chunks for the terms; with a phrase, the best RERANK are re-ordered by the phrase's word order.

        With places, only chunks about one of them are ranked (so a small district is not crowded out).
        """
        among = self.corpus.positions_about(places) if places else None
        return self._reranked(self.searcher.postings.top(terms, max(k, RERANK) if phrase else k, among), phrase, k)

    def search_each(self, terms: Sequence[str], places: Sequence[str], *, k: int = 10,
                    phrase: str = "") -> dict[str, list[Hit]]:
        """Return, for each place, what search(terms, k=k, phrase=phrase, places=(place,)) returns.

        The terms' lists are added up once for every place (a 各区 question searched sixteen times before).
        """
        scores = self.searcher.postings.dense(terms)
        wanted = max(k, RERANK) if phrase else k
        out = {}
        for place in dict.fromkeys(places):
            top = self.searcher.postings.top_among(scores, wanted, self.corpus.positions_about((place,)))
            out[place] = self._reranked(top, phrase, k)
        return out

    def _reranked(self, top: list[tuple[int, float]], phrase: str, k: int) -> list[Hit]:
        """Re-order the best RERANK (position, score) pairs by how much of the phrase's trigrams their articles hold;
        return the k best as hits (a chunk is read only for those)."""
        grams = trigrams(phrase)
        if grams and top:
            # BM25 sees bags of terms: 北土城站 and 西土城站 share 土城 and 城站. The question's own character
            # trigrams found in an article tell the right name apart (measured on CMRC 2018: R@1 96.7% -> 97.4%).
            head = [(pos, score * (1.0 + PHRASE_WEIGHT * self._share(grams, self.corpus.article_id_at(pos))))
                    for pos, score in top[:RERANK]]
            head.sort(key=lambda h: -h[1])
            top = [*head, *top[RERANK:]]
        return [Hit(self._chunk(pos), score, rank) for rank, (pos, score) in enumerate(top[:k])]

    def _share(self, grams: frozenset[str], article_id: int) -> float:
        text = self._texts(article_id)
        return sum(g in text for g in grams) / len(grams)

    def article_text(self, article_id: int) -> str:
        """Return an article's title and text."""
        return self._texts(article_id)

    def _article_text(self, article_id: int) -> str:
        return self.corpus.article_text(article_id)

    def measuring(self, words: Sequence[str], *, places: Sequence[str] = (), other_places: bool = False,
                  per_place: int | None = None) -> list[tuple[Chunk, Figure]]:
        """Return figures whose measure contains one of the words (公租房 finds 新增公租房), newest issue first.

        places keeps the figures naming one of them (other_places: naming districts, none of them); per_place keeps
        the newest so many of each district.
        """
        entries = self.corpus.measure_entries(words, places=places, other_places=other_places, per_place=per_place)
        out = []
        for e in entries:
            chunk = self._chunk(int(self.corpus.m_pos[e]))
            out.append((chunk, self.figures.get(chunk.id)[int(self.corpus.m_fig[e])]))
        return out

    def first_places_measuring(self, word: str) -> set[str] | None:
        """Return the first place each figure whose measure contains the word names, as {f.places[0] for f in
        measuring([word])} would, read from the figure index without reading a figure; None: no such figure."""
        entries = self.corpus.measure_entries([word])
        if not len(entries):
            return None
        return {self.corpus.places[i] for i in np.unique(self.corpus.m_first[entries]).tolist() if i >= 0}

    def measure_chunks(self, words: Sequence[str], *, places: Sequence[str] = (),
                       exclude: Collection[int] = ()) -> tuple[np.ndarray, np.ndarray]:
        """Return the positions of the chunks holding such figures, newest first, and their issue date ordinals.

        exclude names chunk ids to leave out.
        """
        entries = self.corpus.measure_entries(words, places=places)
        if exclude:
            entries = entries[~np.isin(self.corpus.ids[self.corpus.m_pos[entries]], np.fromiter(exclude, np.int64))]
        _, first = np.unique(self.corpus.m_pos[entries], return_index=True)
        order = np.sort(first)
        return self.corpus.m_pos[entries[order]].astype(np.int64), self.corpus.m_date[entries[order]]

    def chunk_at(self, pos: int) -> Chunk:
        """Return the chunk at a corpus position."""
        return self._chunk(pos)

    def newest_chunks(self, n: int) -> list[Chunk]:
        """Return the n chunks of the newest issues (then lowest id first)."""
        dates = self.corpus.art_date[self.corpus.article_of]
        order = np.lexsort((self.corpus.ids, -dates.astype(np.int64)))[:n]
        return [self.corpus.chunk(int(p)) for p in order]

    def issue_chunks(self) -> list[Chunk]:
        """Return the first chunk of each indexed bulletin, which carries its issue, date and period."""
        documents = self.corpus.art_document
        first = np.flatnonzero(np.r_[True, documents[1:] != documents[:-1]]) if len(documents) else np.zeros(0, int)
        return [self.chunk_at(int(self.corpus.art_start[a])) for a in first]

    def places_of(self, chunk_id: int) -> tuple[str, ...]:
        """Return the places a chunk names or whose article is about (in the order the corpus met them)."""
        pos = self.corpus.position(chunk_id)
        return () if pos is None else self.corpus.places_at(pos)

    def mentions(self, place: str) -> bool:
        """Tell whether any chunk names the place or is about it."""
        return place in self._named


def _span(text: str, fig: Figure) -> tuple[int, int]:
    """Return where a figure's sentence stands in its chunk's text: its own span, or where the sentence is found."""
    if fig.span != (0, 0) or not fig.sentence:
        return fig.span
    at = text.find(fig.sentence)
    if at < 0:
        raise ValueError(f"figure {fig.text!r}: its sentence is not in its chunk's text")
    return at, at + len(fig.sentence)


def trigrams(text: str) -> frozenset[str]:
    """Return the character trigrams of each run of letters, digits and CJK characters in text."""
    return frozenset(run[i:i + 3] for run in _RUN.findall(text) for i in range(len(run) - 2))
