"""The saved index built in a process of its own while an ingest stores bulletins, each read as soon as it is stored.

Building it used to wait for the ingest to end and read every row back: a quarter of an ingest, on one core while
the other idled. A thread of the ingesting process was tried and gained nothing (its Python work holds the lock the
storing loop needs), so a child process follows the database instead: it reads the bulletins stored since its last
look, a few whole ones per read transaction, and lays them out in corpus order (bulletin id, article, chunk). Told
to finish, it reads the rest and saves the Library only if the indexed rows are exactly those it read (no bulletin
replaced, removed or re-derived meanwhile); otherwise, or if it fails, the ingest builds the index as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import multiprocessing.synchronize
from pathlib import Path

from index.records import IndexRows
from index.search.corpus import CorpusBuilder
from index.search.searcher import TermIds
from index.search.snapshot import build_from, finished, open_library, save
from index.storage.store import Store

PERIOD = 0.5  # seconds between looks for newly stored bulletins
BULLETINS = 200  # bulletins read at a time (one short read transaction each)
log = logging.getLogger(__name__)


class Alongside:
    """async with Alongside(store): a child process builds the saved index while the block stores bulletins;
    finish(), at the block's end, waits for it (building it here when the child could not)."""

    def __init__(self, store: Store, *, child: bool = True) -> None:
        self.store = store
        self._process: multiprocessing.process.BaseProcess | None = None
        if child:
            context = multiprocessing.get_context("spawn")  # no fork of a process running threads (aiosqlite's)
            self._stop = context.Event()
            self._reply, self._child_end = context.Pipe(duplex=False)
            self._process = context.Process(target=_follow, args=(store.path, self._stop, self._child_end),
                                            daemon=True, name="index-builder")

    async def __aenter__(self) -> Alongside:
        if self._process is not None:
            self._process.start()
            self._child_end.close()  # the child holds its own end: a dead child shows as end of file here
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._process is None:
            return
        self._stop.set()
        if self._process.is_alive():
            await asyncio.to_thread(self._process.join, 5)
        if self._process.is_alive():
            self._process.kill()

    async def finish(self) -> None:
        """Have the child read the rest and save; if it cannot (or there is none), build and save the index here."""
        saved = False
        if self._process is not None:
            self._stop.set()
            try:
                saved = bool(await asyncio.to_thread(self._reply.recv))
            except (EOFError, OSError):  # the child died
                saved = False
            if not saved:
                log.info("the index was not built alongside the ingest: building it now")
        if not saved:
            await open_library(self.store)


def _follow(db: Path, stop: multiprocessing.synchronize.Event, reply: multiprocessing.connection.Connection) -> None:
    """The child: follow the database until told to stop, then save the Library and say whether it did."""
    from index.ingest import end_with_parent  # (the workers' guard: never outlive the ingest)

    end_with_parent()
    try:
        saved = asyncio.run(_build(db, stop))
    except Exception as e:  # whatever it is, the parent builds the index itself
        log.warning("building the index alongside the ingest failed: %s", e)
        saved = False
    with contextlib.suppress(OSError):
        reply.send(saved)


async def _build(db: Path, stop: multiprocessing.synchronize.Event) -> bool:
    corpus, terms = CorpusBuilder(), TermIds()
    read = _Read()
    async with await Store.open(db, create=False) as store:
        while not stop.is_set():
            await _catch_up(store, corpus, terms, read)
            await asyncio.to_thread(stop.wait, PERIOD)
        await _catch_up(store, corpus, terms, read)
        key, found = await store.indexed_fingerprint()
        if found != read.fingerprint():  # a bulletin replaced or removed, or rows re-derived, since they were read
            return False
        save(finished(corpus, terms), db, key)
        return True


class _Read:
    """What the child has laid out: the last bulletin, every bulletin and chunk read."""

    def __init__(self) -> None:
        self.last = 0
        self.bulletins: list[int] = []
        self.chunks = 0
        self.top_chunk = 0

    def add(self, rows: IndexRows) -> None:
        for bulletin in rows.bulletins or []:
            if not self.bulletins or self.bulletins[-1] != bulletin:
                self.bulletins.append(bulletin)
        self.chunks += len(rows.chunks)
        self.top_chunk = max([self.top_chunk, *(c[0] for c in rows.chunks)])
        self.last = rows.upto

    def fingerprint(self) -> tuple[int, ...]:
        return len(self.bulletins), sum(self.bulletins), max(self.bulletins, default=0), self.chunks, self.top_chunk


async def _catch_up(store: Store, corpus: CorpusBuilder, terms: TermIds, read: _Read) -> None:
    """Lay out the bulletins stored since the last look, a few whole bulletins at a time."""
    while (rows := await store.index_rows_after(read.last, BULLETINS)) is not None:
        build_from(corpus, terms, rows)
        read.add(rows)
