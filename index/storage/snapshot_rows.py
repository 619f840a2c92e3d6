"""The rows the saved index is built from (storage room): every indexed chunk and figure in batches, the ones after a bulletin (for the index built alongside an ingest), and the key that names the index's state."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any, cast

import aiosqlite

from index.records import (
    IndexRows,
)
from index.search.corpus import StoredFigureRow
from index.storage.door import Door


class SnapshotRows(Door):
    """Reads for the saved index: what it is built from, and the key of the state it was built from."""

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
