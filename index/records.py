"""Records passed to and from the store: what to write, and what was read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from index.models import Chunk, Figure
from index.search.corpus import ChunkRow, StoredFigureRow

FigureRow = tuple[str, float, float | None, str | None, str, int, int, str, str | None, str | None, str, str,
                  tuple[str, ...], str | None, str, int, int]
"""A figure as stored: its fields in Figure's order less chunk_id (text, value, value_max, unit, kind, start, end,
sentence, qualifier, approx, before, after, places, period, measure, and where the sentence starts and ends in its
chunk's text). Cheaper to make, and to pass between processes, than a Figure: ingest makes tens of thousands."""


def figure_row(fig: Figure) -> FigureRow:
    """Lay a Figure out as a FigureRow."""
    return (fig.text, fig.value, fig.value_max, fig.unit, fig.kind, fig.start, fig.end, fig.sentence, fig.qualifier,
            fig.approx, fig.before, fig.after, fig.places, fig.period, fig.measure, *fig.span)


@dataclass(frozen=True, slots=True)
class NewChunk:
    """A chunk to store, with its index terms and figures."""

    text: str
    tokens: str  # its index terms joined by spaces, as stored (terms never contain spaces): one string to pass
    figures: tuple[FigureRow, ...]


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article to store with its chunks."""

    title: str
    place: str | None
    chunks: tuple[NewChunk, ...]


@dataclass(frozen=True, slots=True)
class Derived:
    """What the rules derive from a bulletin's text: its issue fields and its articles (a version of RULES)."""

    issue_name: str | None  # the series: the publication's name
    issue_number: str | None
    issue_date: dt.date | None
    issue_key: str  # the same issue in another file (a corrected version) has the same key
    distribution: str
    articles: tuple[NewArticle, ...]
    rules: int
    issue_period: str | None = None  # the period the issue covers, normalised: 2024年12月, 2020年一季度

    def fields(self) -> tuple[object, ...]:
        """The bulletins columns it sets: issue_name, issue_number, issue_date, distribution, derived_with, issue_key,
        issue_period."""
        return (self.issue_name, self.issue_number, self.issue_date.isoformat() if self.issue_date else None,
                self.distribution, self.rules, self.issue_key, self.issue_period)


@dataclass(frozen=True, slots=True)
class NewBulletin:
    """A bulletin to store: the file's identity and text, and what was derived from it."""

    document: str
    sha256: str
    raw_text: str
    derived: Derived


@dataclass(frozen=True, slots=True)
class Stored:
    """What storing a bulletin did: added, updated (replacing the documents named) or restored to the index."""

    id: int
    status: str
    replaced: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredIssue:
    """One stored bulletin as `bulletin list` shows it."""

    id: int
    document: str
    state: str  # indexed, replaced (by a newer version of the issue) or removed
    issue_name: str | None  # the series
    issue_number: str | None
    issue_date: str | None
    ingested_at: str
    replaced_by: str | None
    articles: int
    chunks: int
    figures: int
    issue_period: str | None = None


@dataclass(frozen=True, slots=True)
class StoredChunk:
    """A chunk as loaded for searching: the chunk, its terms and its figures."""

    chunk: Chunk
    terms: tuple[str, ...]
    figures: tuple[Figure, ...]


@dataclass(frozen=True, slots=True)
class IndexRows:
    """What a Library is built from, as the store holds it: chunks in corpus order, figures, each chunk's tokens."""

    key: str  # the index's state these rows are (Store.index_key)
    chunks: list[ChunkRow]
    figures: list[StoredFigureRow]
    tokens: list[str]  # a chunk's index terms joined by spaces
    upto: int = 0  # index_rows_after: the rows are those of the indexed bulletins up to this id
    bulletins: list[int] | None = None  # the bulletin each chunk is of


@dataclass(frozen=True, slots=True)
class StoredSource:
    """A stored bulletin's original text, for re-deriving its index."""

    id: int
    document: str
    raw_text: str


@dataclass(frozen=True, slots=True)
class Reparsed:
    """A stored bulletin derived afresh: what was derived replaces its old issue fields and articles."""

    id: int
    derived: Derived


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts over the stored corpus."""

    issues: int
    articles: int
    chunks: int
    figures: int
    newest_issue: str | None
    last_ingest: str | None
    out_of_index: int = 0  # stored bulletins not searched: replaced by a newer version, or removed
