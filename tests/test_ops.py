"""Running a deployment: `bulletin health`, `bulletin backup` and `bulletin restore` on real database files."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.ops.health import Heartbeat, heartbeat_path
from bot.ops.service import Service
from helpers import (
    FIGURE_ANSWERS,
    JIADING_FIGURE,
    JIADING_NAME,
    JIADING_QUESTION,
    JIADING_TEXT,
    NOT_FOUND,
    ROOT,
    SAMPLE_NAME,
    TEXT_ANSWERS,
    ask_all,
    assert_one_line_error,
    db_fingerprint,
    ingest_one,
    query,
    run_cli,
    segmenter,
)
from index import Store, StoreError, ingest_bytes, remove_issue

BULLETIN = str(Path(sys.executable).parent / "bulletin")
ASKED = [*FIGURE_ANSWERS, *TEXT_ANSWERS, *NOT_FOUND, JIADING_QUESTION]


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(sample_db, tmp_path / "live.db"))


def health(capsys: pytest.CaptureFixture[str], db: Path) -> tuple[int, str, str]:
    return run_cli(capsys, "--db", db, "health")


def test_health_is_ok_for_a_database_that_answers_with_no_bot_running(db: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = health(capsys, db)
    assert (rc, err) == (0, "")
    assert out.startswith("ok: 1 issues, ")
    assert "no bot running" in out


def test_health_is_ok_for_a_new_database_with_nothing_indexed_yet(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # a new office's bot starts on an empty database and waits for an admin's first file: not a failure
    db = tmp_path / "new.db"

    async def create() -> None:
        async with await Store.open(db, create=True):
            pass

    asyncio.run(create())
    rc, out, err = health(capsys, db)
    assert (rc, err) == (0, "")
    assert out.startswith("ok: no bulletins indexed yet")


def test_health_is_ok_while_the_bot_polls(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    beat = Heartbeat(db)
    beat.start()
    rc, out, _ = health(capsys, db)
    assert rc == 0
    assert f"bot pid {os.getpid()} polled Telegram 0 s ago" in out
    beat.stop()
    assert not heartbeat_path(db).exists()


def test_a_stale_heartbeat_is_unhealthy_unless_the_allowed_age_is_longer(
        db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    Heartbeat(db).start()
    old = time.time() - 300
    os.utime(heartbeat_path(db), (old, old))
    rc, out, err = health(capsys, db)
    assert (rc, out) == (1, "")
    assert err.startswith("unhealthy: ")
    assert err.count("\n") == 1
    assert f"pid {os.getpid()}) has not polled Telegram for 300 s" in err
    monkeypatch.setenv("BULLETIN_HEALTH_MAX_AGE", "600")
    assert health(capsys, db)[0] == 0
    Heartbeat(db).beat()  # a poll: fresh again
    monkeypatch.delenv("BULLETIN_HEALTH_MAX_AGE")
    assert health(capsys, db)[0] == 0


def test_a_heartbeat_left_by_a_killed_bot_is_unhealthy(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    heartbeat_path(db).write_text(json.dumps({"pid": int(gone.stdout)}), encoding="utf-8")
    rc, _, err = health(capsys, db)
    assert rc == 1
    assert f"the bot (pid {int(gone.stdout)}) has stopped without cleaning up" in err


@pytest.mark.parametrize(("content", "reason"), [
    (None, "no database at"),
    (b"", "is empty: no bulletins ingested yet"),  # what sqlite3 makes of a path before anything is written
    (b"not a database at all, just text", "is not an SQLite database"),
])
def test_health_fails_without_a_usable_database_and_creates_none(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, reason: str) -> None:
    db = tmp_path / "missing.db"
    if content is not None:
        db.write_bytes(content)
    rc, out, err = health(capsys, db)
    assert (rc, out) == (1, "")
    assert err.startswith("unhealthy: ")
    assert reason in err
    assert err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ([db.name] if content is not None else [])


def test_backup_is_consistent_while_the_store_is_open_and_restore_brings_back_the_same_answers(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    before = ask_all(db, ASKED)
    assert JIADING_FIGURE in before[JIADING_QUESTION]["answer"]
    copy = tmp_path / "backups" / "b.db"
    copy.parent.mkdir()

    async def backup_while_open() -> None:
        async with await Store.open(db) as store:  # the bot's connections: committed pages may sit in the WAL
            await ingest_bytes(store, segmenter(), "邮政管理工作简报\n第9期\n\n测试文章\n金山新建快递驿站12个。".encode(),
                               "jinshan.txt")
            rc, out, err = run_cli(capsys, "--db", db, "backup", copy)
            assert (rc, err) == (0, "")
            assert out.startswith(f"backed up {db} to {copy}: 3 issues, ")
            assert "integrity ok" in out
            await remove_issue(store, "jinshan.txt", purge=True)

    asyncio.run(backup_while_open())
    assert query(copy, "SELECT count(*) FROM bulletins WHERE document = 'jinshan.txt'") == [(1,)]
    assert not Path(f"{copy}-wal").exists()  # the copy is one self-contained file
    expected = ask_all(Path(shutil.copy(copy, tmp_path / "probe.db")), ASKED)  # what the backup itself answers
    assert expected != before  # it holds jinshan.txt, which the live database no longer does

    # the restore replaces a changed database, with the bot's service open on it
    ingest_one(db, "邮政管理工作简报\n第10期\n\n另一篇\n嘉定建成快递驿站99个。".encode(), "other.txt")

    async def restore_under_a_running_service() -> None:
        service = await Service.open(db)
        try:
            asked_before = service.engine.ask(JIADING_QUESTION)
            # another process, as an administrator would run it beside the bot
            done = await asyncio.to_thread(subprocess.run, [BULLETIN, "--db", str(db), "restore", str(copy)],
                                           capture_output=True, text=True, timeout=120, check=False)
            assert (done.returncode, done.stderr) == (0, "")
            assert f"restored {copy} into {db}: 3 issues" in done.stdout
            assert await service.catch_up()  # the running bot sees the restore and reloads
            assert service.engine.ask("金山新建了多少个快递驿站").headline != asked_before.headline
        finally:
            await service.close()

    asyncio.run(restore_under_a_running_service())
    assert ask_all(db, ASKED) == expected
    assert query(db, "SELECT document FROM bulletins ORDER BY id") == \
        query(copy, "SELECT document FROM bulletins ORDER BY id")
    # what the restore replaced is kept, and restoring it undoes the restore
    [kept] = db.parent.glob(f"{db.name}.before-restore-*")
    assert query(kept, "SELECT count(*) FROM bulletins WHERE document = 'other.txt'") == [(1,)]
    assert run_cli(capsys, "--db", db, "restore", kept)[0] == 0
    assert query(db, "SELECT count(*) FROM bulletins WHERE document = 'other.txt'") == [(1,)]


def test_restore_then_answers_equal_those_at_backup_time(db: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    before = ask_all(db, ASKED)
    assert run_cli(capsys, "--db", db, "backup", tmp_path / "b.db")[0] == 0
    assert run_cli(capsys, "--db", db, "remove", JIADING_NAME, "--purge")[0] == 0
    assert ask_all(db, ASKED) != before
    assert run_cli(capsys, "--db", db, "restore", tmp_path / "b.db")[0] == 0
    assert ask_all(db, ASKED) == before


def test_backup_never_overwrites_without_force_and_a_folder_gets_a_dated_file(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "b.db"
    target.write_bytes(b"someone's file")
    rc, out, err = run_cli(capsys, "--db", db, "backup", target)
    assert (rc, out) == (1, "")
    assert_one_line_error(err)
    assert "exists; choose another name or add --force" in err
    assert target.read_bytes() == b"someone's file"
    assert run_cli(capsys, "--db", db, "backup", target, "--force")[0] == 0
    assert query(target, "SELECT count(*) FROM bulletins") == [(1,)]
    folder = tmp_path / "daily"
    assert run_cli(capsys, "--db", db, "backup", f"{folder}/")[0] == 0  # a folder, made
    assert run_cli(capsys, "--db", db, "backup", tmp_path / "none" / "b.db")[0] == 1  # a file's folder is not
    [dated] = folder.iterdir()
    assert dated.name.startswith("live-")
    assert dated.suffix == ".db"
    assert [p.name for p in folder.iterdir()] == [dated.name]  # no partial file left behind


@pytest.mark.parametrize("damage", ["truncated", "text", "foreign", "itself"])
def test_a_bad_backup_is_refused_and_changes_nothing(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     damage: str) -> None:
    bad = tmp_path / "bad.db"
    assert run_cli(capsys, "--db", db, "backup", bad)[0] == 0
    if damage == "truncated":
        bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    elif damage == "text":
        bad.write_text("hello", encoding="utf-8")
    elif damage == "foreign":
        bad.unlink()
        subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(bad)!r}).execute("
                        "'CREATE TABLE t (x)').connection.commit()"], check=True)
    else:
        bad = db
    fingerprint = db_fingerprint(db)
    rc, out, err = run_cli(capsys, "--db", db, "restore", bad)
    assert (rc, out) == (1, "")
    assert_one_line_error(err)
    assert db_fingerprint(db) == fingerprint
    assert not list(db.parent.glob(f"{db.name}.before-restore*"))


def _live_target(db: Path, tmp_path: Path, kind: str) -> Path | str:
    """A path that is (or leads to) one of the live database's own files."""
    if kind.startswith("symlink"):
        link = tmp_path / "elsewhere" / "innocent.db"
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(f"{db}{kind.removeprefix('symlink')}")
        return link
    if kind == "hard link to -wal":
        os.link(f"{db}-wal", tmp_path / "hard.db")
        return tmp_path / "hard.db"
    if kind.endswith("/"):
        return f"{db}{kind}"  # a folder, as `backup /data/backups/` says
    return Path(f"{db}{kind}")


@pytest.mark.parametrize("kind", ["-wal", "-shm", "-journal", ".lock", ".heartbeat", ".index/", ".index/old.db",
                                  "symlink-wal", "symlink", "hard link to -wal"])
def test_a_backup_over_the_live_databases_own_files_is_refused_and_loses_no_issue(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    wal = Path(f"{db}-wal")

    async def back_up_over_it() -> tuple[int, str, str]:
        async with await Store.open(db) as store:  # a running bot: the last ingest's pages are still in the WAL
            assert (await ingest_bytes(store, segmenter(), JIADING_TEXT.encode(), JIADING_NAME)).status == "added"
            written = await asyncio.to_thread(wal.read_bytes)
            assert written
            target = _live_target(db, tmp_path, kind)
            result = run_cli(capsys, "--db", db, "backup", target, "--force")
            assert await asyncio.to_thread(wal.read_bytes) == written
            return result

    rc, out, err = asyncio.run(back_up_over_it())
    assert (rc, out) == (1, "")
    assert_one_line_error(err)
    assert "not a backup; choose a path away from the database's files" in err
    assert [name for (name,) in query(db, "SELECT document FROM bulletins ORDER BY id")] == [SAMPLE_NAME, JIADING_NAME]
    assert not list(Path(f"{db}.index").glob("**/*.db"))  # no backup put in the saved index either


def test_a_backup_through_a_symlinked_database_path_still_refuses_its_wal(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "link.db"
    link.symlink_to(db)
    rc, out, err = run_cli(capsys, "--db", link, "backup", f"{db}-wal", "--force")
    assert (rc, out) == (1, "")
    assert "the live database's write-ahead log" in err
    assert not Path(f"{db}-wal").exists()


@pytest.mark.parametrize("kind", ["hard link", "symlink", "-wal", ".index"])
def test_a_restore_from_the_live_databases_own_files_is_refused_and_changes_nothing(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME)
    fingerprint = db_fingerprint(db)
    if kind == "hard link":  # the same file under another name: it passes every check of a backup's content
        source = tmp_path / "copy.db"
        os.link(db, source)
    elif kind == "symlink":
        source = tmp_path / "copy.db"
        source.symlink_to(db)
    elif kind == "-wal":
        source = Path(f"{db}-wal")
        source.write_bytes(db.read_bytes())  # even a database's bytes there are the journal's, not a backup's
    else:
        ask_all(db, ["青浦有多少套公租房"])  # saves the index
        [saved] = Path(f"{db}.index").iterdir()
        source = saved / "copied.db"
        shutil.copy(db, source)
    rc, out, err = run_cli(capsys, "--db", db, "restore", source)
    assert (rc, out) == (1, "")
    assert_one_line_error(err)
    assert "not a backup to restore from" in err
    if kind == "-wal":
        source.unlink()
    assert db_fingerprint(db) == fingerprint
    assert not list(db.parent.glob(f"{db.name}.before-restore*"))


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_health_fails_when_the_running_bots_database_was_deleted_or_replaced(
        db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str) -> None:
    beat = Heartbeat(db)
    beat.start()  # this process plays the bot: alive, polling, serving db
    assert health(capsys, db)[0] == 0
    other = Path(shutil.copy(db, tmp_path / "other.db"))
    if how == "deleted":
        db.unlink()
    else:
        os.replace(other, db)  # a healthy-looking database, but not the file the bot has open
    beat.beat()
    rc, out, err = health(capsys, db)
    assert (rc, out) == (1, "")
    assert err.startswith(f"unhealthy: the database {db} was "
                          f"{'deleted' if how == 'deleted' else 'replaced by another file'} while the bot (pid {os.getpid()}) ran")
    assert err.count("\n") == 1
    heartbeat_path(db).unlink()
    beat.beat()  # the heartbeat file lost too: written again, still naming the file the bot opened
    assert health(capsys, db)[0] == 1
    beat.stop()
    assert health(capsys, db)[0] == (1 if how == "deleted" else 0)  # no bot: only the file at the path counts


def test_restore_of_a_missing_file_says_the_file_is_missing(db: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "backups" / "b.db"
    fingerprint = db_fingerprint(db)
    rc, out, err = run_cli(capsys, "--db", db, "restore", missing)
    assert (rc, out) == (1, "")
    assert_one_line_error(err)
    assert err == f"error: cannot restore {missing}: the backup file is missing\n"  # not "ingest some bulletins"
    assert db_fingerprint(db) == fingerprint
    assert not list(db.parent.glob(f"{db.name}.before-restore*"))

    async def restore_directly() -> None:
        async with await Store.open(db) as store:
            with pytest.raises(StoreError, match=f"^cannot restore {re.escape(str(missing))}: the backup file is missing$"):
                await store.restore(missing)

    asyncio.run(restore_directly())
    assert db_fingerprint(db) == fingerprint


def _unprivileged() -> list[str]:
    """The prefix that runs a command without the power to write where its permissions forbid: none for a user;
    for root, setpriv dropping the capabilities that override file permissions (root owns its folders, so a
    folder made read-only is read-only to it then)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no way to be refused a read-only folder")
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def test_restore_into_a_read_only_folder_says_it_is_read_only(sample_db: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "readonly"
    folder.mkdir()
    db = Path(shutil.copy(sample_db, folder / "live.db"))
    backup = tmp_path / "b.db"
    assert run_cli(capsys, "--db", db, "backup", backup)[0] == 0
    before = sorted(p.name for p in folder.iterdir()), db.read_bytes()
    prefix = _unprivileged()
    folder.chmod(0o555)
    try:
        tried = subprocess.run([*prefix, sys.executable, "-c", f"open({str(folder / 'probe')!r}, 'w')"],
                               capture_output=True, check=False)
        if tried.returncode == 0:
            pytest.skip("the folder is still writable here (a file system that ignores permissions?)")
        done = subprocess.run([*prefix, BULLETIN, "--db", str(db), "restore", str(backup)], capture_output=True,
                              text=True, timeout=120, check=False)
    finally:
        folder.chmod(0o755)
    assert (done.returncode, done.stdout) == (1, "")
    assert_one_line_error(done.stderr)
    assert done.stderr.startswith(f"error: cannot restore into {db}: its folder {folder} is read-only ("), done.stderr
    assert (sorted(p.name for p in folder.iterdir()), db.read_bytes()) == before  # nothing written, nothing left

    # the store's own restore, its folder made read-only once it is open, says so too
    script = (f"import asyncio, os\nfrom pathlib import Path\nfrom index import Store, StoreError\n"
              f"async def main():\n"
              f"    async with await Store.open(Path({str(db)!r})) as store:\n"
              f"        os.chmod({str(folder)!r}, 0o555)\n"
              f"        try:\n"
              f"            await store.restore(Path({str(backup)!r}))\n"
              f"        except StoreError as e:\n"
              f"            print(e)\n"
              f"        finally:\n"
              f"            os.chmod({str(folder)!r}, 0o755)\n"
              f"asyncio.run(main())\n")
    done = subprocess.run([*prefix, sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          check=False, cwd=ROOT)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"cannot restore into {db}: its folder {folder} is read-only ("), done.stdout
    assert db.read_bytes() == before[1]
    assert not [p.name for p in folder.iterdir() if "restore" in p.name]  # no staged copy left behind
