"""Store: the only module that speaks SQL (aiosqlite); numbered migrations and one write door."""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import fcntl
import hashlib
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import aiosqlite

from index.corpus import StoredFigureRow
from index.dbfile import check_file, copy_into
from index.errors import DuplicateBulletin, StoreError
from index.records import (
    IndexRows,
    NewArticle,
    NewBulletin,
    Reparsed,
    Stats,
    Stored,
    StoredIssue,
    StoredSource,
)
from index.schema import MIGRATIONS

# Bumps the generation in the transaction that changes the index: readers compare it to see a change.
_NEXT_GENERATION = ("INSERT INTO settings VALUES ('generation', '1')"
                    " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")
_INDEX_CHANGED = "INSERT OR REPLACE INTO settings VALUES ('index_built_at', ?)"
# what a write into a folder one may not write in fails with (permission, a read-only mount)
_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)
# the columns Derived.fields() sets, in its order
_SET_DERIVED = ("UPDATE bulletins SET issue_name = ?, issue_number = ?, issue_date = ?, distribution = ?,"
                " derived_with = ?, issue_key = ?, issue_period = ?")


class Store:
    """An open bulletin database. Use ``async with await Store.open(path) as store``."""

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
    async def open(cls, path: Path, *, create: bool = True, on_wait: Callable[[], None] | None = None) -> Store:
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

    async def __aenter__(self) -> Store:
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

    async def find_sha(self, sha256: str) -> tuple[str, str] | None:
        """Return the document stored with this content hash and its state (indexed, replaced …), or None."""
        async with self._snapshot() as db, db.execute("SELECT document, state FROM bulletins WHERE sha256 = ?",
                                                      (sha256,)) as cur:
            row = await cur.fetchone()
        return (row[0], row[1]) if row else None

    async def add_bulletin(self, new: NewBulletin) -> Stored:
        """Store one bulletin with its articles, chunks and figures in one transaction.

        An indexed bulletin of the same issue (issue_key) is replaced: it stays stored, out of the index.
        The same content stored before but out of the index is restored, with its index derived afresh.
        """
        [stored] = await self.add_bulletins([new])
        if isinstance(stored, DuplicateBulletin):
            raise stored
        return stored

    async def add_bulletins(self, news: Sequence[NewBulletin]) -> list[Stored | DuplicateBulletin]:
        """Store bulletins in one transaction, each as add_bulletin would store it after those before it.

        A bulletin whose content is stored and indexed already (by an earlier one, or before) is not stored: its
        DuplicateBulletin takes its place in the list. If anything else fails, nothing is stored.
        """

        async def work(db: aiosqlite.Connection) -> list[Stored | DuplicateBulletin]:
            above = await _top_ids(db)  # before any old rows go: every new id is above every old one
            done: list[Stored | DuplicateBulletin] = []
            derived: list[tuple[int, Sequence[NewArticle]]] = []
            for new in news:
                try:
                    stored = await _add_bulletin(db, new)
                except DuplicateBulletin as e:  # found before anything of it was written
                    done.append(e)
                    continue
                done.append(stored)
                derived.append((stored.id, new.derived.articles))
            if derived:
                # the derived rows of all of them at once: three statements, however many bulletins
                await _insert_derived(db, derived, above)
                await _changed(db)
            return done

        result: list[Stored | DuplicateBulletin] = await self._write(work)
        return result

    async def issues(self) -> list[StoredIssue]:
        """List every stored bulletin, indexed or not, oldest issue first, with its counts."""
        async with self._snapshot() as db, db.execute(
                "SELECT b.id, b.document, b.state, b.issue_name, b.issue_number, b.issue_date, b.ingested_at,"
                " (SELECT document FROM bulletins r WHERE r.id = b.replaced_by),"
                " (SELECT count(*) FROM articles a WHERE a.bulletin_id = b.id),"
                " (SELECT count(*) FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.bulletin_id = b.id),"
                " (SELECT count(*) FROM figures f JOIN chunks c ON c.id = f.chunk_id"
                "   JOIN articles a ON a.id = c.article_id WHERE a.bulletin_id = b.id), b.issue_period"
                " FROM bulletins b ORDER BY b.issue_date IS NULL, b.issue_date, b.id") as cur:
            return [StoredIssue(id=r[0], document=r[1], state=r[2], issue_name=r[3], issue_number=r[4],
                                issue_date=r[5], ingested_at=r[6], replaced_by=r[7], articles=r[8], chunks=r[9],
                                figures=r[10], issue_period=r[11]) for r in await cur.fetchall()]

    async def remove(self, bulletin_id: int, *, purge: bool) -> int | None:
        """Take a bulletin out of the index (kept stored as 'removed'), or with purge delete it altogether.

        Purging the indexed version of an issue puts back the newest version it replaced, in the same transaction
        (the issue is never left with no version in the index unasked); returns that version's id, else None.
        """

        async def work(db: aiosqlite.Connection) -> int | None:
            if not purge:
                await db.execute("UPDATE bulletins SET state = 'removed', replaced_by = NULL WHERE id = ?",
                                 (bulletin_id,))
                await _changed(db)
                return None
            found = list(await db.execute_fetchall("SELECT state, replaced_by FROM bulletins WHERE id = ?",
                                                   (bulletin_id,)))
            if not found:  # purged meanwhile by another process: nothing left to do
                return None
            state, successor = found[0]
            replaced = [r[0] for r in await db.execute_fetchall(
                "SELECT id FROM bulletins WHERE replaced_by = ? AND state = 'replaced' ORDER BY id DESC",
                (bulletin_id,))]
            # the newest version it replaced comes back; the versions replaced by it stay replaced, now by that one
            # (a purged replaced version hands its own to what replaced it): none is left replaced by nothing
            restored = replaced[0] if state == "indexed" and replaced else None
            heir = restored if state == "indexed" else successor
            if restored is not None:
                await db.execute("UPDATE bulletins SET state = 'indexed', replaced_by = NULL WHERE id = ?",
                                 (restored,))
            await db.executemany("UPDATE bulletins SET replaced_by = ? WHERE id = ?",
                                 [(heir, i) for i in replaced if i != restored])
            await db.execute("DELETE FROM bulletins WHERE id = ?", (bulletin_id,))  # cascades
            await _changed(db)
            return restored

        restored: int | None = await self._write(work)
        return restored

    async def reinstate(self, bulletin_id: int) -> tuple[str, ...]:
        """Put a removed or replaced bulletin back into the index; the indexed version of the same issue, if any, is
        marked replaced by it. Returns the documents it replaced."""

        async def work(db: aiosqlite.Connection) -> tuple[str, ...]:
            [key] = await db.execute_fetchall("SELECT issue_key FROM bulletins WHERE id = ?", (bulletin_id,))
            older = [(r[0], r[1]) for r in await db.execute_fetchall(
                "SELECT id, document FROM bulletins WHERE issue_key = ? AND state = 'indexed' AND id != ?",
                (key[0], bulletin_id))]
            await db.execute("UPDATE bulletins SET state = 'indexed', replaced_by = NULL WHERE id = ?", (bulletin_id,))
            await db.executemany("UPDATE bulletins SET state = 'replaced', replaced_by = ? WHERE id = ?",
                                 [(bulletin_id, old_id) for old_id, _ in older])
            await _changed(db)
            return tuple(document for _, document in older)

        replaced: tuple[str, ...] = await self._write(work)
        return replaced

    async def generation(self) -> int:
        """The index's generation: it changes with every committed change to what is searched."""
        async with self._snapshot() as db, db.execute(
                "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'generation'") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def load_sources(self) -> list[StoredSource]:
        """Load every stored bulletin's original text, oldest first."""
        async with self._snapshot() as db, db.execute("SELECT id, document, raw_text FROM bulletins ORDER BY id") as cur:
            return [StoredSource(r[0], r[1], r[2]) for r in await cur.fetchall()]

    async def stale(self, rules: int) -> int:
        """Count the bulletins whose index was derived by older rules than these."""
        async with self._snapshot() as db, db.execute(
                "SELECT count(*) FROM bulletins WHERE derived_with < ?", (rules,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def replace_derived(self, reparsed: Sequence[Reparsed], rules: int, *, kept: Sequence[int] = ()) -> Stats:
        """Swap in freshly derived issue fields, articles, chunks and figures, all in one transaction.

        Returns what the index holds then, counted as `stats` counts it (in the same transaction).
        """

        async def work(db: aiosqlite.Connection) -> Stats:
            above = await _top_ids(db)  # before the old rows go: every new id is above every old one
            await db.executemany("DELETE FROM articles WHERE bulletin_id = ?", [(r.id,) for r in reparsed])  # cascades
            await db.executemany(_SET_DERIVED + " WHERE id = ?", [(*r.derived.fields(), r.id) for r in reparsed])
            await _insert_derived(db, [(r.id, r.derived.articles) for r in reparsed], above)
            await db.executemany("UPDATE bulletins SET derived_with = ? WHERE id = ?", [(rules, i) for i in kept])
            await _changed(db)
            return await self._stats(db)

        stats: Stats = await self._write(work)
        return stats

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
                async with await Store.open(staged) as copy:  # brought up to this version's schema
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

    async def ever_held_an_issue(self) -> bool:
        """Tell whether an issue was ever stored: one is now (indexed or not), or the index ever changed.

        A purged issue leaves no row, but every change to the index (an ingest, a remove, a reindex, a restore)
        records when it happened, and nothing clears that record. Two lookups, whatever the corpus' size.
        """
        async with self._snapshot() as db, db.execute(
                "SELECT EXISTS (SELECT 1 FROM bulletins)"
                " OR EXISTS (SELECT 1 FROM settings WHERE key = 'index_built_at')") as cur:
            row = await cur.fetchone()
        return bool(row and row[0])

    async def index_key(self) -> str:
        """Name the index's state: its generation and when it last changed (a restored copy is told apart)."""
        async with self._snapshot() as db:
            return await self._index_key(db)

    @staticmethod
    async def _index_key(db: aiosqlite.Connection) -> str:
        async with db.execute("SELECT (SELECT value FROM settings WHERE key = 'generation'),"
                              " (SELECT value FROM settings WHERE key = 'index_built_at')") as cur:
            row = await cur.fetchone()
        generation, changed = (row[0], row[1]) if row else (None, None)
        stamp = hashlib.sha256(str(changed).encode()).hexdigest()[:8]
        return f"g{generation or 0}-{stamp}"

    async def index_batches(self, size: int) -> AsyncIterator[IndexRows]:
        """Yield what a Library is built from, size chunks at a time in corpus order, with their figures and tokens.

        Every batch comes from one read transaction, and carries the key of the index state it belongs to.
        """
        async with self._snapshot() as db:
            key = await self._index_key(db)
            async with db.execute(_INDEXED_CHUNKS + " ORDER BY b.id, a.ordinal, c.ordinal") as chunks:
                while rows := await chunks.fetchmany(size):
                    yield await _with_figures(db, key, list(rows))

    async def index_rows_after(self, bulletin_id: int, bulletins: int) -> IndexRows | None:
        """Return the rows of the next indexed bulletins after that id, at most so many whole bulletins, in corpus
        order, from a read transaction of their own; None when no indexed bulletin comes after it."""
        async with self._snapshot() as db:
            async with db.execute("SELECT max(id) FROM (SELECT id FROM bulletins INDEXED BY bulletins_state"
                                  " WHERE state = 'indexed' AND id > ? ORDER BY id LIMIT ?)",
                                  (bulletin_id, bulletins)) as cur:
                upto = (await cur.fetchone() or (None,))[0]
            if upto is None:
                return None
            async with db.execute(_INDEXED_CHUNKS + " AND b.id > ? AND b.id <= ? ORDER BY b.id, a.ordinal, c.ordinal",
                                  (bulletin_id, upto)) as cur:
                rows = list(await cur.fetchall())
            key = await self._index_key(db)
            return await _with_figures(db, key, rows, upto) if rows else IndexRows(key, [], [], [], upto, [])

    async def indexed_fingerprint(self) -> tuple[str, tuple[int, ...]]:
        """Return the index's key and what tells its indexed rows apart: how many bulletins hold chunks, the sum and
        largest of their ids, how many chunks and the largest chunk id (a reindex gives every chunk a new, larger id)."""
        async with self._snapshot() as db:
            key = await self._index_key(db)
            async with db.execute(
                    "SELECT count(DISTINCT b.id), coalesce(sum(DISTINCT b.id), 0), coalesce(max(b.id), 0), count(*),"
                    " coalesce(max(c.id), 0) FROM chunks c JOIN articles a ON a.id = c.article_id"
                    " JOIN bulletins b ON b.id = a.bulletin_id WHERE b.state = 'indexed'") as cur:
                row = await cur.fetchone() or (0, 0, 0, 0, 0)
        return key, tuple(map(int, row))

    async def stats(self) -> Stats:
        """Return counts of issues, articles, chunks and figures, and the index's age."""
        async with self._snapshot() as db:
            return await self._stats(db)

    @staticmethod
    async def _stats(db: aiosqlite.Connection) -> Stats:
        # what is searched: the indexed bulletins (replaced and removed ones stay stored, counted apart)
        async with db.execute(
                "SELECT count(DISTINCT b.id), count(DISTINCT a.id), count(c.id),"
                " coalesce(sum((SELECT count(*) FROM figures f WHERE f.chunk_id = c.id)), 0)"
                " FROM bulletins b LEFT JOIN articles a ON a.bulletin_id = b.id"
                " LEFT JOIN chunks c ON c.article_id = a.id WHERE b.state = 'indexed'") as cur:
            counts = await cur.fetchone() or (0, 0, 0, 0)
        async with db.execute(
                "SELECT max(issue_date) FILTER (WHERE state = 'indexed'), count(*) FILTER (WHERE state != 'indexed'),"
                " (SELECT value FROM settings WHERE key = 'index_built_at') FROM bulletins") as cur:
            row = await cur.fetchone()
        newest, out, built = (row[0], row[1], row[2]) if row else (None, 0, None)
        return Stats(issues=counts[0], articles=counts[1], chunks=counts[2], figures=counts[3],
                     newest_issue=newest, last_ingest=built, out_of_index=out)


_INDEXED_CHUNKS = (
    "SELECT c.id, b.document, a.title, c.text, c.ordinal, a.id, a.place, b.issue_date,"
    " trim(coalesce(b.issue_name, '') || ' ' || coalesce(b.issue_number, '')), b.issue_period, c.tokens,"
    " b.id FROM chunks c JOIN articles a ON a.id = c.article_id JOIN bulletins b ON b.id = a.bulletin_id"
    " WHERE b.state = 'indexed'")


async def _with_figures(db: aiosqlite.Connection, key: str, rows: list[Any], upto: int = 0) -> IndexRows:
    """Return rows of _INDEXED_CHUNKS with their chunks' figures, as a Library is built from them."""
    ids = [r[0] for r in rows]
    # the chunk ids come from the query, not from outside: they are numbers, safe to inline
    async with db.execute(
            'SELECT chunk_id, text, value, value_max, unit, kind, start, "end", sentence_start,'
            " sentence_end, qualifier, approx, words_before, words_after, places, period, measure"
            # the planner scans every figure for a long IN list (a minute a batch at 1M chunks)
            " FROM figures INDEXED BY figures_chunk"
            f" WHERE chunk_id IN ({','.join(map(str, ids))}) ORDER BY chunk_id, id") as cur:
        figures = cast(list[StoredFigureRow], await cur.fetchall())  # plain tuples: no row factory
    return IndexRows(key, [r[:10] for r in rows], figures, [r[10] for r in rows], upto, [r[11] for r in rows])


async def _add_bulletin(db: aiosqlite.Connection, new: NewBulletin) -> Stored:
    """Write a bulletin's row (added, or restored), and mark the indexed one of the same issue replaced by it.

    Its articles, chunks and figures are the caller's to insert, with its id.
    """
    # checked inside the transaction, so two ingests of one file cannot both add it (execute_fetchall: one round
    # trip to SQLite's thread, where a cursor takes three)
    same = next(iter(await db.execute_fetchall("SELECT id, document, state FROM bulletins WHERE sha256 = ?",
                                               (new.sha256,))), None)
    if same is not None and same[2] == "indexed":
        raise DuplicateBulletin(f"same content as {same[1]}, already stored")
    derived = new.derived
    older = [(r[0], r[1]) for r in await db.execute_fetchall(
        "SELECT id, document FROM bulletins WHERE issue_key = ? AND state = 'indexed'", (derived.issue_key,))]
    if older and (twin := next(iter(await db.execute_fetchall(
            "SELECT document FROM bulletins WHERE issue_key = ? AND state = 'indexed' AND raw_text = ?",
            (derived.issue_key, new.raw_text))), None)) is not None:
        # the same text in other bytes (re-saved in GBK, or with a BOM): no new version of the issue
        raise DuplicateBulletin(f"same text as {twin[0]}, already stored")
    if same is not None:
        bulletin_id = same[0]
        await db.execute("DELETE FROM articles WHERE bulletin_id = ?", (bulletin_id,))  # cascades
        await db.execute(_SET_DERIVED + ", state = 'indexed', replaced_by = NULL WHERE id = ?",
                         (*derived.fields(), bulletin_id))
    else:
        cur = await db.execute(
            "INSERT INTO bulletins (issue_name, issue_number, issue_date, distribution, derived_with,"
            " issue_key, issue_period, document, sha256, raw_text, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*derived.fields(), new.document, new.sha256, new.raw_text, _now()))
        bulletin_id = cur.lastrowid or 0
    if older:
        await db.executemany("UPDATE bulletins SET state = 'replaced', replaced_by = ? WHERE id = ?",
                             [(bulletin_id, old_id) for old_id, _ in older])
    status = "restored" if same is not None else "updated" if older else "added"
    return Stored(bulletin_id, status, tuple(document for _, document in older))


async def _changed(db: aiosqlite.Connection) -> None:
    """Record, in the transaction that changed the index, that it changed and when."""
    await db.execute(_NEXT_GENERATION)
    await db.execute(_INDEX_CHANGED, (_now(),))


async def _move_generation_past(db: aiosqlite.Connection, generation: int) -> None:
    await db.execute("UPDATE settings SET value = CAST(max(CAST(value AS INTEGER), ?) + 1 AS TEXT)"
                     " WHERE key = 'generation'", (generation,))
    await db.execute(_INDEX_CHANGED, (_now(),))  # a new snapshot key, even where a generation number repeats


async def _top_ids(db: aiosqlite.Connection) -> tuple[int, int]:
    """The highest article and chunk ids now: taken before a transaction deletes, new rows go above them."""
    async with db.execute("SELECT (SELECT coalesce(max(id), 0) FROM articles),"
                          " (SELECT coalesce(max(id), 0) FROM chunks)") as cur:
        row = await cur.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def _insert_derived(db: aiosqlite.Connection, derived: Sequence[tuple[int, Sequence[NewArticle]]],
                          above: tuple[int, int]) -> None:
    """Insert bulletins' articles, chunks and figures with three statements, however many rows.

    One await per table, not one per row: each await lets the event loop answer a question, and a reindex of
    10,000 chunks would otherwise wait for some 25,000 of them while a bot is busy. The ids are given here,
    above the article and chunk ids in `above`, so a new row never takes the id of one it replaces.
    """
    # laying out tens of thousands of rows is CPU work: off the event loop, so questions are not held up
    articles, chunks, figures = await asyncio.to_thread(_rows, derived, above)
    await db.executemany("INSERT INTO articles (id, bulletin_id, ordinal, title, place) VALUES (?, ?, ?, ?, ?)",
                         articles)
    await db.executemany("INSERT INTO chunks (id, article_id, ordinal, text, tokens) VALUES (?, ?, ?, ?, ?)", chunks)
    await db.executemany(
        'INSERT INTO figures (chunk_id, text, value, value_max, unit, kind, start, "end", sentence_start,'
        " sentence_end, qualifier, approx, words_before, words_after, places, period, measure)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", figures)


Rows = list[tuple[object, ...]]


def _rows(derived: Sequence[tuple[int, Sequence[NewArticle]]], above: tuple[int, int]) -> tuple[Rows, Rows, Rows]:
    """The article, chunk and figure rows of bulletins' derived articles, numbered from above."""
    article_id, chunk_id = above
    articles: Rows = []
    chunks: Rows = []
    figures: Rows = []
    for bulletin_id, items in derived:
        for a_ord, article in enumerate(items):
            article_id += 1
            articles.append((article_id, bulletin_id, a_ord, article.title, article.place))
            for c_ord, chunk in enumerate(article.chunks):
                chunk_id += 1
                chunks.append((chunk_id, article_id, c_ord, chunk.text, chunk.tokens))
                # the sentence is stored as where it stands in the chunk's text (f[15:17]), not as a copy (f[7])
                figures.extend((chunk_id, *f[:7], f[15], f[16], *f[8:12], ",".join(f[12]), f[13], f[14])
                               for f in chunk.figures)
    return articles, chunks, figures


def _open_lock(path: Path) -> int | None:
    """Open the writers' lock file beside the database; None where it cannot be made (a read-only folder)."""
    try:
        return os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return None  # then writes wait on SQLite's busy timeout alone (and in a read-only folder fail anyway)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
