"""Snapshot: a built Library saved beside the database, so a start loads the index instead of rebuilding it.

The folder <db>.index/<key>-v<FORMAT> is named for the index state it was built from (generation and change time),
written under a temporary name and renamed into place whole: a reader finds a complete snapshot or none. It is a
cache: when it is missing, stale or unreadable, the Library is rebuilt from the database and saved again.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from index.corpus import CorpusBuilder
from index.library import Chunks, Library
from index.records import IndexRows
from index.searcher import Searcher, TermIds
from index.store import Store

FORMAT = 3  # bump when the saved layout changes: older snapshots are then rebuilt (3: places as ids, issues)
BATCH = 5000  # chunks read and laid out at a time: memory stays that of the index, not of its rows
ABANDONED_SECONDS = 3600  # a temporary folder this old was left by a save that never finished
log = logging.getLogger(__name__)


def folder_of(db: Path, key: str) -> Path:
    """Return the snapshot folder for an index state of a database."""
    return db.with_name(db.name + ".index") / f"{key}-v{FORMAT}"


async def open_library(store: Store) -> tuple[str, Library]:
    """Return the index key and the Library of the database's current index, loaded if saved, else built and saved."""
    key = await store.index_key()
    folder = folder_of(store.path, key)
    if folder.is_dir():
        try:
            return key, await asyncio.to_thread(Library.load, folder)
        except (OSError, ValueError, KeyError, TypeError) as e:  # damaged or foreign: rebuilt below
            log.warning("index snapshot %s unreadable (%s): rebuilding it", folder, e)
            shutil.rmtree(folder, ignore_errors=True)
    with _collector_paused():
        corpus, terms = CorpusBuilder(), TermIds()
        built = None  # the key of the state the rows are from (it may have moved on since the look above)
        async for rows in store.index_batches(BATCH):
            built = rows.key
            await asyncio.to_thread(_add, corpus, terms, rows)
        library = await asyncio.to_thread(_finish, corpus, terms)
    built = built or await store.index_key()  # nothing indexed: the empty state's
    await asyncio.to_thread(save, library, store.path, built)
    return built, library


def _add(corpus: CorpusBuilder, terms: TermIds, rows: IndexRows) -> None:
    corpus.add(rows.chunks, rows.figures)
    terms.add([t.split() for t in rows.tokens])


def _finish(corpus: CorpusBuilder, terms: TermIds) -> Library:
    built = corpus.finish()
    return Library(Searcher.from_postings(Chunks(built), terms.postings()), built)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector out of a build: it makes millions of objects, none of them in cycles, and
    each collection would walk them all (measured at 100,000 chunks: most of a 57 s build)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def save(library: Library, db: Path, key: str) -> None:
    """Save a Library for the next start (best effort: where it cannot be written, the next start rebuilds)."""
    folder = folder_of(db, key)
    temporary = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    try:
        shutil.rmtree(temporary, ignore_errors=True)
        library.save(temporary)
        os.rename(temporary, folder)  # whole or not at all; if another process got there first, its copy stays
    except OSError as e:
        shutil.rmtree(temporary, ignore_errors=True)
        if not folder.is_dir():
            log.warning("index snapshot not saved to %s: %s", folder, e)
        return
    _prune(folder)


def _prune(current: Path) -> None:
    """Delete the snapshots of older states (a process still using one keeps its mapped files until it lets go)."""
    for other in current.parent.iterdir():
        # a temporary folder is another process's save in progress, or a killed one's left behind
        if other != current and other.is_dir() and (".tmp" not in other.name or _age(other) > ABANDONED_SECONDS):
            shutil.rmtree(other, ignore_errors=True)


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0
