"""A large ingest parses in child processes while the parent stores: the same rows as one file at a time, safely."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.tools.synthetic import make_issue
from helpers import JIADING_NAME, JIADING_TEXT, docx_bytes, ingest_files, query, segmenter
from index import DuplicateBulletin, IngestResult, Store, StoreError, ingest_paths
from index.records import NewBulletin, Stored

ISSUES = 24
CORRECTED = JIADING_TEXT.replace("累计建成45个", "累计建成47个")


def write_issues(folder: Path, count: int, seed: int) -> list[Path]:
    """Bulletin-like issues (the benchmark's generator): mastheads, five to ten articles, many figures each."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, count + 1):
        issue = make_issue(seed, number)
        path = folder / f"{number:03d}-{issue.date.isoformat()}.txt"
        path.write_text(issue.text, encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every kind of outcome in one folder: added, a duplicate, a corrected version, a restored one, refusals."""
    folder = tmp_path_factory.mktemp("inbox")
    issues = write_issues(folder, ISSUES, seed=11)
    shutil.copy(issues[3], folder / "004-again.txt")  # the same content under another name: unchanged
    (folder / JIADING_NAME).write_text(JIADING_TEXT, encoding="utf-8")  # stored and removed before: restored
    (folder / "zz-jiading-corrected.txt").write_text(CORRECTED, encoding="utf-8")  # replaces it: updated
    (folder / "050-empty.txt").write_bytes(b"")  # refused before it is parsed
    (folder / "051-binary.txt").write_bytes(bytes(range(256)) * 4)  # refused by the child (no encoding)
    (folder / "052-not-a.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00" * 200)  # refused by the limited reader
    (folder / "053-minhang.docx").write_bytes(docx_bytes([
        "闵行邮政管理局推进快递网点标准化建设",
        "今年以来，闵行邮政管理局累计完成12个网点的改造提升，新增快递驿站5个，服务社区居民约3万人。"]))
    return folder


@pytest.fixture(scope="module")
def start(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample database with the Jiading issue stored and then removed (so ingesting it again restores it)."""
    db = Path(shutil.copy(sample_db, tmp_path_factory.mktemp("start") / "start.db"))
    folder = tmp_path_factory.mktemp("jiading")
    (folder / JIADING_NAME).write_text(JIADING_TEXT, encoding="utf-8")
    [added] = ingest_files(db, [folder])

    async def remove() -> None:
        async with await Store.open(db) as store:
            await store.remove(next(i.id for i in await store.issues() if i.document == JIADING_NAME), purge=False)

    asyncio.run(remove())
    assert added.status == "added"
    return db


def ingest(db: Path, folder: Path, **options: int) -> list[IngestResult]:
    async def run() -> list[IngestResult]:
        async with await Store.open(db) as store:
            return await ingest_paths(store, segmenter(), [folder], **options)  # type: ignore[arg-type]

    return asyncio.run(run())


def rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row ingest writes, ids included (less the moment each bulletin was ingested)."""
    with closing(sqlite3.connect(db)) as conn:
        return {
            "bulletins": conn.execute(
                "SELECT id, document, sha256, issue_name, issue_number, issue_date, distribution, raw_text,"
                " derived_with, issue_key, state, replaced_by FROM bulletins ORDER BY id").fetchall(),
            "articles": conn.execute("SELECT * FROM articles ORDER BY id").fetchall(),
            "chunks": conn.execute("SELECT * FROM chunks ORDER BY id").fetchall(),
            "figures": conn.execute("SELECT * FROM figures ORDER BY id").fetchall(),
        }


def test_the_children_store_exactly_the_rows_one_at_a_time_stores(start: Path, inbox: Path, tmp_path: Path) -> None:
    alone, pooled = Path(shutil.copy(start, tmp_path / "alone.db")), Path(shutil.copy(start, tmp_path / "pooled.db"))

    one_by_one = ingest(alone, inbox, pool_min_bytes=10**12)
    started = time.perf_counter()
    in_children = ingest(pooled, inbox, pool_min_bytes=0, processes=2)
    assert time.perf_counter() - started < 20

    assert [r.line() for r in in_children] == [r.line() for r in one_by_one]
    statuses = [r.status for r in in_children]
    assert statuses.count("added") == ISSUES + 1  # the issues and the .docx
    assert {r.document: r.status for r in in_children if r.status != "added"} == {
        "004-again.txt": "unchanged", JIADING_NAME: "restored", "zz-jiading-corrected.txt": "updated",
        "050-empty.txt": "refused", "051-binary.txt": "refused", "052-not-a.pdf": "refused"}
    assert sum(r.figures for r in in_children) > 20 * ISSUES
    assert rows(pooled) == rows(alone)

    # again: what is stored is not parsed again, except the two versions of Jiading's issue, which take turns (a
    # file stored before a later one's turn changes what the later one finds, as one at a time)
    one_by_one = ingest(alone, inbox, pool_min_bytes=10**12)
    in_children = ingest(pooled, inbox, pool_min_bytes=0, processes=2)
    assert [r.line() for r in in_children] == [r.line() for r in one_by_one]
    assert [r.status for r in in_children].count("unchanged") == ISSUES + 2
    assert {r.document: r.status for r in in_children if r.status in ("restored", "updated")} == {
        JIADING_NAME: "restored", "zz-jiading-corrected.txt": "restored"}
    assert rows(pooled) == rows(alone)


def test_a_batch_the_store_refuses_is_stored_file_by_file(
        start: Path, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One file's failed write refuses that file only, as when each file has its own transaction."""
    alone, pooled = Path(shutil.copy(start, tmp_path / "alone.db")), Path(shutil.copy(start, tmp_path / "pooled.db"))
    real = Store.add_bulletins

    async def failing(self: Store, news: list[NewBulletin]) -> list[Stored | DuplicateBulletin]:
        if any(new.document.startswith("007") for new in news):
            raise StoreError("database error in db.db: disk I/O error")
        return await real(self, news)

    monkeypatch.setattr(Store, "add_bulletins", failing)
    one_by_one = ingest(alone, inbox, pool_min_bytes=10**12)
    in_children = ingest(pooled, inbox, pool_min_bytes=0, processes=2)
    assert [r.line() for r in in_children] == [r.line() for r in one_by_one]
    refused = [r.document for r in in_children if r.reason == "database error in db.db: disk I/O error"]
    assert refused == [p.name for p in sorted(inbox.iterdir()) if p.name.startswith("007")]
    assert rows(pooled) == rows(alone)


# --- kill -9 ---------------------------------------------------------------------------------------------

CHILD = """
import asyncio, sys
from pathlib import Path
from index import Store, ingest_paths

async def main() -> None:
    async with await Store.open(Path(sys.argv[1])) as store:
        await ingest_paths(store, None, [Path(sys.argv[2])], pool_min_bytes=0, processes=2)

if __name__ == "__main__":
    asyncio.run(main())
"""


@pytest.fixture(scope="module")
def big_inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    write_issues(folder, 60, seed=5)
    return folder


def children_of(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and int((proc / "stat").read_text().rsplit(") ", 1)[1].split()[1]) == pid:
                found.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def alive(pid: int) -> bool:
    """Whether the process runs (an ended one not yet reaped is a zombie: it runs no more)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(") ", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_kill_9_mid_way_leaves_whole_issues_in_order_and_no_child_behind(
        sample_db: Path, big_inbox: Path, tmp_path: Path) -> None:
    reference = {r.document: (r.articles, r.chunks, r.figures)
                 for r in ingest(Path(shutil.copy(sample_db, tmp_path / "ref.db")), big_inbox, pool_min_bytes=0)}
    db = Path(shutil.copy(sample_db, tmp_path / "db.db"))
    before = query(db, "SELECT count(*) FROM bulletins")[0][0]
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    # its output to a file: a child left behind would hold a pipe open, and reading it would never end
    with (tmp_path / "stderr.txt").open("wb") as stderr:
        process = subprocess.Popen([sys.executable, str(script), str(db), str(big_inbox)], stderr=stderr)
    deadline = time.monotonic() + 60
    while query(db, "SELECT count(*) FROM bulletins")[0][0] == before and time.monotonic() < deadline:
        assert process.poll() is None, (tmp_path / "stderr.txt").read_text()
        time.sleep(0.05)
    workers = children_of(process.pid)
    assert len(workers) >= 2  # the pool's processes (and its resource tracker) are running
    process.send_signal(signal.SIGKILL)
    process.wait()

    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if alive(pid)], "a child outlived the ingest killed with -9"
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    held = query(db, "SELECT b.document, (SELECT count(*) FROM articles a WHERE a.bulletin_id = b.id),"
                     " (SELECT count(*) FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.bulletin_id = b.id),"
                     " (SELECT count(*) FROM figures f JOIN chunks c ON c.id = f.chunk_id JOIN articles a"
                     "  ON a.id = c.article_id WHERE a.bulletin_id = b.id) FROM bulletins b ORDER BY b.id")[before:]
    assert 0 < len(held) < len(reference)  # killed mid-way
    assert [d for d, *_ in held] == list(reference)[:len(held)]  # in order, one after another
    assert all(tuple(counts) == reference[d] for d, *counts in held)  # and each whole


@pytest.fixture(autouse=True)
def _no_stray_workers() -> Iterator[None]:
    yield
    leftover = [pid for pid in children_of(os.getpid()) if alive(pid)
                and b"spawn_main" in (Path("/proc") / str(pid) / "cmdline").read_bytes()]
    assert not leftover, "a worker outlived its ingest"
