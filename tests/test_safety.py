"""Ingest and reindex under faults and load: kill -9 at any moment, two writers at once, readers during a reindex."""

from __future__ import annotations

import asyncio
import fcntl
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.answering.render import render_plain
from bot.ops.service import Service
from helpers import FIGURE_ANSWERS, SAMPLE_NAME, ask_all, ingest_files, query
from index import ingest as ingest_module

# places and measures the sample bulletin does not have, so the sample's own questions answer as before
DISTRICTS = ("黄浦", "徐汇", "长宁", "静安", "普陀", "虹口", "杨浦", "闵行", "宝山", "嘉定", "金山", "松江")
MEASURES = (("快递驿站", "个"), ("智能快件箱", "组"), ("快递网点", "个"))
ISSUES = 100
QUESTIONS = [*FIGURE_ANSWERS, "闵行累计建成多少个快递驿站", "2023年徐汇新增多少组智能快件箱"]


def issue_text(number: int) -> str:
    """A bulletin issue with a masthead and six articles full of figures, the same for the same number."""
    rng = random.Random(number)
    lines = ["区域快递工作简报", f"第{number}期", f"上海市邮政管理局办公室    2023年{1 + number % 12}月{1 + number % 28}日", ""]
    for ordinal in range(6):
        district, (measure, unit) = rng.choice(DISTRICTS), rng.choice(MEASURES)
        lines.append(f"{district}局推进{measure}建设（{ordinal + 1}）")
        lines.extend(f"今年以来，{district}邮政管理局积极推进{measure}建设，在全区{rng.randint(3, 20)}个街镇开展工作，"
                     f"累计建成{rng.randint(10, 900)}{unit}{measure}，新增{rng.randint(1, 50)}{unit}，同比增长"
                     f"{rng.randint(1, 30)}.{rng.randint(0, 9)}%，服务社区居民约{rng.randint(1, 20)}万人。下一步，"
                     f"{district}局将继续完善末端网络布局，提升服务质量和群众满意度。" for _ in range(2))
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for number in range(1, ISSUES + 1):
        (folder / f"issue-{number:03d}.txt").write_text(issue_text(number), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def reference(corpus: Path, sample_db: Path,
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, int, int]]:
    """Each document's (articles, chunks, figures) when ingested without interruption, and the sample's."""
    results = ingest_files(tmp_path_factory.mktemp("reference") / "ref.db", [corpus])
    assert all(r.status == "added" for r in results)
    return {r.document: (r.articles, r.chunks, r.figures) for r in results} | {
        SAMPLE_NAME: per_document(sample_db)[SAMPLE_NAME]}


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(sample_db, tmp_path / "db.db"))


@pytest.fixture(scope="module")
def big_db(sample_db: Path, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plus the hundred issues (read-only: copy before writing)."""
    db = Path(shutil.copy(sample_db, tmp_path_factory.mktemp("big") / "big.db"))
    ingest_files(db, [corpus])
    return db


def bulletin(db: Path, *args: str | Path) -> subprocess.Popen[str]:
    """Start the real command in a child process (the environment carries the test's jieba cache)."""
    return subprocess.Popen([sys.executable, "-m", "bot", "--db", str(db), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def per_document(db: Path) -> dict[str, tuple[int, int, int]]:
    rows = query(db, "SELECT b.document, (SELECT count(*) FROM articles a WHERE a.bulletin_id = b.id),"
                     " (SELECT count(*) FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.bulletin_id = b.id),"
                     " (SELECT count(*) FROM figures f JOIN chunks c ON c.id = f.chunk_id JOIN articles a"
                     "  ON a.id = c.article_id WHERE a.bulletin_id = b.id) FROM bulletins b WHERE b.state = 'indexed'")
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def assert_sound(db: Path, reference: dict[str, tuple[int, int, int]]) -> dict[str, tuple[int, int, int]]:
    """The file is a sound database, every issue in it is whole, the sample untouched; return what else it holds."""
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    held = per_document(db)
    assert held.pop(SAMPLE_NAME) == reference[SAMPLE_NAME]
    for document, found in held.items():
        assert found == reference[document], f"{document} is half in: {found} != {reference[document]}"
    return held


def wait_for_write(db: Path, process: subprocess.Popen[str], deadline: float) -> bool:
    """Wait until process is inside a write transaction (another writer is refused at once); False if it ended."""
    with closing(sqlite3.connect(db, timeout=0, isolation_level=None)) as probe:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # locked: the writer is mid-transaction
                return True
            probe.execute("ROLLBACK")
    return False


def wait_for_issues(db: Path, process: subprocess.Popen[str], count: int, deadline: float) -> None:
    """Wait until count issues besides the sample are in, or the process ended."""
    while time.monotonic() < deadline and process.poll() is None and len(per_document(db)) - 1 < count:
        time.sleep(0.002)


def answers(db: Path, questions: list[str]) -> dict[str, tuple[str, list[str]]]:
    """What each question is answered, and with which figures (BM25 scores move as the corpus grows)."""
    return {q: (a["answer"], [f["text"] for f in a["figures"]]) for q, a in ask_all(db, questions).items()}


def kill(process: subprocess.Popen[str]) -> None:
    process.kill()  # SIGKILL: no handler, no rollback, no clean-up runs
    process.communicate()


def test_kill_9_at_any_moment_of_an_ingest_leaves_whole_issues_and_the_old_content(
        db: Path, corpus: Path, reference: dict[str, tuple[int, int, int]]) -> None:
    before = answers(db, QUESTIONS[:4])
    rng = random.Random(9)
    held_after: list[int] = []
    for attempt in range(8):
        with bulletin(db, "ingest", corpus) as process:  # closes its pipes whatever happens
            if attempt % 4 == 0:  # at a random moment of start-up or parsing
                time.sleep(rng.uniform(0.05, 0.6))
            elif attempt % 2:  # inside a write transaction
                wait_for_write(db, process, time.monotonic() + 20)
            else:  # between or during commits, a few issues further on (however fast the machine)
                wait_for_issues(db, process, (held_after or [0])[-1] + rng.randint(1, 12), time.monotonic() + 20)
            if process.poll() is not None:
                break
            kill(process)
        held = assert_sound(db, reference)
        assert sorted(held) == sorted(set(reference) - {SAMPLE_NAME})[:len(held)]  # one after another, each whole
        assert answers(db, QUESTIONS[:4]) == before  # the sample answers exactly as before
        held_after.append(len(held))
    assert len(held_after) >= 5, held_after
    assert held_after[-1] < ISSUES  # killed mid-way, not after the end

    process = bulletin(db, "ingest", corpus)  # the same command again finishes the job
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    statuses = [line.split()[0] for line in out.splitlines()]
    assert statuses == ["unchanged"] * held_after[-1] + ["added"] * (ISSUES - held_after[-1])
    assert len(assert_sound(db, reference)) == ISSUES


def test_kill_9_during_a_reindex_leaves_the_old_index_or_the_new_never_a_mix(
        big_db: Path, tmp_path: Path, reference: dict[str, tuple[int, int, int]]) -> None:
    before = ask_all(big_db, QUESTIONS)
    for delay in (0.0, 0.1, 0.3):  # after the write began: at once, and later into it (or past its commit)
        db = Path(shutil.copy(big_db, tmp_path / f"big-{delay}.db"))
        old_ids = query(db, "SELECT id FROM chunks ORDER BY id")
        process = bulletin(db, "reindex")
        assert wait_for_write(db, process, time.monotonic() + 60), process.communicate()
        time.sleep(delay)
        kill(process)
        assert len(assert_sound(db, reference)) == ISSUES
        ids = query(db, "SELECT id FROM chunks ORDER BY id")
        assert len(ids) == len(old_ids)
        assert ids == old_ids or ids[0][0] > old_ids[-1][0]  # wholly the old index or wholly the new
        assert ask_all(db, QUESTIONS) == before


def test_two_ingests_at_once_take_turns_and_both_succeed(
        db: Path, corpus: Path, tmp_path: Path, reference: dict[str, tuple[int, int, int]]) -> None:
    halves = tmp_path / "first", tmp_path / "second"
    for index, half in enumerate(halves):
        half.mkdir()
        for path in sorted(corpus.iterdir())[index * 40: index * 40 + 60]:  # 20 files in both halves
            shutil.copy(path, half / path.name)
    processes = [bulletin(db, "ingest", half) for half in halves]
    outputs = [p.communicate(timeout=120) for p in processes]

    for process, (out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert "locked" not in err
        assert "busy" not in err
        assert len(out.splitlines()) == 60
    statuses = [line.split()[0] for out, _ in outputs for line in out.splitlines()]
    assert sorted(set(statuses)) == ["added", "unchanged"]
    assert statuses.count("added") == ISSUES  # each of the shared files added once, by whichever came first
    assert len(assert_sound(db, reference)) == ISSUES


def test_a_second_writer_waits_for_the_first_however_long_it_takes(db: Path, corpus: Path) -> None:
    lock = os.open(f"{db}.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # what a long ingest or reindex in another process holds
        process = bulletin(db, "ingest", corpus / "issue-001.txt")
        time.sleep(4)
        assert process.poll() is None  # still waiting, not failed
        fcntl.flock(lock, fcntl.LOCK_UN)
        out, err = process.communicate(timeout=60)
    finally:
        os.close(lock)
    assert process.returncode == 0, err
    assert out.startswith("added     issue-001.txt")
    assert "waiting for another ingest or reindex of this database to finish" in err


def test_readers_in_another_process_see_the_old_index_or_the_new_never_a_mix(big_db: Path, tmp_path: Path) -> None:
    db = Path(shutil.copy(big_db, tmp_path / "big.db"))
    total, old_max = query(db, "SELECT count(*), max(id) FROM chunks")[0]
    seen: list[tuple[int, int, int]] = []
    done = threading.Event()

    def read() -> None:
        with closing(sqlite3.connect(db, isolation_level=None)) as reader:
            while not done.is_set():
                reader.execute("BEGIN")
                seen.append(reader.execute("SELECT count(*), min(id), max(id) FROM chunks").fetchone())
                reader.execute("COMMIT")

    thread = threading.Thread(target=read)
    thread.start()
    try:
        process = bulletin(db, "reindex")
        _, err = process.communicate(timeout=120)
    finally:
        done.set()
        thread.join()
    assert process.returncode == 0, err
    assert all(count == total for count, _, _ in seen)
    old = [s for s in seen if s[2] <= old_max]
    new = [s for s in seen if s[1] > old_max]
    assert len(old) + len(new) == len(seen)  # every snapshot is wholly old or wholly new
    assert old
    assert new
    assert seen.index(new[0]) == len(old)  # and once new, never old again


@pytest.mark.parametrize("children", [False, True], ids=["thread", "child processes"])
def test_questions_during_a_reindex_are_all_answered_from_the_old_index_until_the_switch(
        children: bool, big_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Path(shutil.copy(big_db, tmp_path / "big.db"))
    # this corpus is small enough for a thread; the child processes a large one gets are made to run too
    monkeypatch.setattr(ingest_module, "PROCESS_MIN_CHARS", 0 if children else 10**9)
    expected = {q: a["answer"] for q, a in ask_all(db, QUESTIONS).items()}  # the answer as rendered

    async def run() -> tuple[int, int]:
        service = await Service.open(db)
        try:
            old = service.engine
            task = asyncio.create_task(service.reindex())
            during = 0
            while not task.done():
                await asyncio.sleep(0.01)  # a busy bot: a hundred questions a second
                question = QUESTIONS[during % len(QUESTIONS)]
                engine = service.engine
                assert engine is old or task.done()
                assert render_plain(service.ask(question, during).answer) == expected[question]
                during += 1
            result = await task
            assert service.engine is not old
            for question, answer in expected.items():
                assert render_plain(service.ask(question, 1).answer) == answer
            return during, result.chunks
        finally:
            await service.close()

    during, chunks = asyncio.run(run())
    assert during >= 20  # the reindex did not hold up the answering
    assert chunks == query(db, "SELECT count(*) FROM chunks")[0][0]


@pytest.fixture(autouse=True)
def _no_stray_children() -> Iterator[None]:
    yield
    leftover = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _is_ours(p)]
    assert not leftover, "a child process outlived its test"


def _is_ours(proc: Path) -> bool:
    try:
        cmdline = (proc / "cmdline").read_bytes()
        parent = int((proc / "stat").read_text().split(") ", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return False
    return parent == os.getpid() and b"-m\x00bot" in cmdline and b"(zombie)" not in cmdline
