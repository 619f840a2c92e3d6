"""Service: a long-running asker over the store — answers from the current snapshot, swaps in a new one after writes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bot.answering.answer import Answer
from bot.answering.engine import Engine, prepare
from bot.ops import usage
from bot.ops.health import file_identity
from bot.ops.usage import AskedQuestion, FeedbackStats, QuestionStats, Vote
from index import (
    LIMITS,
    BulletinError,
    IngestResult,
    Library,
    Limits,
    ReindexResult,
    Reinstated,
    Removed,
    Segmenter,
    Stats,
    Store,
    ingest_bytes,
    open_library,
    reindex,
    remove_issue,
    restore_issue,
)

T = TypeVar("T")

log = logging.getLogger(__name__)

WATCH_SECONDS = 2.0  # how often the service checks whether another process (`bulletin ingest`) changed the index


class DatabaseGone(BulletinError):
    """The database file was deleted or replaced while the bot ran: a write would go to a file nobody will open."""


@dataclass(frozen=True, slots=True)
class Asked:
    """An answer with how long it took."""

    answer: Answer
    latency_ms: float


class Service:
    """The bot's state: one store, the engine it answers from, and a lock that makes writers take turns."""

    def __init__(self, store: Store, engine: Engine, generation: int = 0, limits: Limits = LIMITS) -> None:
        self.store = store
        self.identity = file_identity(store.path)  # the file the connections opened (None: not there to compare)
        self._gone = False  # said once in the log, then refused quietly
        self.engine = engine  # replaced whole after an ingest or reindex; a question in flight keeps the old one
        self.generation = generation  # the store's generation the engine was loaded from
        self.limits = limits
        self._writing = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None
        self._pending: list[AskedQuestion] = []
        self._flusher: asyncio.Task[None] | None = None
        self._salt = secrets.token_hex(16)

    @classmethod
    async def open(cls, db: Path, limits: Limits = LIMITS) -> Service:
        """Open the database and load the index (a bot never fills a database with the bundled sample)."""
        store = await Store.open(db)
        try:
            segmenter = await asyncio.to_thread(Segmenter)
            if notice := await prepare(store, segmenter):
                log.info("%s", notice)
            generation = await store.generation()
            service = cls(store, Engine(segmenter, await _build(store)), generation, limits)
            if service.engine.empty:
                log.warning("no bulletins are indexed in %s: an admin adds one by sending the bot a file", db)
            service._watcher = asyncio.create_task(service._watch())
        except BaseException:
            await store.close()
            raise
        return service

    async def close(self) -> None:
        """Write the questions still pending and close the store."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        async with self._writing:  # an ingest or reindex in flight finishes first (or rolls back if cancelled)
            await self.flush()
            await self.store.close()

    def ask(self, text: str, user_id: int) -> Asked:
        """Answer a question from the current snapshot and log it; raises EmptyQuestion."""
        started = time.perf_counter()
        result = self.engine.ask(text)
        latency = (time.perf_counter() - started) * 1000
        self._pending.append(AskedQuestion(
            asked_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), user_hash=self.user_hash(user_id),
            question=result.question.text, found=result.found, latency_ms=round(latency, 3),
            document=result.chunk.document if result.chunk else None))
        # the log is written after the reply, in batches: a question never waits for the database
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._drain())
        return Asked(result, latency)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            with contextlib.suppress(DatabaseGone):  # logged by check_file: the answers go on from the loaded index
                self.check_file()
            await self.catch_up()

    def check_file(self) -> None:
        """Raise DatabaseGone if the database path no longer leads to the file opened (deleted, or another put there).

        The connections keep the old file open and would go on writing to it: an upload would be acknowledged, then
        lost with that file at the next stop, when the bot opens whatever the path leads to then.
        """
        now = file_identity(self.store.path)
        if self.identity is None or now == self.identity:
            return
        if not self._gone:
            self._gone = True
            log.error("the database file %s was %s while the bot ran: uploads, /reindex and /remove are refused; "
                      "answers come from the index loaded before (restore the database, then restart the bot)",
                      self.store.path, "deleted" if now is None else "replaced by another file")
        raise DatabaseGone(f"the database file {self.store.path} was deleted or replaced while the bot ran; "
                           "nothing was stored (restore it, then restart the bot)")

    async def catch_up(self) -> bool:
        """Load the index afresh if another process (`bulletin ingest`) changed it; return whether it did."""
        try:
            async with self._writing:
                if await self.store.generation() == self.generation:
                    return False
                await self._reload()
        except BulletinError as e:  # the answers go on from the index already loaded
            log.warning("could not check for a changed index: %s", e)
            return False
        log.info("the index changed in another process: loaded generation %d", self.generation)
        return True

    def user_hash(self, user_id: int) -> str:
        """A user's id, hashed with this run's salt: enough to count people, useless to identify them."""
        return hashlib.sha256(f"{self._salt}:{user_id}".encode()).hexdigest()[:12]

    async def flush(self) -> None:
        """Write every pending question to the database."""
        if self._flusher is not None:
            await self._flusher
        await self._drain()

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await usage.record_questions(self.store, batch)
            except BulletinError as e:  # a full disk must not stop the answering
                log.warning("could not log %d questions: %s", len(batch), e)
            except Exception:  # nor may anything else: the log is a side line, the answers are the product
                log.exception("could not log %d questions", len(batch))

    async def vote(self, key: str, answer: Answer, user_id: int, up: bool) -> None:
        """Store a 👍 or 👎 on the answer behind key at once (votes are rare); a failed write is logged, not raised."""
        chunk = answer.chunk
        vote = Vote(voted_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), answer_key=key,
                    user_hash=self.user_hash(user_id), up=up, question=answer.question.text, answer=answer.headline,
                    document=chunk.document if chunk else None, chunk_id=chunk.id if chunk and chunk.id else None)
        try:
            await usage.record_vote(self.store, vote)
        except BulletinError as e:  # the person was thanked already: a full disk costs one vote, not the bot
            log.warning("could not store a vote: %s", e)
        except Exception:  # a side line, as the question log is
            log.exception("could not store a vote")

    async def ingest(self, data: bytes, document: str) -> IngestResult:
        """Ingest one document; when it is added, answer from the new snapshot from then on."""
        async with self._writing:
            self.check_file()
            result = await ingest_bytes(self.store, self.engine.segmenter, data, document, self.limits)
            self.check_file()  # a parse takes seconds: the file may have gone meanwhile, and the issue with it
            if result.stored:
                await self._reload()
        return result

    async def reindex(self, progress: Callable[[int, int], None] | None = None) -> ReindexResult:
        """Re-derive the whole index from the stored bulletins, then swap it in (progress: as index.reindex's)."""
        started = time.perf_counter()
        result = await self._changing(lambda: reindex(self.store, self.engine.segmenter, progress=progress))
        return dataclasses.replace(result, seconds=time.perf_counter() - started)  # what the admin waited, in all

    async def remove(self, name: str) -> Removed:
        """Take the named issue out of the index (kept in the database), then answer without it."""
        return await self._changing(lambda: remove_issue(self.store, name))

    async def restore(self, name: str) -> Reinstated:
        """Put a removed (or replaced) issue back into the index, then answer with it."""
        return await self._changing(lambda: restore_issue(self.store, name))

    async def _changing(self, change: Callable[[], Awaitable[T]]) -> T:
        """Make a change to the index as the writer in turn, on the file opened, then answer from the new index."""
        async with self._writing:
            self.check_file()  # (before the change is even begun: a refused one leaves nothing half-started)
            done = await change()
            self.check_file()
            await self._reload()
        return done

    async def stats(self) -> Stats:
        """What the index holds (the last committed state: a reindex in progress is not seen half-done)."""
        return await self.store.stats()

    async def usage(self, *, top: int = 5, days: int = 0) -> tuple[Stats, QuestionStats, FeedbackStats]:
        """What the index holds, how the asking went (questions not yet written included; with days, each of the
        last so many days), and the 👍/👎."""
        await self.flush()
        return (await self.store.stats(), await usage.question_stats(self.store, top=top, days=days),
                await usage.feedback_stats(self.store, top=top))

    async def _reload(self) -> None:
        # the generation is read first: a change committed meanwhile is loaded now and seen again next time
        generation = await self.store.generation()
        self.engine = Engine(self.engine.segmenter, await _build(self.store))
        self.generation = generation


async def _build(store: Store) -> Library:
    # loading (or building) the index is off the event loop, so questions keep flowing
    return (await open_library(store))[1]
