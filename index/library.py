"""Library: the loaded, searchable snapshot of the corpus (chunks, BM25, figures, places)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from index.models import Chunk, Figure, Hit
from index.places import places_in
from index.records import StoredChunk
from index.searcher import Searcher


@dataclass(frozen=True)
class Library:
    """An immutable view of the stored corpus; a reindex builds a new one and swaps the reference."""

    searcher: Searcher
    figures: dict[int, tuple[Figure, ...]]
    places: dict[int, tuple[str, ...]]  # chunk id -> districts it names (or its article is about)
    articles: dict[int, tuple[Chunk, ...]] = field(default_factory=dict)  # article id -> its chunks, in order
    newest: dt.date | None = None  # the newest bulletin's date, for 今年 in a question

    @classmethod
    def build(cls, stored: Sequence[StoredChunk]) -> Library:
        """Build the snapshot from chunks loaded from the store."""
        chunks = [s.chunk for s in stored]
        places = {}
        for s in stored:
            named = places_in(s.chunk.text)
            own = (s.chunk.place,) if s.chunk.place and s.chunk.place not in named else ()
            places[s.chunk.id] = own + named
        return cls(
            searcher=Searcher(chunks, [s.terms for s in stored]),
            figures={s.chunk.id: s.figures for s in stored},
            places=places,
            articles=_group(chunks),
            newest=max((c.issue_date for c in chunks if c.issue_date), default=None),
        )

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        """Every chunk, in corpus order."""
        return self.searcher.chunks

    def search(self, terms: Sequence[str], *, k: int = 10) -> list[Hit]:
        """Rank chunks for the terms."""
        return self.searcher.search(terms, k=k)

    def article_text(self, article_id: int) -> str:
        """Return an article's title and text."""
        chunks = self.articles.get(article_id, ())
        return "\n".join([chunks[0].title, *(c.text for c in chunks)]) if chunks else ""

    def mentions(self, place: str) -> bool:
        """Tell whether any chunk names the place or is about it."""
        return any(place in named for named in self.places.values())


def _group(chunks: Sequence[Chunk]) -> dict[int, tuple[Chunk, ...]]:
    groups: dict[int, list[Chunk]] = {}
    for chunk in chunks:
        groups.setdefault(chunk.article_id, []).append(chunk)
    return {article: tuple(members) for article, members in groups.items()}
