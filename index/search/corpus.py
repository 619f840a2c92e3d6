"""Corpus: the indexed chunks, their figures and the figure index as flat arrays, cheap to keep, save and load.

A Python object per chunk and per figure costs about 1 KB and a microsecond to make: at 100,000 chunks (730,000
figures) that is most of a gigabyte and seconds of start-up. Here text and figures are UTF-8 blobs with offsets,
and a Chunk or Figure is made only when a question reaches it.
"""

from __future__ import annotations

import datetime as dt
import json
import marshal
import threading
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.analysis.places import places_in
from index.analysis.text import sentence_text
from index.models import Chunk, Figure

MEASURE_CACHE = 10_000  # words remembered with the measures containing them
MEASURE_ROWS = 8  # measures' entries remembered (each up to a few MB at a million chunks)
_ROWS_LOCK = threading.Lock()
_ARRAYS = ("ids", "ordinals", "article_of", "text_at", "text", "figures_at", "figures", "place_at", "place_pos",
           "art_start", "art_ids", "art_title", "art_document", "art_place", "art_date", "art_issue", "art_period",
           "measure_at", "m_pos", "m_fig", "m_places", "m_first", "m_date", "set_at", "set_places")

ChunkRow = tuple[int, str, str, str, int, int, str | None, str | None, str | None, str | None]  # id, document, title,
# text, ordinal, article id, place, issue date, issue (series and number), issue period: in corpus order (bulletin,
# article, chunk), an article's chunks together
StoredFigureRow = tuple[int, str, float, float | None, str | None, str, int, int, int, int, str | None, str | None, str,
                  str, str, str | None, str]  # chunk id, then Figure's fields in order (places comma-joined), no chunk_id,
# the sentence as its start and end in the chunk's text


@dataclass(frozen=True, eq=False)
class Corpus:
    """The chunks in corpus order (position 0..n-1), their figures, and every figure with a measure by measure."""

    ids: np.ndarray  # chunk id at each position
    ordinals: np.ndarray  # the chunk's place in its article
    article_of: np.ndarray  # article row of each position
    text_at: np.ndarray  # chunk text i is text[text_at[i]:text_at[i + 1]], UTF-8
    text: np.ndarray
    figures_at: np.ndarray  # the chunk's figures, one JSON list, likewise
    figures: np.ndarray
    place_at: np.ndarray  # the chunks about place p (naming it, or in an article about it) are
    place_pos: np.ndarray  # place_pos[place_at[p]:place_at[p + 1]], ascending positions
    art_start: np.ndarray  # article row a holds positions art_start[a]..art_start[a + 1] - 1
    art_ids: np.ndarray
    art_title: np.ndarray  # index into strings
    art_document: np.ndarray  # index into strings
    art_place: np.ndarray  # index into places, or -1
    art_date: np.ndarray  # the issue's date as a proleptic ordinal, 0 for none
    art_issue: np.ndarray  # index into strings: the issue's series and number ("" for none)
    art_period: np.ndarray  # index into strings: the period the issue covers ("" for none)
    measure_at: np.ndarray  # entries of measures[m] are measure_at[m]..measure_at[m + 1] - 1, newest first
    m_pos: np.ndarray  # the entry's chunk position
    m_fig: np.ndarray  # the figure's place in its chunk's list
    m_places: np.ndarray  # the figure's set of places, s: set_places[set_at[s]:set_at[s + 1]]
    m_first: np.ndarray  # the first place the figure's sentence names (index into places), or -1
    m_date: np.ndarray  # the figure's issue date ordinal
    set_at: np.ndarray
    set_places: np.ndarray
    strings: tuple[str, ...]
    measures: tuple[str, ...]
    places: tuple[str, ...]  # every place key met, in order of first meeting: ids of any number

    def __len__(self) -> int:
        return len(self.ids)

    def chunk(self, pos: int) -> Chunk:
        """Return the chunk at a position."""
        a = int(self.article_of[pos])
        place, date = int(self.art_place[a]), int(self.art_date[a])
        return Chunk(id=int(self.ids[pos]), document=self.strings[self.art_document[a]],
                     title=self.strings[self.art_title[a]], text=_slice(self.text, self.text_at, pos),
                     ordinal=int(self.ordinals[pos]), article_id=int(self.art_ids[a]),
                     place=self.places[place] if place >= 0 else None,
                     issue_date=dt.date.fromordinal(date) if date else None,
                     issue=self.strings[self.art_issue[a]] or None, issue_period=self.strings[self.art_period[a]] or None)

    def figures_of(self, pos: int) -> tuple[Figure, ...]:
        """Return the figures of the chunk at a position, in text order."""
        raw = self.figures[int(self.figures_at[pos]):int(self.figures_at[pos + 1])].tobytes()
        rows: tuple[tuple[Any, ...], ...] = marshal.loads(raw)
        if not rows:
            return ()
        chunk_id = int(self.ids[pos])
        text = _slice(self.text, self.text_at, pos)
        return tuple(Figure(row[0], row[1], row[2], row[3], row[4], row[5], row[6], sentence_text(text, row[7], row[8]),
                            row[9], row[10], row[11], row[12], row[13], row[14], chunk_id, row[15], (row[7], row[8]))
                     for row in rows)

    def position(self, chunk_id: int) -> int | None:
        """Return the position of a chunk id, or None."""
        at = int(np.searchsorted(self._sorted_ids, chunk_id))
        return int(self._id_order[at]) if at < len(self._sorted_ids) and self._sorted_ids[at] == chunk_id else None

    def article_positions(self, article_id: int) -> range:
        """Return the positions of an article's chunks (empty for an unknown article)."""
        a = int(np.searchsorted(self._sorted_articles, article_id))
        if a >= len(self._sorted_articles) or self._sorted_articles[a] != article_id:
            return range(0)
        row = int(self._article_order[a])
        return range(int(self.art_start[row]), int(self.art_start[row + 1]))

    def article_text(self, article_id: int) -> str:
        """Return an article's title and its chunks' texts, a line each, read from the buffers ("" if unknown)."""
        positions = self.article_positions(article_id)
        if not positions:
            return ""
        title = self.strings[self.art_title[self.article_of[positions[0]]]]
        return "\n".join([title, *(_slice(self.text, self.text_at, p) for p in positions)])

    def article_id_at(self, pos: int) -> int:
        """Return the id of the article the chunk at a position belongs to."""
        return int(self.art_ids[self.article_of[pos]])

    def place_ids(self, places: Iterable[str]) -> list[int]:
        """Return the ids of the places named (unknown ones are left out)."""
        ids: dict[str, int] = self.__dict__.get("_place_ids") or {p: i for i, p in enumerate(self.places)}
        self.__dict__.setdefault("_place_ids", ids)
        return [ids[p] for p in places if p in ids]

    def positions_about(self, places: Sequence[str]) -> np.ndarray:
        """Return the positions of the chunks that name one of the places or whose article is about one."""
        runs = [self.place_pos[int(self.place_at[i]):int(self.place_at[i + 1])] for i in self.place_ids(places)]
        if not runs:
            return np.zeros(0, dtype=np.int64)
        return (runs[0] if len(runs) == 1 else np.unique(np.concatenate(runs))).astype(np.int64)

    def places_at(self, pos: int) -> tuple[str, ...]:
        """Return the places the chunk at a position names or is about."""
        return tuple(p for i, p in enumerate(self.places)
                     if _holds(self.place_pos[int(self.place_at[i]):int(self.place_at[i + 1])], pos))

    def named_places(self) -> frozenset[str]:
        """Return every place some chunk names or is about."""
        return frozenset(p for i, p in enumerate(self.places) if self.place_at[i + 1] > self.place_at[i])

    def newest(self) -> dt.date | None:
        """Return the newest issue date."""
        top = int(self.art_date.max()) if len(self.art_date) else 0
        return dt.date.fromordinal(top) if top else None

    def measure_entries(self, words: Sequence[str], *, places: Sequence[str] = (), other_places: bool = False,
                        per_place: int | None = None) -> np.ndarray:
        """Return the figure-index entries whose measure contains a word, newest first.

        With places, only figures naming one of them (other_places: figures naming districts, none of them).
        per_place keeps the newest so many of each first-named district (and of no district).
        """
        runs = tuple(sorted({m for w in words if len(w) >= 2 for m in self._measures_with(w)}))
        if not runs:
            return np.zeros(0, dtype=np.int64)
        entries, sets = self._measure_rows(runs)
        if places:
            named = self._sets_naming(tuple(places))
            if other_places:
                entries = entries[(self.set_at[sets + 1] > self.set_at[sets]) & ~named[sets]]
            else:
                entries = entries[named[sets]]
        # newest first across measures, then corpus order
        entries = entries[np.lexsort((self.m_fig[entries], self.m_pos[entries],
                                      -self.m_date[entries].astype(np.int64)))]
        if per_place is not None and len(entries):
            first = self.m_first[entries]
            by_place = np.argsort(first, kind="stable")
            starts = np.flatnonzero(np.r_[True, first[by_place][1:] != first[by_place][:-1]])
            rank = np.arange(len(entries)) - np.repeat(starts, np.diff(np.r_[starts, len(entries)]))
            keep = np.zeros(len(entries), dtype=bool)
            keep[by_place[rank < per_place]] = True
            entries = entries[keep]
        return entries

    def _measure_rows(self, runs: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Return the entries of these measures and each one's set of places (remembered for the last few: a 各区
        question reads the same measures once per district)."""
        cache: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = self.__dict__.setdefault("_rows_cache", {})
        with _ROWS_LOCK:  # the bot asks from several threads
            found = cache.get(runs)
            if found is None:
                if len(cache) >= MEASURE_ROWS:
                    del cache[next(iter(cache))]  # the oldest
                entries = np.concatenate([np.arange(self.measure_at[m], self.measure_at[m + 1]) for m in runs])
                found = cache[runs] = (entries, self.m_places[entries])
        return found

    def _sets_naming(self, places: tuple[str, ...]) -> np.ndarray:
        """Return, for each set of places, whether it holds one of the places."""
        ids = np.asarray(self.place_ids(places), dtype=np.int32)
        owner = np.repeat(np.arange(len(self.set_at) - 1), np.diff(self.set_at))  # the set each member is of
        out = np.zeros(len(self.set_at) - 1, dtype=bool)
        out[owner[np.isin(self.set_places, ids)]] = True
        return out

    def _measures_with(self, word: str) -> tuple[int, ...]:
        """Return the indexes of the measures containing a word (remembered: a scan of every measure per question
        part was most of a 各区 question's time)."""
        cache: dict[str, tuple[int, ...]] = self.__dict__.setdefault("_measure_cache", {})
        found = cache.get(word)
        if found is None:
            if len(cache) >= MEASURE_CACHE:
                cache.clear()
            found = cache[word] = tuple(m for m, measure in enumerate(self.measures) if word in measure)
        return found

    def save(self, folder: Path) -> None:
        """Write the corpus to a folder (one .npy per array, strings as JSON)."""
        folder.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name), allow_pickle=False)
        (folder / "strings.json").write_text(json.dumps([self.strings, self.measures, self.places],
                                                        ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Corpus:
        """Read a saved corpus; the arrays are memory-mapped, so pages are read as questions need them."""
        strings, measures, places = json.loads((folder / "strings.json").read_text(encoding="utf-8"))
        # plain ndarray views of the maps: numpy's memmap class costs microseconds per element read
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
                  for name in _ARRAYS}
        corpus = cls(**arrays, strings=tuple(strings), measures=tuple(measures), places=tuple(places))
        corpus._check()
        return corpus

    def _check(self) -> None:
        """Raise ValueError unless the arrays agree with each other (a damaged or mixed-up save)."""
        n, articles, entries = len(self.ids), len(self.art_ids), len(self.m_pos)
        sizes = {"ordinals": n, "article_of": n, "place_at": len(self.places) + 1, "text_at": n + 1, "figures_at": n + 1,
                 "art_start": articles + 1, "art_title": articles, "art_document": articles, "art_place": articles,
                 "art_date": articles, "art_issue": articles, "art_period": articles, "measure_at": len(self.measures) + 1, "m_fig": entries, "m_places": entries,
                 "m_first": entries, "m_date": entries}
        wrong = [name for name, size in sizes.items() if len(getattr(self, name)) != size]
        if wrong or int(self.text_at[-1]) != len(self.text) or int(self.figures_at[-1]) != len(self.figures) \
                or int(self.measure_at[-1]) != entries or int(self.art_start[-1]) != n \
                or int(self.place_at[-1]) != len(self.place_pos) or int(self.set_at[-1]) != len(self.set_places):
            raise ValueError(f"the saved corpus' arrays do not agree ({', '.join(wrong) or 'offsets'})")

    @classmethod
    def build(cls, chunk_rows: Iterable[ChunkRow], figure_rows: Iterable[StoredFigureRow]) -> Corpus:
        """Lay out rows loaded from the store (figure rows in any order, each naming its chunk id)."""
        builder = CorpusBuilder()
        builder.add(chunk_rows, figure_rows)
        return builder.finish()

    @property
    def _sorted_ids(self) -> np.ndarray:
        return self._lookup("_ids_sorted", self.ids)[0]

    @property
    def _id_order(self) -> np.ndarray:
        return self._lookup("_ids_sorted", self.ids)[1]

    @property
    def _sorted_articles(self) -> np.ndarray:
        return self._lookup("_arts_sorted", self.art_ids)[0]

    @property
    def _article_order(self) -> np.ndarray:
        return self._lookup("_arts_sorted", self.art_ids)[1]

    def _lookup(self, name: str, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # made on first use (the ids are in corpus order, not id order); frozen, so set through object
        cached: tuple[np.ndarray, np.ndarray] | None = self.__dict__.get(name)
        if cached is None:
            order = np.argsort(keys, kind="stable")
            cached = (np.asarray(keys)[order], order)
            object.__setattr__(self, name, cached)
        return cached


def _holds(sorted_positions: np.ndarray, pos: int) -> bool:
    at = int(np.searchsorted(sorted_positions, pos))
    return at < len(sorted_positions) and int(sorted_positions[at]) == pos


def _slice(blob: np.ndarray, at: np.ndarray, pos: int) -> str:
    return blob[int(at[pos]):int(at[pos + 1])].tobytes().decode("utf-8")


class CorpusBuilder:
    """Lays rows out as a Corpus, batch by batch, so a large corpus never sits in memory as Python rows."""

    def __init__(self) -> None:
        self.strings: dict[str, int] = {}
        self.measure_ids: dict[str, int] = {}
        self.place_ids: dict[str, int] = {}
        self.place_sets: dict[tuple[int, ...], int] = {(): 0}
        self.ids, self.ordinals, self.article_of = array("q"), array("i"), array("i")
        self.chunk_of_place, self.place_of_chunk = array("i"), array("i")  # (position, place) pairs
        self.texts: list[bytes] = []
        self.figure_blobs: list[bytes] = []
        self.art_start, self.art_ids, self.art_title, self.art_document = array("q"), array("q"), array("i"), array("i")
        self.art_place, self.art_date, self.art_issue, self.art_period = array("i"), array("i"), array("i"), array("i")
        # the figure index, a column each: measure id, issue date, chunk position, figure, place set, first place
        self.e_measure, self.e_date, self.e_pos, self.e_fig = array("i"), array("i"), array("i"), array("i")
        self.e_places, self.e_first = array("i"), array("i")

    def string(self, text: str) -> int:
        return self.strings.setdefault(text, len(self.strings))

    def place(self, key: str) -> int:
        return self.place_ids.setdefault(key, len(self.place_ids))

    def place_set(self, keys: Iterable[str]) -> int:
        ids = tuple(sorted({self.place(k) for k in keys}))
        return self.place_sets.setdefault(ids, len(self.place_sets))

    def add(self, chunk_rows: Iterable[ChunkRow], figure_rows: Iterable[StoredFigureRow]) -> None:
        """Add chunks in corpus order (an article's chunks together) with the figure rows of those chunks."""
        figures: dict[int, list[tuple[Any, ...]]] = {}
        for r in figure_rows:
            figures.setdefault(r[0], []).append((*r[1:14], tuple(p for p in r[14].split(",") if p), r[15], r[16]))
        for chunk_id, document, title, text, ordinal, article_id, place, date, issue, period in chunk_rows:
            pos = len(self.ids)
            if not self.art_ids or self.art_ids[-1] != article_id:
                self.art_start.append(pos)
                self.art_ids.append(article_id)
                self.art_title.append(self.string(title))
                self.art_document.append(self.string(document))
                self.art_place.append(self.place(place) if place else -1)
                self.art_date.append(dt.date.fromisoformat(date).toordinal() if date else 0)
                self.art_issue.append(self.string(issue or ""))
                self.art_period.append(self.string(period or ""))
            self.ids.append(chunk_id)
            self.ordinals.append(ordinal)
            self.article_of.append(len(self.art_ids) - 1)
            rows = figures.get(chunk_id, [])
            about = {self.place(p) for p in places_in(text)} | ({self.place(place)} if place else set())
            about |= {self.place(p) for row in rows for p in row[13]}  # 我市 resolved at ingest: the home place
            for i in sorted(about):
                self.chunk_of_place.append(pos)
                self.place_of_chunk.append(i)
            self.texts.append(text.encode("utf-8"))
            # marshal: a figure's fields as a tuple, read back ten times faster than JSON and with its types
            self.figure_blobs.append(marshal.dumps(tuple(rows)))
            for i, row in enumerate(rows):
                if measure := row[15]:
                    places = row[13]
                    self.e_measure.append(self.measure_ids.setdefault(measure, len(self.measure_ids)))
                    self.e_date.append(self.art_date[-1])
                    self.e_pos.append(pos)
                    self.e_fig.append(i)
                    self.e_places.append(self.place_set(places))
                    self.e_first.append(self.place(places[0]) if places else -1)

    def finish(self) -> Corpus:
        """Return the Corpus of everything added."""
        measures = sorted(self.measure_ids)
        rank = np.zeros(len(measures), dtype=np.int64)
        rank[[self.measure_ids[m] for m in measures]] = np.arange(len(measures))
        measure = rank[np.frombuffer(self.e_measure, dtype=np.int32)] if measures else np.zeros(0, dtype=np.int64)
        date = np.frombuffer(self.e_date, dtype=np.int32)
        pos = np.frombuffer(self.e_pos, dtype=np.int32)
        fig = np.frombuffer(self.e_fig, dtype=np.int32)
        order = np.lexsort((fig, pos, -date.astype(np.int64), measure))  # by measure, newest first, then in order
        art_start = np.append(np.frombuffer(self.art_start, dtype=np.int64), len(self.ids)).astype(np.int64)
        # each place's chunk positions, ascending: a place-filtered search reads its own list, not every chunk
        owner = np.frombuffer(self.place_of_chunk, dtype=np.int32)
        by_place = np.lexsort((np.frombuffer(self.chunk_of_place, dtype=np.int32), owner))
        sets = sorted(self.place_sets, key=self.place_sets.__getitem__)
        return Corpus(
            ids=np.frombuffer(self.ids, dtype=np.int64), ordinals=np.frombuffer(self.ordinals, dtype=np.int32),
            article_of=np.frombuffer(self.article_of, dtype=np.int32),
            text_at=_offsets([len(t) for t in self.texts]), text=_blob(self.texts),
            figures_at=_offsets([len(f) for f in self.figure_blobs]), figures=_blob(self.figure_blobs),
            place_at=_offsets(np.bincount(owner, minlength=len(self.place_ids)).tolist()),
            place_pos=np.frombuffer(self.chunk_of_place, dtype=np.int32)[by_place].astype(np.int32),
            art_start=art_start, art_ids=np.frombuffer(self.art_ids, dtype=np.int64),
            art_title=np.frombuffer(self.art_title, dtype=np.int32),
            art_document=np.frombuffer(self.art_document, dtype=np.int32),
            art_place=np.frombuffer(self.art_place, dtype=np.int32), art_date=np.frombuffer(self.art_date, dtype=np.int32),
            art_issue=np.frombuffer(self.art_issue, dtype=np.int32), art_period=np.frombuffer(self.art_period, dtype=np.int32),
            measure_at=_offsets(np.bincount(measure, minlength=len(measures)).tolist()),
            m_pos=pos[order], m_fig=fig[order], m_places=np.frombuffer(self.e_places, dtype=np.int32)[order],
            m_first=np.frombuffer(self.e_first, dtype=np.int32)[order], m_date=date[order],
            set_at=_offsets([len(s) for s in sets]),
            set_places=np.array([i for s in sets for i in s], dtype=np.int32),
            strings=tuple(self.strings), measures=tuple(measures), places=tuple(self.place_ids))


def _offsets(lengths: Sequence[int]) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


def _blob(parts: Sequence[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(parts), dtype=np.uint8)

