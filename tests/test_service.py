"""Service: the bot's long-running state over a real SQLite file — snapshot swaps, a write lock, the question log."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

import bot.ops.service as service_module
import index.ingest as ingest_module
import index.storage.bulletins as store_module
from bot.answering.engine import NOTHING_INDEXED
from bot.ops.service import DatabaseGone, Service
from helpers import (
    FIGURE_ANSWERS,
    JIADING_FIGURE,
    JIADING_NAME,
    JIADING_QUESTION,
    JIADING_TEXT,
    NOT_FOUND,
    SAMPLE_NAME,
    counts,
    query,
)


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(sample_db, tmp_path / "bot.db"))


def test_questions_are_logged_with_outcome_latency_and_a_hashed_user(db: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    async def run() -> None:
        service = await Service.open(db)
        try:
            for question in [*FIGURE_ANSWERS, NOT_FOUND[0], NOT_FOUND[0], NOT_FOUND[1]]:
                service.ask(question, user_id=4242)
            _, asked, _ = await service.usage()
            assert (asked.asked, asked.answered, asked.not_found) == (len(FIGURE_ANSWERS) + 3, len(FIGURE_ANSWERS), 3)
            assert asked.top_not_found == ((NOT_FOUND[0], 2), (NOT_FOUND[1], 1))
        finally:
            await service.close()

    asyncio.run(run())
    rows = query(db, "SELECT user_hash, question, found, latency_ms, document FROM questions ORDER BY id")
    assert len(rows) == len(FIGURE_ANSWERS) + 3
    hashes = {r[0] for r in rows}
    assert len(hashes) == 1  # one person, one hash
    # Not the id itself, and not a plain digest of it (a random salt would contain "4242" now and then).
    (stored,) = hashes
    assert stored != "4242"
    assert len(stored) == 12
    assert int(stored, 16) >= 0
    assert stored != hashlib.sha256(b"4242").hexdigest()[:12]
    assert all(r[3] >= 0 for r in rows)
    assert rows[0][4] is not None
    assert rows[-1][4] is None


def test_questions_asked_before_close_are_not_lost(db: Path) -> None:
    async def run() -> None:
        service = await Service.open(db)
        for i in range(50):
            service.ask(f"青浦有多少套公租房{i}", user_id=i)
        await service.close()  # no stats() call: close itself flushes

    asyncio.run(run())
    assert query(db, "SELECT count(*), count(DISTINCT user_hash) FROM questions") == [(50, 50)]


def test_an_ingested_issue_answers_at_once_and_an_unchanged_one_changes_nothing(db: Path) -> None:
    async def run() -> None:
        service = await Service.open(db)
        try:
            before = service.ask(JIADING_QUESTION, 1).answer
            assert JIADING_FIGURE not in before.headline
            old_engine = service.engine
            result = await service.ingest(JIADING_TEXT.encode(), JIADING_NAME)
            assert (result.status, result.articles) == ("added", 1)
            assert service.engine is not old_engine
            assert JIADING_FIGURE in service.ask(JIADING_QUESTION, 1).answer.headline
            assert "100" in service.ask("青浦有多少套公租房", 1).answer.headline  # the old issue still answers
            engine = service.engine
            again = await service.ingest(JIADING_TEXT.encode(), "renamed.txt")
            assert again.status == "unchanged"
            assert service.engine is engine  # nothing new: no reload
        finally:
            await service.close()

    asyncio.run(run())
    assert query(db, "SELECT count(*) FROM bulletins") == [(2,)]


def test_a_refused_upload_changes_nothing(db: Path) -> None:
    before = counts(db)

    async def run() -> None:
        service = await Service.open(db)
        try:
            engine = service.engine
            result = await service.ingest(b"%PDF-1.4 truncated", "broken.pdf")
            assert (result.status, result.error) == ("refused", "UnreadableFile")
            assert service.engine is engine
        finally:
            await service.close()

    asyncio.run(run())
    assert counts(db) == before


def test_questions_while_a_reindex_parses_are_answered_from_the_old_index(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = counts(db)
    parsing, release = threading.Event(), threading.Event()
    waited: list[bool] = []
    real = ingest_module._reparse

    def held(*args: Any) -> Any:  # the reparse waits for the test: the test must be able to run meanwhile
        parsing.set()
        waited.append(release.wait(5))
        return real(*args)

    monkeypatch.setattr(ingest_module, "_reparse", held)

    async def run() -> None:
        service = await Service.open(db)
        try:
            old = service.engine
            task = asyncio.create_task(service.reindex())
            while not parsing.is_set():  # noqa: ASYNC110 (a thread sets it: no asyncio.Event)
                await asyncio.sleep(0.001)
            for user in range(20):  # the reindex is mid-parse: questions still flow, from the old index
                assert "100套" in service.ask("青浦有多少套公租房", user).answer.headline
                await asyncio.sleep(0)
            assert service.engine is old
            assert not task.done()
            release.set()
            result = await task
            assert service.engine is not old
            assert (result.issues, result.articles, result.chunks, result.figures) == (
                before["bulletins"], before["articles"], before["chunks"], before["figures"])
            assert "100套" in service.ask("青浦有多少套公租房", 7).answer.headline
        finally:
            await service.close()

    asyncio.run(run())
    assert waited == [True]  # released by the test, not by the timeout: the loop was free while it parsed
    assert counts(db) == before  # the same text derives the same index


def test_a_reindex_mid_write_is_invisible_to_readers(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = counts(db)
    real = store_module._insert_derived
    writing = asyncio.Event()
    release = asyncio.Event()

    async def held(*args: Any) -> None:
        if not writing.is_set():  # the old rows are deleted, the new ones not yet written
            writing.set()
            await release.wait()
        await real(*args)

    monkeypatch.setattr(store_module, "_insert_derived", held)

    async def run() -> None:
        service = await Service.open(db)
        try:
            task = asyncio.create_task(service.reindex())
            await asyncio.wait_for(writing.wait(), 10)
            stats = await service.stats()  # the reader sees the last committed state, whole
            assert (stats.issues, stats.articles, stats.chunks, stats.figures) == (
                before["bulletins"], before["articles"], before["chunks"], before["figures"])
            assert "100套" in service.ask("青浦有多少套公租房", 1).answer.headline
            release.set()
            await task
        finally:
            await service.close()

    asyncio.run(run())
    assert counts(db) == before


def test_two_uploads_at_once_take_turns_and_both_land(db: Path) -> None:
    second = JIADING_TEXT.replace("嘉定", "金山").replace("45个", "31个").replace("第5期", "第6期")

    async def run() -> None:
        service = await Service.open(db)
        try:
            results = await asyncio.gather(service.ingest(JIADING_TEXT.encode(), JIADING_NAME),
                                           service.ingest(second.encode(), "jinshan-06.txt"),
                                           service.reindex())
            assert [r.status for r in results[:2]] == ["added", "added"]
            assert "45个" in service.ask(JIADING_QUESTION, 1).answer.headline
            assert "31个" in service.ask("金山建成了多少个快递驿站", 1).answer.headline
        finally:
            await service.close()

    asyncio.run(run())
    assert query(db, "SELECT count(*) FROM bulletins") == [(3,)]


@pytest.mark.parametrize("start", ["new", "every issue removed"])
def test_a_bot_never_fills_a_database_with_the_sample_and_says_nothing_is_indexed(
        db: Path, tmp_path: Path, start: str) -> None:
    if start == "new":
        db = tmp_path / "new.db"

    async def run() -> None:
        service = await Service.open(db)
        try:
            if start != "new":
                await service.remove(SAMPLE_NAME)
                await service.close()
                service = await Service.open(db)  # the next start
            assert service.engine.empty
            asked = service.ask("青浦有多少套公租房", 1).answer
            assert (asked.found, asked.headline) == (False, NOTHING_INDEXED)
            assert (await service.stats()).issues == 0
            result = await service.ingest(JIADING_TEXT.encode(), JIADING_NAME)  # an admin's first upload
            assert result.status == "added"
            assert JIADING_FIGURE in service.ask(JIADING_QUESTION, 1).answer.headline
        finally:
            await service.close()

    asyncio.run(run())
    assert query(db, "SELECT document, state FROM bulletins ORDER BY id") == (
        [(JIADING_NAME, "indexed")] if start == "new" else [(SAMPLE_NAME, "removed"), (JIADING_NAME, "indexed")])


def _replace_with_another_database(db: Path, tmp_path: Path) -> tuple[Any, ...]:
    """Put another database file where db was (as `mv other.db bulletins.db` would); return its fingerprint."""
    other = Path(shutil.copy(db, tmp_path / "other.db"))
    os.replace(other, db)
    return tuple(counts(db).items())


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_database_deleted_or_replaced_under_the_bot_refuses_writes_and_is_logged_once(
        db: Path, tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="bot.ops.service")
    left: list[tuple[Any, ...]] = []

    async def run() -> None:
        service = await Service.open(db)
        try:
            if how == "deleted":
                os.unlink(db)
            else:
                left.append(_replace_with_another_database(db, tmp_path))
            writes = [lambda: service.ingest(JIADING_TEXT.encode(), JIADING_NAME), service.reindex,
                      lambda: service.remove(SAMPLE_NAME), lambda: service.ingest(JIADING_TEXT.encode(), "again.txt")]
            for write in writes:
                with pytest.raises(DatabaseGone, match="was deleted or replaced while the bot ran; nothing was stored"):
                    await write()
            with pytest.raises(DatabaseGone):
                service.check_file()  # what the watcher runs every few seconds
            assert "100套" in service.ask("青浦有多少套公租房", 1).answer.headline  # answers go on
        finally:
            await service.close()

    asyncio.run(run())
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1, errors  # said once, not at every refusal
    assert f"the database file {db} was {'deleted' if how == 'deleted' else 'replaced by another file'}" in errors[0]
    if how == "deleted":
        assert not db.exists()  # nothing made a new one in its place
    else:
        assert tuple(counts(db).items()) == left[0]  # the file put there is untouched
        assert query(db, "SELECT document FROM bulletins") == [(SAMPLE_NAME,)]


def test_the_watcher_notices_a_deleted_database_without_any_write(
        db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(service_module, "WATCH_SECONDS", 0.01)
    caplog.set_level(logging.ERROR, logger="bot.ops.service")

    async def run() -> None:
        service = await Service.open(db)
        try:
            os.unlink(db)
            for _ in range(500):
                if caplog.records:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)  # more ticks: still one line
        finally:
            await service.close()

    asyncio.run(run())
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert "was deleted while the bot ran" in caplog.records[0].getMessage()


def test_an_upload_whose_database_goes_while_it_is_stored_is_not_acknowledged(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = service_module.ingest_bytes

    async def deleted_meanwhile(*args: Any) -> Any:
        result = await real(*args)
        os.unlink(db)  # an operator's `rm` while the upload was being parsed and stored
        return result

    monkeypatch.setattr(service_module, "ingest_bytes", deleted_meanwhile)

    async def run() -> None:
        service = await Service.open(db)
        try:
            with pytest.raises(DatabaseGone):
                await service.ingest(JIADING_TEXT.encode(), JIADING_NAME)
        finally:
            await service.close()

    asyncio.run(run())
