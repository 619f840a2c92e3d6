"""Database files as wholes: a read-only probe, and online copies both ways through SQLite's backup API.

The store's connections serve questions and writes; these open their own, so a probe never creates or migrates a
database and a copy never stops the bot. The backup API copies a consistent state even while another process writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import StoreError
from index.storage.schema import MIGRATIONS


@dataclass(frozen=True, slots=True)
class Probe:
    """What a read-only look at a bulletin database found."""

    schema: int
    issues: int  # in the index
    chunks: int  # of the issues in the index
    generation: int


@dataclass(frozen=True, slots=True)
class Copied:
    """A finished backup or restore: where from and to, what it holds, how big and how long it took."""

    source: Path
    target: Path
    probe: Probe
    size: int
    seconds: float

    def line(self, verb: str) -> str:
        """One summary line, e.g. `backed up A to B: 5 issues, 1.2 MB, integrity ok, in 0.05 s`."""
        return (f"{verb} {self.source} to {self.target}: {self.probe.issues} issues, {self.probe.chunks} chunks, "
                f"{self.size / 1e6:.1f} MB, integrity ok, in {self.seconds:.2f} s")


def check_file(path: Path, *, create: bool) -> None:
    """Refuse a path that cannot be a database before SQLite touches it."""
    if not create and not path.exists():
        raise StoreError(f"no database at {path}; ingest some bulletins first")
    try:
        if path.exists() and not path.is_file():
            raise StoreError(f"{path} is not a file")
        if path.is_file() and path.stat().st_size:
            with path.open("rb") as f:
                if f.read(16) != b"SQLite format 3\x00":
                    raise StoreError(f"{path} is not an SQLite database")
    except OSError as e:
        raise StoreError(f"cannot read {path}: {e.strerror or e}") from None


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """Open a database read-only (never created, never migrated); a missing or foreign file is a StoreError."""
    check_file(path, create=False)
    if path.stat().st_size == 0:  # what sqlite3 leaves of a path it was pointed at before anything was written
        raise StoreError(f"{path} is empty: no bulletins ingested yet")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as e:
        raise StoreError(f"cannot open {path} read-only: {e}") from None
    try:
        yield db
    except sqlite3.DatabaseError as e:
        raise StoreError(f"cannot read {path}: {e}") from None
    finally:
        db.close()


def probe(db: sqlite3.Connection, path: Path) -> Probe:
    """Check that a connection holds a bulletin database this program can use; say what it holds."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "_migrations" not in tables:
        raise StoreError(f"{path} is not a bulletin database")
    schema = db.execute("SELECT coalesce(max(version), 0) FROM _migrations").fetchone()[0]
    if schema > len(MIGRATIONS):
        raise StoreError(f"{path} was made by a newer version of this program (schema {schema})")
    if schema < 4:  # before the issue states and the generation (migration 4): too old to read here
        raise StoreError(f"{path} has an old schema ({schema}); open it once with this version (`bulletin stats`)")
    issues = db.execute("SELECT count(*) FROM bulletins WHERE state = 'indexed'").fetchone()[0]
    # the indexed issues' chunks, as `bulletin stats` counts them: replaced and removed versions keep theirs stored
    chunks = db.execute("SELECT count(*) FROM bulletins b JOIN articles a ON a.bulletin_id = b.id"
                        " JOIN chunks c ON c.article_id = a.id WHERE b.state = 'indexed'").fetchone()[0]
    generation = db.execute("SELECT value FROM settings WHERE key = 'generation'").fetchone()
    return Probe(schema, issues, chunks, int(generation[0]) if generation else 0)


def check_copy(path: Path) -> Probe:
    """Check a whole database file: SQLite's integrity check, then what it holds."""
    with read_only(path) as db:
        problems = [row[0] for row in db.execute("PRAGMA integrity_check(5)")]
        if problems != ["ok"]:
            raise StoreError(f"{path} is damaged: {'; '.join(problems)}")
        return probe(db, path)


def backup(db_path: Path, target: Path, *, force: bool = False) -> Copied:
    """Copy the live database to target (a file, or a folder to put a dated file in), consistent and checked."""
    started = time.perf_counter()
    if target.is_dir():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = target / f"{db_path.stem}-{stamp}.db"
    if target.exists() and not force:
        raise StoreError(f"{target} exists; choose another name or add --force to overwrite it")
    if target.resolve() == db_path.resolve():
        raise StoreError("the backup cannot be the database itself")
    if not target.parent.is_dir():
        raise StoreError(f"no folder {target.parent} to write the backup in")
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        with read_only(db_path) as source:
            probe(source, db_path)  # a foreign or newer file is refused before anything is written
            _copy(source, partial)
        probed = check_copy(partial)
        os.replace(partial, target)  # a reader of target finds the old file or the whole new one
    except OSError as e:
        raise StoreError(f"cannot write the backup {target}: {e.strerror or e}") from None
    finally:
        partial.unlink(missing_ok=True)
    return Copied(db_path, target, probed, target.stat().st_size, time.perf_counter() - started)


def _copy(source: sqlite3.Connection, path: Path) -> None:
    """Copy a database into a new single file (rollback journal, so the copy needs no -wal beside it)."""
    path.unlink(missing_ok=True)
    copy = sqlite3.connect(path)
    try:
        # in one step: the copy is of one read transaction, however much the bot writes meanwhile
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as e:
        raise StoreError(f"cannot copy the database: {e}") from None
    finally:
        copy.close()


def copy_into(staged: Path, live: Path) -> None:
    """Overwrite the live database's content with a staged copy's, in one transaction through the backup API.

    The caller holds the writers' lock. Other connections (the running bot) keep reading the old content until the
    copy commits, then read the new: the file is written in place, never renamed over, so WAL stays coherent.
    """
    source = sqlite3.connect(staged)
    target = sqlite3.connect(live, timeout=30)
    try:
        source.backup(target)
    except sqlite3.Error as e:
        raise StoreError(f"cannot restore into {live}: {e}") from None
    finally:
        target.close()
        source.close()
