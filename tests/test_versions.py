"""Versions of an issue: a corrected file replaces the indexed one, `list` shows both, `remove` and restore, `reindex`."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.ops import service as service_module
from bot.ops.service import Service
from helpers import (
    JIADING_NAME,
    JIADING_QUESTION,
    JIADING_TEXT,
    SAMPLE_NAME,
    ask_all,
    assert_one_line_error,
    db_fingerprint,
    ingest_one,
    query,
    run_cli,
    segmenter,
)
from index import Store, ingest_bytes

CORRECTED = JIADING_TEXT.replace("累计建成45个", "累计建成47个")
CORRECTED_NAME = "jiading-05-corrected.txt"
SIXTH = JIADING_TEXT.replace("第5期", "第6期").replace("5月20日", "6月20日").replace("累计建成45个", "累计建成52个")


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    """A private copy of the database holding the sample."""
    return Path(shutil.copy(sample_db, tmp_path / "db.db"))


def headline(db: Path, question: str = JIADING_QUESTION) -> str:
    return str(ask_all(db, [question])[question]["answer"])


def states(db: Path) -> dict[str, str]:
    return dict(query(db, "SELECT document, state FROM bulletins"))


def test_a_corrected_issue_replaces_the_old_one_which_stays_stored(db: Path) -> None:
    assert ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME).status == "added"
    assert "45个" in headline(db)

    result = ingest_one(db, CORRECTED.encode(), CORRECTED_NAME)

    assert (result.status, result.replaced) == ("updated", (JIADING_NAME,))
    assert result.line().startswith(f"updated   {CORRECTED_NAME} (邮政管理工作简报 第5期 2023-05-20): 1 articles")
    assert f"replaces {JIADING_NAME} (kept, out of the index)" in result.line()
    answer = ask_all(db, [JIADING_QUESTION])[JIADING_QUESTION]
    assert "47个" in answer["answer"]
    assert "45个" not in str(answer)  # the replaced version's figure (a score may hold the digits 45)
    assert states(db) == {SAMPLE_NAME: "indexed", JIADING_NAME: "replaced", CORRECTED_NAME: "indexed"}
    assert query(db, "SELECT raw_text FROM bulletins WHERE document = ?", JIADING_NAME) == [(JIADING_TEXT,)]


def test_the_old_version_ingested_again_is_restored_and_replaces_the_correction(db: Path) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    ingest_one(db, CORRECTED.encode(), CORRECTED_NAME)
    rows = query(db, "SELECT count(*) FROM bulletins")

    result = ingest_one(db, JIADING_TEXT.encode(), "renamed-old.txt")

    assert (result.status, result.replaced) == ("restored", (CORRECTED_NAME,))
    assert query(db, "SELECT count(*) FROM bulletins") == rows  # the stored row came back; nothing was copied
    assert states(db) == {SAMPLE_NAME: "indexed", JIADING_NAME: "indexed", CORRECTED_NAME: "replaced"}
    assert "45个" in headline(db)


def test_another_issue_of_the_same_bulletin_is_added_beside_it(db: Path) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    result = ingest_one(db, SIXTH.encode(), "jiading-06.txt")
    assert (result.status, result.replaced) == ("added", ())
    assert set(states(db).values()) == {"indexed"}
    answer = headline(db)
    assert "52个" in answer  # the newest issue answers


def test_a_file_without_a_masthead_is_an_issue_by_its_file_name(db: Path) -> None:
    body = JIADING_TEXT.split("\n\n", 1)[1]
    assert ingest_one(db, body.encode(), "notes.txt").status == "added"
    assert ingest_one(db, body.replace("45个", "46个").encode(), "other.txt").status == "added"
    assert ingest_one(db, body.replace("45个", "47个").encode(), "notes.txt").status == "updated"
    assert query(db, "SELECT document, state FROM bulletins ORDER BY id")[1:] == [
        ("notes.txt", "replaced"), ("other.txt", "indexed"), ("notes.txt", "indexed")]


def test_list_all_shows_every_stored_issue_with_its_state(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    ingest_one(db, CORRECTED.encode(), CORRECTED_NAME)

    rc, out, err = run_cli(capsys, "--db", db, "list", "--all")

    assert (rc, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split() == ["#", "date", "series", "number", "period", "document", "articles", "figures", "ingested",
                              "state"]
    assert len(rows) == 3
    sample = next(r for r in rows if SAMPLE_NAME in r)
    old = next(r for r in rows if f" {JIADING_NAME} " in r)
    new = next(r for r in rows if f" {CORRECTED_NAME} " in r)
    assert sample.split()[-1] == "indexed"
    assert old.endswith(f"replaced by {CORRECTED_NAME}")
    assert "2023-05-20" in new
    assert new.split()[2:5] == ["邮政管理工作简报", "第5期", "-"]  # series, number, period (none said)
    assert new.endswith("indexed")
    assert rows.index(sample) == 2  # dated issues first, oldest first; the undated sample last


def test_remove_takes_an_issue_out_of_the_index_and_ingest_restores_it(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    assert "45个" in headline(db)

    rc, out, err = run_cli(capsys, "--db", db, "remove", "第5期")

    assert (rc, err) == (0, "")
    assert out.startswith(f"removed   #2 {JIADING_NAME} (邮政管理工作简报 第5期 2023-05-20): out of the index")
    assert states(db)[JIADING_NAME] == "removed"
    assert "45" not in headline(db)
    assert "100" in headline(db, "青浦有多少套公租房")  # the other issue is untouched
    rc, out, _ = run_cli(capsys, "--db", db, "stats")
    assert "issues    1" in out.splitlines()
    assert "stored versions out of the index  1 (older versions and removed issues: `bulletin list --all`)" in \
        out.splitlines()

    path = tmp_path / JIADING_NAME
    path.write_text(JIADING_TEXT, encoding="utf-8")
    rc, out, err = run_cli(capsys, "--db", db, "ingest", path)
    assert rc == 0
    assert out.startswith(f"restored  {JIADING_NAME} ")
    assert "45个" in headline(db)


def test_remove_purge_deletes_the_issue_and_all_it_derived(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = db_fingerprint(db)
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    rc, out, _ = run_cli(capsys, "--db", db, "remove", JIADING_NAME, "--purge")
    assert rc == 0
    assert out.startswith(f"purged    #2 {JIADING_NAME}")
    assert db_fingerprint(db) == before


@pytest.mark.parametrize(("name", "message"), [
    ("第9期", "no stored issue matches '第9期'; `bulletin list` shows them"),
    ("2023-05-20", "'2023-05-20' matches 2 issues (#2 jiading-05.txt (邮政管理工作简报 第5期 2023-05-20); #3 b.txt"),
])
def test_remove_of_no_issue_or_an_ambiguous_one_is_one_line_and_changes_nothing(
        name: str, message: str, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    ingest_one(db, JIADING_TEXT.replace("邮政管理工作简报", "快递工作简报").encode(), "b.txt")
    before = db_fingerprint(db), states(db)
    rc, _, err = run_cli(capsys, "--db", db, "remove", name)
    assert rc == 1
    assert_one_line_error(err)
    assert message in err
    assert (db_fingerprint(db), states(db)) == before


def test_a_version_already_out_of_the_index_is_not_removed_again(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    ingest_one(db, CORRECTED.encode(), CORRECTED_NAME)
    before = query(db, "SELECT document, state, replaced_by FROM bulletins")
    rc, _, err = run_cli(capsys, "--db", db, "remove", JIADING_NAME)
    assert rc == 1
    assert_one_line_error(err)
    assert "is already out of the index (replaced; --purge deletes it)" in err
    assert query(db, "SELECT document, state, replaced_by FROM bulletins") == before


def test_remove_list_and_reindex_need_an_existing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["list"], ["remove", "第5期"], ["reindex"]):
        rc, out, err = run_cli(capsys, "--db", tmp_path / "none.db", *command)
        assert (rc, out) == (1, "")
        assert_one_line_error(err)
        assert "no database at" in err
    assert not (tmp_path / "none.db").exists()


def test_reindex_rederives_every_issue_and_answers_the_same(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    ingest_one(db, CORRECTED.encode(), CORRECTED_NAME)
    questions = [JIADING_QUESTION, "青浦有多少套公租房", "青浦公租房的房租多少钱一个月"]
    before, old_ids = ask_all(db, questions), query(db, "SELECT max(id) FROM chunks")[0][0]

    rc, out, err = run_cli(capsys, "--db", db, "reindex")

    assert (rc, err) == (0, "")
    assert out.startswith("reindexed 3 stored versions (2 issues in the index: ")
    assert query(db, "SELECT min(id) FROM chunks")[0][0] > old_ids  # every chunk derived afresh
    assert ask_all(db, questions) == before
    assert states(db)[JIADING_NAME] == "replaced"  # versions survive a reindex


def test_a_running_service_picks_up_another_process_ingest(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module, "WATCH_SECONDS", 0.05)

    async def run() -> None:
        service = await Service.open(db)
        try:
            engine = service.engine
            assert "45" not in service.ask(JIADING_QUESTION, 1).answer.headline
            await asyncio.sleep(0.2)
            assert service.engine is engine  # nothing changed: nothing reloaded
            async with await Store.open(db) as other:  # another process's ingest: its own connections
                assert (await ingest_bytes(other, segmenter(), JIADING_TEXT.encode(), JIADING_NAME)).stored
            for _ in range(200):  # the watcher notices within moments, with no question asked
                if service.engine is not engine:
                    break
                await asyncio.sleep(0.05)
            assert "45个" in service.ask(JIADING_QUESTION, 1).answer.headline
            assert await service.catch_up() is False  # nothing more to load
        finally:
            await service.close()

    asyncio.run(run())


def test_python_m_bot_imported_again_by_a_spawned_worker_runs_nothing() -> None:
    import runpy

    # a reindex's spawned workers import the parent's main module under this name; running the command there
    # would reindex once more per worker
    namespace = runpy.run_module("bot.__main__", run_name="__mp_main__")
    assert callable(namespace["main"])
