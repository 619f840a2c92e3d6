"""The bulletins' rows (storage room): adding issues and their derived articles, chunks and figures, listing, removing and reinstating them, re-deriving, and counting what is indexed."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiosqlite

from index.errors import DuplicateBulletin
from index.records import (
    NewArticle,
    NewBulletin,
    Reparsed,
    Stats,
    Stored,
    StoredIssue,
    StoredSource,
)
from index.storage.door import Door, _changed, _now

# the columns Derived.fields() sets, in its order
_SET_DERIVED = ("UPDATE bulletins SET issue_name = ?, issue_number = ?, issue_date = ?, distribution = ?,"
                " derived_with = ?, issue_key = ?, issue_period = ?")


class BulletinRows(Door):
    """The bulletins and what was derived from them."""

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
