"""Store: a real SQLite file — WAL, numbered migrations, one transaction per bulletin, stats, bad files."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import (
    SAMPLE,
    SAMPLE_NAME,
    ask_all,
    assert_one_line_error,
    counts,
    db_fingerprint,
    ingest_files,
    query,
    run_cli,
    stored_chunks,
)
from index import RULES, Figure, Store, StoreError
from index.records import Derived, NewArticle, NewBulletin, NewChunk, figure_row
from index.storage.schema import MIGRATIONS


@pytest.fixture
def db_copy(sample_db: Path, tmp_path: Path) -> Path:
    """A private copy of the sample database (the WAL is checkpointed into the main file on close)."""
    assert not Path(f"{sample_db}-wal").exists() or Path(f"{sample_db}-wal").stat().st_size == 0
    return Path(shutil.copy(sample_db, tmp_path / "copy.db"))


def open_and_close(db: Path) -> None:
    async def run() -> None:
        async with await Store.open(db):
            pass

    asyncio.run(run())


def figure(value: float | None, sentence: str = "青浦区共有100套公租房。") -> Figure:
    return Figure(text="100套", value=value, value_max=None, unit="套", kind="count",  # type: ignore[arg-type]
                  start=5, end=9, sentence=sentence, after="公租房", places=("青浦",))


def article(*figures: Figure) -> NewArticle:
    chunk = NewChunk(text="青浦区共有100套公租房。", tokens="青浦 公租房", figures=tuple(map(figure_row, figures)))
    return NewArticle(title="青浦公租房", place="青浦", chunks=(chunk,))


async def add(store: Store, sha: str, *articles: NewArticle) -> int:
    derived = Derived(issue_name=None, issue_number="第9期", issue_date=dt.date(2023, 5, 4), issue_key=f"file:{sha}.txt",
                      distribution="", articles=articles, rules=RULES)
    stored = await store.add_bulletin(NewBulletin(document=f"{sha}.txt", sha256=sha, raw_text="青浦区共有100套公租房。",
                                                  derived=derived))
    return stored.id


def test_database_uses_wal_journal_mode(sample_db: Path) -> None:
    assert query(sample_db, "PRAGMA journal_mode") == [("wal",)]


def test_migrations_table_records_every_version(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    open_and_close(db)
    rows = query(db, "SELECT version, applied_at FROM _migrations")
    assert [r[0] for r in rows] == list(range(1, len(MIGRATIONS) + 1))
    applied = dt.datetime.fromisoformat(rows[0][1])
    assert abs(dt.datetime.now(dt.UTC) - applied) < dt.timedelta(minutes=5)
    tables = {r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"bulletins", "articles", "chunks", "figures", "settings", "_migrations"} <= tables


def test_an_older_database_is_upgraded_in_place_keeping_its_bulletins(db_copy: Path) -> None:
    before = counts(db_copy)
    with sqlite3.connect(db_copy) as conn:  # take it back to schema 1, as the first release left it
        conn.execute("DROP TABLE feedback")
        conn.execute("DROP TABLE questions")
        conn.execute("DROP INDEX figures_measure")
        conn.execute("ALTER TABLE figures DROP COLUMN measure")
        for column in ("sentence_start", "sentence_end"):
            conn.execute(f"ALTER TABLE figures DROP COLUMN {column}")
        conn.execute("ALTER TABLE figures ADD COLUMN sentence TEXT NOT NULL DEFAULT ''")
        conn.execute("DROP INDEX bulletins_derived")
        conn.execute("DROP INDEX bulletins_state")
        conn.execute("ALTER TABLE bulletins DROP COLUMN derived_with")
        conn.execute("DROP INDEX bulletins_issue_key")
        for column in ("issue_key", "state", "replaced_by", "issue_period"):
            conn.execute(f"ALTER TABLE bulletins DROP COLUMN {column}")
        conn.execute("DELETE FROM settings WHERE key = 'generation'")
        conn.execute("DELETE FROM _migrations WHERE version > 1")
    open_and_close(db_copy)
    assert [r[0] for r in query(db_copy, "SELECT version FROM _migrations")] == list(range(1, len(MIGRATIONS) + 1))
    assert query(db_copy, "SELECT count(*) FROM questions") == [(0,)]
    assert counts(db_copy) == before


def test_figures_of_the_previous_schema_keep_their_sentences_before_they_are_derived_again(db_copy: Path) -> None:
    # a restored backup or a running bot's reload loads the index without re-deriving it first
    sentence = "replace(substr(c.text, sentence_start + 1, sentence_end - sentence_start), char(10), '')"
    spans = f"SELECT f.id, {sentence} FROM figures f JOIN chunks c ON c.id = f.chunk_id ORDER BY f.id"
    before, questions = query(db_copy, spans), ["青浦有多少套公租房", "2022年青浦新增多少套公租房"]
    answers = ask_all(db_copy, questions)
    with sqlite3.connect(db_copy) as conn:  # take it back to schema 6: every figure held a copy of its sentence
        conn.execute("ALTER TABLE figures ADD COLUMN sentence TEXT NOT NULL DEFAULT ''")
        conn.executemany("UPDATE figures SET sentence = ? WHERE id = ?", [(text, i) for i, text in before])
        for column in ("sentence_start", "sentence_end"):
            conn.execute(f"ALTER TABLE figures DROP COLUMN {column}")
        conn.execute("DROP INDEX bulletins_derived")  # migration 8
        conn.execute("DROP INDEX bulletins_state")
        conn.execute("DELETE FROM _migrations WHERE version > 6")
    open_and_close(db_copy)
    after = dict(query(db_copy, spans))
    kept = [i for i, text in before if after[i] == text]
    assert len(kept) >= 0.9 * len(before)  # a heading joined across its line break is not found: its whole chunk
    assert ask_all(db_copy, questions) == answers


def test_reopening_does_not_reapply_migrations(db_copy: Path) -> None:
    before = query(db_copy, "SELECT version, applied_at FROM _migrations")
    fingerprint = db_fingerprint(db_copy)
    open_and_close(db_copy)  # a re-applied migration 1 would fail (tables exist) or add a row
    open_and_close(db_copy)
    assert query(db_copy, "SELECT version, applied_at FROM _migrations") == before
    assert db_fingerprint(db_copy) == fingerprint


def test_same_content_twice_is_unchanged_and_changes_nothing(db_copy: Path, tmp_path: Path) -> None:
    before = db_fingerprint(db_copy)
    renamed = tmp_path / "renamed-copy.txt"
    shutil.copy(SAMPLE, renamed)
    again, other_name = ingest_files(db_copy, [SAMPLE, renamed])
    assert (again.document, again.status) == (SAMPLE_NAME, "unchanged")
    assert (other_name.document, other_name.status) == ("renamed-copy.txt", "unchanged")
    assert SAMPLE_NAME in other_name.reason  # says which stored bulletin has the same content
    assert db_fingerprint(db_copy) == before


def test_failed_add_bulletin_rolls_back_everything(db_copy: Path) -> None:
    before = db_fingerprint(db_copy)

    async def run() -> int:
        async with await Store.open(db_copy) as store:
            with pytest.raises(StoreError, match="NOT NULL"):
                # the first article is fine; the second one's figure violates NOT NULL (value)
                await add(store, "bad", article(figure(100)), article(figure(None)))
            assert await store.find_sha("bad") is None
            # the connection is not left inside a transaction: the next write works
            return await add(store, "good", article(figure(100)))

    new_id = asyncio.run(run())
    after_counts, after_docs = db_fingerprint(db_copy)
    assert after_docs == [*before[1], ("good.txt", "good")]
    assert after_counts == {k: v + 1 for k, v in before[0].items()}
    assert query(db_copy, "SELECT id FROM bulletins WHERE sha256 = 'good'") == [(new_id,)]


def test_stored_bulletin_round_trips(tmp_path: Path) -> None:
    db = tmp_path / "rt.db"

    async def run() -> None:
        async with await Store.open(db) as store:
            await add(store, "rt", article(figure(100), figure(6044.86, "合计租赁面积6044.86平方米。")))

    asyncio.run(run())
    [stored] = stored_chunks(db)
    assert stored.chunk.document == "rt.txt"
    assert stored.chunk.issue_date == dt.date(2023, 5, 4)
    assert stored.terms == ("青浦", "公租房")
    assert [f.value for f in stored.figures] == [100, 6044.86]
    assert stored.figures[0].places == ("青浦",)
    assert all(f.chunk_id == stored.chunk.id for f in stored.figures)


def test_stats_counts_match_the_tables(sample_db: Path) -> None:
    async def run() -> object:
        async with await Store.open(sample_db) as store:
            return await store.stats()

    stats = asyncio.run(run())
    raw = counts(sample_db)
    assert (stats.issues, stats.articles, stats.chunks, stats.figures) == (
        raw["bulletins"], raw["articles"], raw["chunks"], raw["figures"])
    assert stats.issues == 1
    assert stats.articles == 5  # the sample's five articles
    assert stats.chunks >= stats.articles
    assert stats.figures >= 6  # 3月7日, 100套, 15套, 909.98, 6044.86, 900-3000元 at least
    assert stats.newest_issue is None  # the sample text has no masthead date
    assert stats.last_ingest is not None
    assert abs(dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(stats.last_ingest)) < dt.timedelta(minutes=10)


def test_stats_on_an_empty_database_is_all_zero(tmp_path: Path) -> None:
    async def run() -> object:
        async with await Store.open(tmp_path / "empty.db") as store:
            return await store.stats()

    stats = asyncio.run(run())
    assert (stats.issues, stats.articles, stats.chunks, stats.figures) == (0, 0, 0, 0)
    assert (stats.newest_issue, stats.last_ingest) == (None, None)


def test_opening_a_text_file_raises_store_error_and_keeps_the_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("这不是数据库 — just some notes, not SQLite at all\n" * 20, encoding="utf-8")
    before = notes.read_bytes()
    with pytest.raises(StoreError, match=r"not an SQLite database|not a usable bulletin database"):
        asyncio.run(Store.open(notes))
    assert notes.read_bytes() == before


@pytest.mark.parametrize("command", [["stats"], ["ask", "青浦有多少套公租房"], ["ingest", str(SAMPLE)]])
def test_cli_with_a_garbage_db_file_prints_one_line_error(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"garbage \x00\x01\x02 not a database " * 200)
    rc, out, err = run_cli(capsys, "--db", garbage, *command)
    assert rc == 1
    assert out == ""
    assert_one_line_error(err)
    assert str(garbage) in err
    assert garbage.read_bytes() == b"garbage \x00\x01\x02 not a database " * 200


def test_cli_with_a_foreign_sqlite_db_refuses_and_leaves_it_unchanged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Another program's SQLite file that happens to have a `bulletins` table is refused, untouched."""
    foreign = tmp_path / "other-app.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE bulletins (x)")
        conn.execute("INSERT INTO bulletins VALUES ('keep me')")
    conn.close()
    schema = query(foreign, "SELECT type, name, sql FROM sqlite_master")
    rc, _out, err = run_cli(capsys, "--db", foreign, "stats")
    assert rc == 1
    assert_one_line_error(err)
    assert query(foreign, "SELECT * FROM bulletins") == [("keep me",)]
    assert query(foreign, "SELECT type, name, sql FROM sqlite_master") == schema
    assert query(foreign, "PRAGMA journal_mode") == [("delete",)]


@pytest.mark.parametrize("kind", ["text file", "folder"])
def test_installed_script_with_a_bad_db_prints_one_line_no_traceback(kind: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    if kind == "folder":
        bad.mkdir()
    else:
        bad.write_text("garbage, not a database\n" * 50, encoding="utf-8")
    script = Path(sys.executable).with_name("bulletin")
    proc = subprocess.run([str(script), "--db", str(bad), "stats"], capture_output=True, text=True,
                          cwd=tmp_path, env=os.environ.copy(), timeout=60, check=False)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert_one_line_error(proc.stderr)


def test_a_database_from_a_newer_version_is_refused(db_copy: Path) -> None:
    with sqlite3.connect(db_copy) as con:
        con.execute("INSERT INTO _migrations VALUES (?, '2030-01-01')", (len(MIGRATIONS) + 1,))
    with pytest.raises(StoreError, match="newer version"):
        asyncio.run(Store.open(db_copy))
