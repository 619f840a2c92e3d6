"""`bulletin bench`: time ingest, start-up, questions and a naive BM25 on a seeded synthetic corpus.

Everything runs as the app runs it: the real CLI in subprocesses (`bulletin ingest`, `bulletin ask`), and the
engine in a child process of its own (bot.tools.bench_probe), so the memory measured is the engine's alone.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.tools.bench_report import Report, figures, machine
from bot.tools.synthetic import Corpus, questions, run_on_text, write_corpus
from index import BulletinError, index_root

WARM_UP = 20  # questions asked before timing: first-use costs (caches, lazy imports) are not per-question latency
STARTUP_RUNS = 3  # warm start-ups after the first; their median is reported
STARTUP_QUESTION = "浦东累计建成多少个快递驿站"
MAX_CHUNKS = 10_000_000
RUN_ON_FIGURES = 8_000  # the adversarial file: one sentence of this many figures (about 150 KB, as the probe sent)


class BenchError(BulletinError):
    """The benchmark cannot run: a bad option, or a command it runs failed."""


class BadOption(BenchError):
    """An option out of range."""


@dataclass(frozen=True)
class Options:
    """What `bulletin bench` was asked to do."""

    chunks: int
    seed: int = 7
    workdir: Path | None = None  # None: a temporary folder, deleted at the end
    questions: int = 300
    naive: int = 20
    json: Path | None = None


def check(options: Options) -> None:
    """Refuse options that cannot work, before anything is written."""
    if not 1 <= options.chunks <= MAX_CHUNKS:
        raise BadOption(f"--chunks must be between 1 and {MAX_CHUNKS:,}")
    if options.questions < 1:
        raise BadOption("--questions must be at least 1")
    if not 0 <= options.naive <= options.questions:
        raise BadOption("--naive must be between 0 and --questions")
    if options.json is not None and not options.json.resolve().parent.is_dir():
        raise BadOption(f"--json: no folder {options.json.resolve().parent}")
    if options.workdir is not None and options.workdir.exists() and not options.workdir.is_dir():
        raise BadOption(f"--workdir: {options.workdir} is not a folder")


def say(text: str) -> None:
    """Tell how far the run is (stderr: the table on stdout stays whole)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def bench(options: Options, progress: Callable[[str], None] = say) -> Report:
    """Run the whole benchmark; write --json if asked; return the report."""
    check(options)
    temporary = options.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="bulletin-bench-")) if options.workdir is None else options.workdir.resolve()
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        report = _measure(options, workdir, progress)
    finally:
        if temporary:
            shutil.rmtree(workdir, ignore_errors=True)
    if options.json is not None:
        options.json.write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return report


def _measure(options: Options, workdir: Path, progress: Callable[[str], None]) -> Report:
    stem = f"{options.chunks}-{options.seed}"
    db = workdir / f"bench-{stem}.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "BULLETIN_CACHE_DIR": str(workdir / "cache")}  # the user's own cache stays untouched
    env.pop("BULLETIN_DB", None)
    try:
        corpus = write_corpus(workdir / f"corpus-{stem}", options.chunks, options.seed)
    except OSError as e:
        raise BenchError(f"cannot write the corpus: {e}") from None
    progress(f"wrote {corpus.files:,} issues ({corpus.chunks:,} chunks, {corpus.bytes / 1e6:.1f} MB) in "
             f"{corpus.seconds:.1f} s; `bulletin ingest`")
    load_start = os.getloadavg()[0]  # another program busy on the machine shows here
    ingest_s, ingest_cpu = _ingest(corpus, db, workdir, env)
    stored = stored_counts(db)
    progress(f"ingested {stored['chunks']:,} chunks in {ingest_s:.1f} s; {1 + STARTUP_RUNS} fresh `bulletin ask`")
    startups = [_ask_once(db, workdir, env) for _ in range(1 + STARTUP_RUNS)]
    asked = questions(options.seed, corpus.files, WARM_UP + options.questions)
    warm, timed = asked[:WARM_UP], asked[WARM_UP:]
    progress(f"{options.questions} questions in a child process (after {WARM_UP} to warm up)"
             + (f", then naive BM25Plus on {options.naive} of them" if options.naive else ""))
    ask = _probe(db, workdir, env, {"warm": warm, "timed": timed, "naive": options.naive})
    naive = ask.get("naive")
    progress(f"growth: the corpus stores {stored_bytes(db) / 1e6:.1f} MB; ingesting a run-on sentence of "
             f"{RUN_ON_FIGURES:,} figures")
    growth = {"normal_bytes": stored_bytes(db), **_run_on(workdir, env)}
    args = {"chunks": options.chunks, "seed": options.seed, "questions": options.questions, "naive": options.naive,
            "workdir": str(workdir) if options.workdir else None}
    return Report(args=args, machine=machine(load_start), corpus=corpus, stored=stored,
                  figures=figures(corpus, stored, (ingest_s, ingest_cpu), startups, ask, naive, growth), samples={
                      "startup_s": [s for s, _ in startups], "ask_ms": ask["ms"], "ask_cpu_ms": ask["cpu_ms"],
                      "ask_shapes": ask["shapes"], "ask_repeated": ask["repeated"],
                      "naive_ms": naive["ms"] if naive else [], "naive_ask_ms": naive["ask_ms"] if naive else [],
                      "questions": timed})


def bulletin_command() -> list[str]:
    """The real CLI: the `bulletin` script beside this Python, else `python -m bot`."""
    script = Path(sys.executable).with_name("bulletin")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def _ingest(corpus: Corpus, db: Path, workdir: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run `bulletin ingest FOLDER --db DB`; return its wall and CPU time. Its per-file lines go to ingest.log."""
    log = workdir / "ingest.log"
    with log.open("w", encoding="utf-8") as out:
        cpu = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run([*bulletin_command(), "ingest", str(corpus.folder), "--db", str(db)], cwd=workdir,
                              env=env, stdout=out, stderr=subprocess.PIPE, text=True, check=False)
        wall = time.perf_counter() - started
        cpu = _children_cpu() - cpu
    if done.returncode != 0:
        refused = [ln for ln in log.read_text(encoding="utf-8").splitlines() if ln.startswith("refused")]
        raise BenchError(f"bulletin ingest failed ({done.returncode}): {_last(done.stderr)}"
                         + (f"; {refused[0]}" if refused else ""))
    return wall, cpu


def _run_on(workdir: Path, env: dict[str, str]) -> dict[str, float]:
    """Ingest the adversarial file into a database of its own and ask once (which saves its index); return its
    characters, ingest seconds and stored bytes."""
    folder = workdir / "run-on"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    text = run_on_text(RUN_ON_FIGURES)
    (folder / "run-on.txt").write_text(text, encoding="utf-8")
    db = folder / "run-on.db"
    started = time.perf_counter()
    done = subprocess.run([*bulletin_command(), "ingest", str(folder / "run-on.txt"), "--db", str(db)], cwd=workdir,
                          env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(f"bulletin ingest of the run-on file failed ({done.returncode}): {_last(done.stderr)}")
    _ask_once(db, workdir, env)
    return {"run_on_chars": len(text), "run_on_s": seconds, "run_on_bytes": stored_bytes(db)}


def stored_bytes(db: Path) -> int:
    """Bytes a database takes on disk: the file, its WAL and its saved index."""
    index = index_root(db)
    files = [Path(f"{db}{suffix}") for suffix in ("", "-wal")] + (
        [p for p in index.rglob("*") if p.is_file()] if index.is_dir() else [])
    return sum(p.stat().st_size for p in files if p.exists())


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes, their own children included."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _ask_once(db: Path, workdir: Path, env: dict[str, str]) -> tuple[float, str]:
    """Run a fresh `bulletin ask --db DB QUESTION`; return its wall time and its answer's first line."""
    started = time.perf_counter()
    done = subprocess.run([*bulletin_command(), "ask", "--db", str(db), STARTUP_QUESTION], cwd=workdir, env=env,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(f"bulletin ask failed ({done.returncode}): {_last(done.stderr)}")
    return wall, (done.stdout.splitlines() or [""])[0]


def _probe(db: Path, workdir: Path, env: dict[str, str], given: dict[str, Any]) -> dict[str, Any]:
    """Run bot.tools.bench_probe's measurements in a child process of this Python."""
    done = subprocess.run([sys.executable, "-m", "bot.tools.bench_probe", str(db)], cwd=workdir, env=env,
                          input=json.dumps(given), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"the question probe failed ({done.returncode}): {_last(done.stderr)}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def stored_counts(db: Path) -> dict[str, int]:
    """Count what the index holds (issues in it, their articles, chunks and figures), read-only."""
    indexed = "SELECT id FROM bulletins WHERE state = 'indexed'"
    articles = f"SELECT id FROM articles WHERE bulletin_id IN ({indexed})"
    chunks = f"SELECT id FROM chunks WHERE article_id IN ({articles})"
    with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        return {name: conn.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
                for name, query in (("issues", indexed), ("articles", articles), ("chunks", chunks),
                                    ("figures", f"SELECT id FROM figures WHERE chunk_id IN ({chunks})"))}


def _last(text: str) -> str:
    """The last non-blank line of a command's stderr: its one-line error."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "(no message)"

