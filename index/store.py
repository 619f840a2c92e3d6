"""Store: the only module that speaks SQL (aiosqlite); numbered migrations and one write door."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from index.errors import DuplicateBulletin, StoreError
from index.models import Chunk, Figure
from index.records import AskedQuestion, NewArticle, QuestionStats, Reparsed, Stats, StoredChunk, StoredSource
from index.schema import MIGRATIONS


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

    @classmethod
    async def open(cls, path: Path, *, create: bool = True) -> Store:
        """Open the database at path (creating it unless create is False) and bring its schema up to date."""
        _check_file(path, create=create)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(path, timeout=10, isolation_level=None)
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"cannot open database {path}: {e}") from None
        store = cls(db, path)
        try:
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
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        async with self._db.execute("SELECT coalesce(max(version), 0) FROM _migrations") as cur:
            row = await cur.fetchone()
        current = row[0] if row else 0
        if current > len(MIGRATIONS):
            raise StoreError(f"{self.path} was made by a newer version of this program (schema {current})")
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            await self._db.executescript(f"BEGIN IMMEDIATE;\n{script}\n"
                                         f"INSERT INTO _migrations VALUES ({version}, '{_now()}');\nCOMMIT;")

    async def close(self) -> None:
        """Close the connections."""
        if self._read is not self._db:
            await self._read.close()
        await self._db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def _write(self, work: Callable[[aiosqlite.Connection], Awaitable[Any]]) -> Any:
        """Run work in one IMMEDIATE transaction: the single door every write goes through."""
        async with self._lock:
            with self._translated():
                await self._db.execute("BEGIN IMMEDIATE")  # waits busy_timeout for another process's writer
                try:
                    result = await work(self._db)
                    await self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        await self._db.execute("ROLLBACK")
                    raise
        return result

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

    async def find_sha(self, sha256: str) -> str | None:
        """Return the document name already stored with this content hash, or None."""
        async with self._snapshot() as db, db.execute("SELECT document FROM bulletins WHERE sha256 = ?",
                                                      (sha256,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def add_bulletin(self, *, document: str, sha256: str, raw_text: str, issue_name: str | None,
                           issue_number: str | None, issue_date: dt.date | None, distribution: str,
                           articles: tuple[NewArticle, ...], rules: int) -> int:
        """Store one bulletin with its articles, chunks and figures in one transaction; return its id."""

        async def work(db: aiosqlite.Connection) -> int:
            # checked inside the transaction, so two ingests of one file cannot both add it
            async with db.execute("SELECT document FROM bulletins WHERE sha256 = ?", (sha256,)) as found:
                if (row := await found.fetchone()) is not None:
                    raise DuplicateBulletin(f"same content as {row[0]}, already stored")
            cur = await db.execute(
                "INSERT INTO bulletins (document, sha256, issue_name, issue_number, issue_date, distribution,"
                " raw_text, ingested_at, derived_with) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (document, sha256, issue_name, issue_number, issue_date.isoformat() if issue_date else None,
                 distribution, raw_text, _now(), rules))
            bulletin_id = cur.lastrowid or 0
            await _insert_articles(db, bulletin_id, articles)
            await db.execute("INSERT OR REPLACE INTO settings VALUES ('index_built_at', ?)", (_now(),))
            return bulletin_id

        result: int = await self._write(work)
        return result

    async def load_sources(self) -> list[StoredSource]:
        """Load every stored bulletin's original text, oldest first."""
        async with self._snapshot() as db, db.execute("SELECT id, document, raw_text FROM bulletins ORDER BY id") as cur:
            return [StoredSource(r[0], r[1], r[2]) async for r in cur]

    async def stale(self, rules: int) -> int:
        """Count the bulletins whose index was derived by older rules than these."""
        async with self._snapshot() as db, db.execute(
                "SELECT count(*) FROM bulletins WHERE derived_with < ?", (rules,)) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def replace_derived(self, reparsed: Sequence[Reparsed], rules: int, *, kept: Sequence[int] = ()) -> None:
        """Swap in freshly derived issue fields, articles, chunks and figures, all in one transaction."""

        async def work(db: aiosqlite.Connection) -> None:
            for item in reparsed:
                await db.execute("DELETE FROM articles WHERE bulletin_id = ?", (item.id,))  # cascades
                await db.execute(
                    "UPDATE bulletins SET issue_name = ?, issue_number = ?, issue_date = ?, distribution = ?,"
                    " derived_with = ? WHERE id = ?",
                    (item.issue_name, item.issue_number, item.issue_date.isoformat() if item.issue_date else None,
                     item.distribution, rules, item.id))
                await _insert_articles(db, item.id, item.articles)
            await db.executemany("UPDATE bulletins SET derived_with = ? WHERE id = ?", [(rules, i) for i in kept])
            await db.execute("INSERT OR REPLACE INTO settings VALUES ('index_built_at', ?)", (_now(),))

        await self._write(work)

    async def record_questions(self, asked: Sequence[AskedQuestion]) -> None:
        """Log answered questions, many in one transaction."""

        async def work(db: aiosqlite.Connection) -> None:
            await db.executemany(
                "INSERT INTO questions (asked_at, user_hash, question, found, latency_ms, document)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(q.asked_at, q.user_hash, q.question, int(q.found), q.latency_ms, q.document) for q in asked])

        await self._write(work)

    async def question_stats(self, *, top: int = 5) -> QuestionStats:
        """Count questions asked, answered and not found, and list the most-asked unanswered ones."""
        async with self._snapshot() as db:
            async with db.execute("SELECT count(*), coalesce(sum(found), 0) FROM questions") as cur:
                row = await cur.fetchone()
            asked, answered = (row[0], row[1]) if row else (0, 0)
            async with db.execute(
                    "SELECT question, count(*) AS n FROM questions WHERE NOT found"
                    " GROUP BY question ORDER BY n DESC, max(id) DESC LIMIT ?", (top,)) as cur:
                missing = tuple([(str(r[0]), int(r[1])) async for r in cur])
        return QuestionStats(asked=asked, answered=answered, not_found=asked - answered, top_not_found=missing)

    async def load_chunks(self) -> list[StoredChunk]:
        """Load every chunk with its terms, its article and bulletin, and its figures."""
        async with self._snapshot() as db:
            return await self._load_chunks(db)

    @staticmethod
    async def _load_chunks(db: aiosqlite.Connection) -> list[StoredChunk]:
        figures: dict[int, list[Figure]] = {}
        async with db.execute(
                'SELECT chunk_id, text, value, value_max, unit, kind, start, "end", sentence, qualifier, approx,'
                " words_before, words_after, places, period, measure FROM figures ORDER BY id") as cur:
            async for r in cur:
                figures.setdefault(r[0], []).append(Figure(
                    text=r[1], value=r[2], value_max=r[3], unit=r[4], kind=r[5], start=r[6], end=r[7],
                    sentence=r[8], qualifier=r[9], approx=r[10], before=r[11], after=r[12],
                    places=tuple(p for p in r[13].split(",") if p), period=r[14], chunk_id=r[0],
                    measure=r[15]))
        out = []
        async with db.execute(
                "SELECT c.id, b.document, a.title, c.text, c.ordinal, a.id, a.place, b.issue_date, c.tokens"
                " FROM chunks c JOIN articles a ON a.id = c.article_id JOIN bulletins b ON b.id = a.bulletin_id"
                " ORDER BY b.id, a.ordinal, c.ordinal") as cur:
            async for r in cur:
                chunk = Chunk(id=r[0], document=r[1], title=r[2], text=r[3], ordinal=r[4], article_id=r[5],
                              place=r[6], issue_date=dt.date.fromisoformat(r[7]) if r[7] else None)
                out.append(StoredChunk(chunk, tuple(r[8].split()), tuple(figures.get(r[0], ()))))
        return out

    async def stats(self) -> Stats:
        """Return counts of issues, articles, chunks and figures, and the index's age."""
        async with self._snapshot() as db:
            return await self._stats(db)

    @staticmethod
    async def _stats(db: aiosqlite.Connection) -> Stats:
        counts = []
        for table in ("bulletins", "articles", "chunks", "figures"):
            async with db.execute(f"SELECT count(*) FROM {table}") as cur:  # table names are ours
                row = await cur.fetchone()
            counts.append(row[0] if row else 0)
        async with db.execute(
                "SELECT max(issue_date), (SELECT value FROM settings WHERE key = 'index_built_at')"
                " FROM bulletins") as cur:
            row = await cur.fetchone()
        newest, built = (row[0], row[1]) if row else (None, None)
        return Stats(issues=counts[0], articles=counts[1], chunks=counts[2], figures=counts[3],
                     newest_issue=newest, last_ingest=built)


async def _insert_articles(db: aiosqlite.Connection, bulletin_id: int, articles: Sequence[NewArticle]) -> None:
    for a_ord, article in enumerate(articles):
        cur = await db.execute("INSERT INTO articles (bulletin_id, ordinal, title, place) VALUES (?, ?, ?, ?)",
                               (bulletin_id, a_ord, article.title, article.place))
        article_id = cur.lastrowid
        for c_ord, chunk in enumerate(article.chunks):
            cur = await db.execute("INSERT INTO chunks (article_id, ordinal, text, tokens) VALUES (?, ?, ?, ?)",
                                   (article_id, c_ord, chunk.text, " ".join(chunk.terms)))
            chunk_id = cur.lastrowid
            await db.executemany(
                'INSERT INTO figures (chunk_id, text, value, value_max, unit, kind, start, "end",'
                " sentence, qualifier, approx, words_before, words_after, places, period, measure)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(chunk_id, f.text, f.value, f.value_max, f.unit, f.kind, f.start, f.end, f.sentence,
                  f.qualifier, f.approx, f.before, f.after, ",".join(f.places), f.period, f.measure)
                 for f in chunk.figures])


def _check_file(path: Path, *, create: bool) -> None:
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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
