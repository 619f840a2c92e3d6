"""The database's door (storage room): the connection, numbered migrations, one write door that takes turns with other processes, consistent reads, the generation, restoring a backup."""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import fcntl
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiosqlite

from index.errors import StoreError
from index.storage.dbfile import check_file, copy_into
from index.storage.schema import MIGRATIONS

# Bumps the generation in the transaction that changes the index: readers compare it to see a change.
_NEXT_GENERATION = ("INSERT INTO settings VALUES ('generation', '1')"
                    " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
_INDEX_CHANGED = "INSERT OR REPLACE INTO settings VALUES ('index_built_at', ?)"
# what a write into a folder one may not write in fails with (permission, a read-only mount)
_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)


class Door:
    """An open bulletin database's connections and its one write door; Store adds what is stored."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self._db = db  # the writer: every write goes through _write
        self._read = db  # the reader: its own connection once set up, so it only ever sees committed data
        self.path = path
        # one writer connection serves every coroutine: a second writer must wait for the open transaction,
        # or its statements would land inside it
        self._lock = asyncio.Lock()
        self._reading = asyncio.Lock()
        self._writer_file: int | None = None  # <db>.lock: flock()ed around each write, so processes take turns
        self.on_wait: Callable[[], None] | None = None  # told when a write must wait for another process's

    @classmethod
    async def open(cls, path: Path, *, create: bool = True, on_wait: Callable[[], None] | None = None) -> Self:
        """Open the database at path (creating it unless create is False) and bring its schema up to date.

        on_wait is called when a write has to wait for another process's (an ingest or a reindex).
        """
        check_file(path, create=create)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(path, timeout=10, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"cannot open database {path}: {e}") from None
        store = cls(db, path)
        store.on_wait = on_wait
        try:
            store._writer_file = _open_lock(path)
            await store._setup()
            # WAL gives this connection the last committed state while the writer is mid-transaction
            store._read = await aiosqlite.connect(path, timeout=10, isolation_level=None)
            await store._read.execute("PRAGMA query_only=ON")
        except sqlite3.DatabaseError as e:
            await store.close()
            raise StoreError(f"{path} is not a usable bulletin database ({e})") from None
        except StoreError:
            await store.close()
            raise
        return store

    async def _setup(self) -> None:
        async with self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cur:
            tables = {row[0] async for row in cur}
        if tables and "_migrations" not in tables:
            # another program's database: refuse before changing anything in it (not even its journal mode)
            raise StoreError(f"{self.path} is an SQLite database of another program, not a bulletin database")
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.execute("PRAGMA foreign_keys=ON")
        await self._db.execute("PRAGMA busy_timeout=10000")
        if await self._version() == len(MIGRATIONS):
            return  # the common case takes no lock: opening to ask never waits for an ingest in progress
        async with self._writing():  # two programs upgrading one database at once: one does it, the other sees it
            await self._db.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            current = await self._version()
            if current > len(MIGRATIONS):
                raise StoreError(f"{self.path} was made by a newer version of this program (schema {current})")
            for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
                await self._db.executescript(f"BEGIN IMMEDIATE;\n{script}\n"
                                             f"INSERT INTO _migrations VALUES ({version}, '{_now()}');\nCOMMIT;")

    async def _version(self) -> int:
        """The schema version the database is at (0 for a new file)."""
        try:
            async with self._db.execute("SELECT coalesce(max(version), 0) FROM _migrations") as cur:
                row = await cur.fetchone()
        except sqlite3.OperationalError as e:
            if "no such table" not in str(e):
                raise
            return 0
        return int(row[0]) if row else 0

    async def close(self) -> None:
        """Close the connections."""
        if self._read is not self._db:
            await self._read.close()
        await self._db.close()
        if self._writer_file is not None:
            os.close(self._writer_file)
            self._writer_file = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def _write(self, work: Callable[[aiosqlite.Connection], Awaitable[Any]]) -> Any:
        """Run work in one IMMEDIATE transaction: the single door every write goes through."""
        async with self._writing():
            with self._translated():
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    result = await work(self._db)
                    await self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        await self._db.execute("ROLLBACK")
                    raise
        return result

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        """Be the only writer: first in this process, then among processes (the lock file).

        SQLite's own busy timeout would fail a second ingest after a few seconds; the lock file makes it wait
        its turn however long the first one writes. The kernel releases it when a process dies, even by kill -9.
        """
        async with self._lock:
            fd = self._writer_file
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if self.on_wait is not None:
                        self.on_wait()
                    await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)  # waiting off the event loop
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Turn SQLite's errors into one-line StoreErrors (a busy database, a full disk …)."""
        try:
            yield
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):
                raise StoreError(f"{self.path} is busy (another ingest is writing); try again") from None
            raise StoreError(f"database error in {self.path}: {e}") from None
        except sqlite3.DatabaseError as e:
            raise StoreError(f"database error in {self.path}: {e}") from None

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """A consistent read: one read transaction on the reader connection, one reader at a time."""
        async with self._reading:
            with self._translated():
                await self._read.execute("BEGIN")
                try:
                    yield self._read
                finally:
                    await self._read.execute("COMMIT")

    async def generation(self) -> int:
        """The index's generation: it changes with every committed change to what is searched."""
        async with self._snapshot() as db, db.execute(
                "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'generation'") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def restore(self, backup_file: Path) -> None:
        """Replace the whole database with a backup's content in one transaction, as the writer in turn.

        The generation moves past both the backup's and the current one, so a running bot loads the restored index.
        """
        if not await asyncio.to_thread(backup_file.exists):
            raise StoreError(f"cannot restore {backup_file}: the backup file is missing")
        staged = self.path.with_name(f".{self.path.name}.restore-{os.getpid()}")
        try:
            await asyncio.to_thread(shutil.copyfile, backup_file, staged)  # the backup file itself stays untouched
            async with self._writing():
                current = await self.generation()
                async with await Door.open(staged) as copy:  # brought up to this version's schema (its door is enough)
                    await copy._write(lambda db: _move_generation_past(db, current))
                with self._translated():
                    await asyncio.to_thread(copy_into, staged, self.path)
        except OSError as e:
            if e.errno in _READ_ONLY and e.filename is not None and os.fspath(e.filename) == os.fspath(staged):
                # the copy is staged beside the database: its folder must take a new file
                raise StoreError(f"cannot restore into {self.path}: its folder {self.path.parent} is read-only "
                                 f"({e.strerror})") from None
            raise StoreError(f"cannot restore {backup_file}: {e.strerror or e}") from None
        finally:
            for leftover in (staged, *(Path(f"{staged}{end}") for end in (".lock", "-wal", "-shm"))):
                leftover.unlink(missing_ok=True)

    async def write_rows(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        """Run one statement for each row in one transaction: the write door for records kept beside the corpus (the
        usage log), whose statements are their owners'."""

        async def work(db: aiosqlite.Connection) -> None:
            await db.executemany(sql, rows)

        await self._write(work)

    async def read_rows(self, *queries: tuple[str, Sequence[object]]) -> list[list[tuple[Any, ...]]]:
        """Run queries in one consistent read; return each one's rows (the read door for the usage log)."""
        async with self._snapshot() as db:
            return [[tuple(row) for row in await db.execute_fetchall(sql, params)] for sql, params in queries]


async def _changed(db: aiosqlite.Connection) -> None:
    """Record, in the transaction that changed the index, that it changed and when."""
    await db.execute(_NEXT_GENERATION)
    await db.execute(_INDEX_CHANGED, (_now(),))

async def _move_generation_past(db: aiosqlite.Connection, generation: int) -> None:
    await db.execute("UPDATE settings SET value = CAST(max(CAST(value AS INTEGER), ?) + 1 AS TEXT)"
                     " WHERE key = 'generation'", (generation,))
    await db.execute(_INDEX_CHANGED, (_now(),))  # a new snapshot key, even where a generation number repeats

def _open_lock(path: Path) -> int | None:
    """Open the writers' lock file beside the database; None where it cannot be made (a read-only folder)."""
    try:
        return os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return None  # then writes wait on SQLite's busy timeout alone (and in a read-only folder fail anyway)

def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
