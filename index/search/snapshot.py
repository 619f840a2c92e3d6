"""Snapshot: a built Library saved beside the database, so a start loads the index instead of rebuilding it.

The folder <db>.index/<key>-v<FORMAT> is named for the index state it was built from (generation and change time),
written under a temporary name and renamed into place whole: a reader finds a complete snapshot or none. Its
manifest.json, written last, holds every file's size and CRC-32; a start checks them before loading. It is a
cache: when it is missing, stale, damaged or unreadable, the Library is rebuilt from the database and saved again.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import os
import shutil
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from index.records import IndexRows
from index.search.corpus import CorpusBuilder
from index.search.library import Chunks, Library
from index.search.searcher import Searcher, TermIds
from index.storage.store import Store

FORMAT = 4  # bump when the saved layout changes: older snapshots are then rebuilt (4: manifest.json)
MANIFEST = "manifest.json"
STAMP = "verified.json"  # each file's identity (size, inode, change times) when it was last found whole
# CRC-32 rather than a cryptographic digest: the check is against damage, not an attacker, and it must not slow a start
# (measured over a 367 MB snapshot of 100,000 chunks: CRC-32 0.12 s, SHA-256 0.30 s, BLAKE2b 0.60 s)
BLOCK = 1 << 20  # bytes checked at a time: a large array file is streamed, not read whole
BATCH = 5000  # chunks read and laid out at a time: memory stays that of the index, not of its rows
ABANDONED_SECONDS = 3600  # a temporary folder this old was left by a save that never finished
log = logging.getLogger(__name__)


def index_root(db: Path) -> Path:
    """Return the folder a database's saved indexes live in (<db>.index)."""
    return db.with_name(db.name + ".index")


def folder_of(db: Path, key: str) -> Path:
    """Return the snapshot folder for an index state of a database."""
    return index_root(db) / f"{key}-v{FORMAT}"


async def open_library(store: Store) -> tuple[str, Library]:
    """Return the index key and the Library of the database's current index, loaded if saved, else built and saved."""
    key = await store.index_key()
    folder = folder_of(store.path, key)
    if folder.is_dir():
        try:
            return key, await asyncio.to_thread(load, folder)
        except Exception as e:  # damaged numpy or JSON data raises anything (EOFError, IndexError, zlib.error…)
            reason = " ".join(str(e).split())  # one log line, whatever the message holds
            log.warning("index snapshot %s unreadable (%s: %s): rebuilding it", folder, type(e).__name__, reason)
            shutil.rmtree(folder, ignore_errors=True)
    with _collector_paused():
        corpus, terms = CorpusBuilder(), TermIds()
        built = None  # the key of the state the rows are from (it may have moved on since the look above)
        async for rows in store.index_batches(BATCH):
            built = rows.key
            await asyncio.to_thread(build_from, corpus, terms, rows)
        library = await asyncio.to_thread(finished, corpus, terms)
    built = built or await store.index_key()  # nothing indexed: the empty state's
    await asyncio.to_thread(save, library, store.path, built)
    return built, library


def build_from(corpus: CorpusBuilder, terms: TermIds, rows: IndexRows) -> None:
    """Lay out the next rows of the corpus (in corpus order)."""
    corpus.add(rows.chunks, rows.figures)
    terms.add([t.split() for t in rows.tokens])


def finished(corpus: CorpusBuilder, terms: TermIds) -> Library:
    """Return the Library of everything laid out."""
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


class Damaged(ValueError):
    """A saved snapshot's files are not those its manifest lists."""


def load(folder: Path) -> Library:
    """Load a saved Library after checking its files against the manifest; raise Damaged or what loading raised.

    Reading every byte (its checksum) and every position (its range) grows with the corpus: at a million chunks
    1.35 s with the files in memory, 4.1 s the first time. So a check that passed leaves a stamp of each file's identity; while no file was written, replaced or
    touched since (its size, inode and change times as the stamp has them), the next start trusts the files.
    """
    if _stamped(folder):
        return Library.load(folder)
    _verify(folder)
    library = Library.load(folder)
    _check_bounds(library)
    _stamp(folder)
    return library


def _identities(folder: Path) -> dict[str, list[int]]:
    """Return each file's identity: what writing it, replacing it or setting its times changes (the ctime)."""
    out = {}
    for name in [*_files(folder), MANIFEST]:
        st = (folder / name).stat()
        out[name] = [st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns]
    return out


def _stamped(folder: Path) -> bool:
    """Tell whether the folder's files are those a passed check stamped (anything unreadable: they are not)."""
    try:
        return bool(json.loads((folder / STAMP).read_bytes()) == {"format": FORMAT, "files": _identities(folder)})
    except (OSError, ValueError):
        return False


def _stamp(folder: Path) -> None:
    """Record that the folder's files passed the check (best effort: a read-only folder is checked every start)."""
    part = folder / f"{STAMP}.part{os.getpid()}"
    try:
        part.write_text(json.dumps({"format": FORMAT, "files": _identities(folder)}), encoding="utf-8")
        os.replace(part, folder / STAMP)
    except OSError:
        part.unlink(missing_ok=True)


def _verify(folder: Path) -> None:
    """Raise Damaged unless the folder holds exactly the files its manifest lists, each of its size and CRC-32."""
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError) as e:
        raise Damaged(f"{MANIFEST} unreadable: {e}") from e
    listed = _listed(manifest)
    found = set(_files(folder))
    if found != set(listed):
        missing, unlisted = sorted(set(listed) - found), sorted(found - set(listed))
        raise Damaged(f"files missing {missing}, not listed {unlisted}")
    for name, (size, _) in listed.items():  # every size first: a cut file is told without reading the rest
        actual = (folder / name).stat().st_size
        if actual != size:
            raise Damaged(f"{name} holds {actual} bytes, not {size}")
    for name, (_, crc) in listed.items():
        if _crc(folder / name) != crc:
            raise Damaged(f"{name} does not match its checksum")


def _listed(manifest: Any) -> dict[str, tuple[int, int]]:
    """Return the manifest's files as name -> (size, CRC-32); raise Damaged for another format or a foreign file."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise Damaged(f"{MANIFEST} is not a format {FORMAT} manifest")
    listed = {}
    for name, entry in manifest["files"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("size"), int) \
                or not isinstance(entry.get("crc32"), int):
            raise Damaged(f"{MANIFEST} has no size and checksum for {name}")
        listed[name] = (entry["size"], entry["crc32"])
    return listed


def _files(folder: Path) -> Iterator[str]:
    """Yield the relative names of the folder's files, the manifest left out."""
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if name != MANIFEST and not name.startswith(STAMP) and not path.is_dir():
            yield name


def _crc(path: Path) -> int:
    """Return a file's CRC-32, read in blocks."""
    crc, block = 0, bytearray(BLOCK)
    view = memoryview(block)
    with path.open("rb", buffering=0) as f:
        while size := f.readinto(block):
            crc = zlib.crc32(view[:size], crc)
    return crc


def _check_bounds(library: Library) -> None:
    """Raise Damaged unless every stored position and index is in range (defence in depth behind the checksums: a
    question must never meet an IndexError, whatever a save got wrong)."""
    corpus, postings = library.corpus, library.searcher.postings
    n, strings, places = len(corpus), len(corpus.strings), len(corpus.places)
    within = {"docs": (postings.docs, 0, n), "article_of": (corpus.article_of, 0, len(corpus.art_ids)),
              "m_pos": (corpus.m_pos, 0, n), "place_pos": (corpus.place_pos, 0, n),
              "m_places": (corpus.m_places, 0, len(corpus.set_at) - 1), "set_places": (corpus.set_places, 0, places),
              "art_place": (corpus.art_place, -1, places), "m_first": (corpus.m_first, -1, places),
              "art_title": (corpus.art_title, 0, strings), "art_document": (corpus.art_document, 0, strings),
              "art_issue": (corpus.art_issue, 0, strings), "art_period": (corpus.art_period, 0, strings)}
    for name, (values, low, limit) in within.items():
        if len(values) and not (low <= int(values.min()) and int(values.max()) < limit):
            raise Damaged(f"{name} points outside its {limit} rows")
    offsets = {"text_at": corpus.text_at, "figures_at": corpus.figures_at, "art_start": corpus.art_start,
               "measure_at": corpus.measure_at, "place_at": corpus.place_at, "set_at": corpus.set_at,
               "indptr": postings.indptr}
    for name, at in offsets.items():
        if len(at) and (int(at[0]) != 0 or bool(np.any(np.diff(at) < 0))):
            raise Damaged(f"{name} is not ascending from 0")


def save(library: Library, db: Path, key: str) -> None:
    """Save a Library for the next start (best effort: where it cannot be written, the next start rebuilds)."""
    folder = folder_of(db, key)
    temporary = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    try:
        shutil.rmtree(temporary, ignore_errors=True)
        library.save(temporary)
        _write_manifest(temporary)
        with contextlib.suppress(Damaged):  # (out of range: not stamped, so the next start checks and rebuilds)
            _check_bounds(library)  # what was written is whole (the manifest) and in range: the next start trusts it
            _stamp(temporary)
        os.rename(temporary, folder)  # whole or not at all; if another process got there first, its copy stays
        _sync(folder.parent)  # the rename itself survives a power cut
    except OSError as e:
        shutil.rmtree(temporary, ignore_errors=True)
        if not folder.is_dir():
            log.warning("index snapshot not saved to %s: %s", folder, e)
        return
    _prune(folder)


def _write_manifest(folder: Path) -> None:
    """List every file's size and CRC-32 in the manifest, written last; everything reaches the disk before the rename
    publishes the folder (else a power cut could publish a folder of empty files)."""
    files = {}
    for name in _files(folder):
        path = folder / name
        _sync(path)
        files[name] = {"size": path.stat().st_size, "crc32": _crc(path)}
    with (folder / MANIFEST).open("w", encoding="utf-8") as f:
        json.dump({"format": FORMAT, "files": files}, f, ensure_ascii=False, indent=0)
        f.flush()
        os.fsync(f.fileno())
    for sub in {folder, *(p for p in folder.rglob("*") if p.is_dir())}:
        _sync(sub)


def _sync(path: Path) -> None:
    """Flush a file or a folder's entries to the disk (folders only where the system can open them: POSIX)."""
    if path.is_dir() and not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
