"""Benchmark `bulletin reindex`, and the answering while it runs.

Run it from the project's root, in the project's environment:

    python tests/bench_reindex.py --chunks 10000 --seed 7 [--workdir /tmp/benchre] [--before 3] [--gap MS]

It
1. writes the synthetic corpus of bulletin-like .txt issues (bot.tools.synthetic, seeded: the same arguments give the
   same files) sized to about --chunks stored chunks, and ingests it with the real CLI in a subprocess
   (`bulletin ingest`);
2. times `bulletin reindex` in a fresh process (wall time, and the time the command prints);
3. opens the bot's Service in this process and times questions (a fixed list of place, measure and word
   questions, asked round-robin): for --before seconds with no reindex, then while `service.reindex()` runs
   in this process, then while `bulletin reindex` runs in another process on the same database;
4. prints one table of the figures (per phase: the Service's latency_ms, the wall time around ask, the asking
   thread's CPU time, the difference, and how long the event loop kept the next question waiting), and writes
   them with every sample as JSON beside the database.

Questions go back to back by default, a flood that gives the event loop one turn between them; --gap MS
spaces them out instead.

Everything it makes stays in --workdir (the corpus folder, the database, the jieba cache, the JSON). Not a
pytest test: pytest only collects test_*.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path

import index
from bot.ops.service import Service
from bot.tools.synthetic import Corpus, write_corpus

# Questions asked round-robin: place + measure (figures), totals, and word questions.
QUESTIONS = (
    "浦东累计建成多少个快递驿站",
    "2023年闵行新增多少套公租房",
    "徐汇有多少个快递网点",
    "松江快递业务量同比增长多少",
    "嘉定建成了多少个快递驿站",
    "青浦有多少套公租房",
    "宝山有多少快递员",
    "奉贤今年新增多少个快递网点",
    "静安智能快件箱项目投资多少亿元",
    "杨浦的公租房一共租赁了多少平方米",
    "2022年金山完成快递业务量多少万件",
    "崇明受理了多少件快递服务投诉",
    "长宁和徐汇一共有多少个快递网点",
    "全市累计建成多少个快递驿站",
    "虹口快递员劳动合同签订率是多少",
    "普陀新增多少组智能快件箱",
    "2021年黄浦新增多少套公租房",
    "闵行快递驿站服务多少万居民",
    "各区分别有多少个快递网点",
    "浦东2024年快递业务量同比增长多少",
    "浦东邮政管理局哪天与区总工会召开专题会议",
    "奉贤依托行业党建联盟成立的驿站叫什么",
    "长宁局在哪里召开关心关爱快递小哥工作推进会",
    "松江局哪天召开快递员权益保障座谈会",
    "什么是暖锋行动",
    "快递小哥驿站提供哪些服务",
    "青浦局如何推进快递员公租房保障",
    "嘉定局下一步有什么打算",
    "智能快件箱建设进展如何",
    "快递服务投诉处理满意率是多少",
)

# --- the CLI in subprocesses --------------------------------------------------------------------------------


def bulletin_command() -> list[str]:
    """The real CLI: the `bulletin` script beside this Python, else `python -m bot`."""
    script = Path(sys.executable).with_name("bulletin")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


@dataclass
class Run:
    """One CLI command: its wall time, the seconds it printed, and its summary line."""

    wall: float
    printed: float
    summary: str


def run_cli(workdir: Path, *argv: str | Path) -> Run:
    """Run `bulletin ARGS` in workdir (no .env of the project's) and time it; exit on failure."""
    started = time.perf_counter()
    done = subprocess.run([*bulletin_command(), *map(str, argv)], cwd=workdir, capture_output=True, text=True,
                          check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"bulletin {' '.join(map(str, argv))} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return parse_run(wall, done.stdout, done.stderr)


def parse_run(wall: float, stdout: str, stderr: str) -> Run:
    """Find the command's own summary line (… in 12.34 s) in its output."""
    for line in reversed([*stderr.splitlines(), *stdout.splitlines()]):
        if m := re.search(r" in ([\d.]+) s$", line):
            return Run(wall, float(m[1]), line)
    return Run(wall, float("nan"), "")


def db_counts(db: Path) -> dict[str, int]:
    """Count the stored rows, straight from SQLite."""
    with closing(sqlite3.connect(db)) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("bulletins", "articles", "chunks", "figures")}


# --- questions in this process ------------------------------------------------------------------------------


@dataclass
class Phase:
    """Questions asked during one phase: latencies in ms (the Service's own, wall around ask, thread CPU)."""

    name: str
    seconds: float = 0.0
    at: list[float] = field(default_factory=list)  # when each was asked, seconds into the phase
    latency: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    turn: list[float] = field(default_factory=list)  # how long the event loop kept the next question waiting
    found: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def asked(self) -> int:
        """How many questions were asked, answered or not."""
        return len(self.wall) + len(self.errors)

    @property
    def waited(self) -> list[float]:
        """Wall time not spent running the asking thread: waiting for the GIL, a lock or a CPU."""
        return [max(w - c, 0.0) for w, c in zip(self.wall, self.cpu, strict=True)]


@dataclass
class Live:
    """What the in-process measurements found."""

    phases: list[Phase]
    reindex_seconds: float  # service.reindex() as the task ran (re-derive, write, load the new library)
    reindex_reported: float  # the seconds its ReindexResult says
    reindex_chunks: int
    other_process: Run
    caught_up: bool  # this service loaded the other process's reindex


async def ask_while(service: Service, phase: Phase, busy: Callable[[], bool], turn: list[int], gap: float) -> Phase:
    """Ask the questions round-robin while busy() holds, giving the event loop a turn (and gap s) after each."""
    started = time.perf_counter()
    while busy():
        question = QUESTIONS[turn[0] % len(QUESTIONS)]
        turn[0] += 1
        cpu = time.thread_time()
        wall = time.perf_counter()
        phase.at.append(wall - started)
        try:
            asked = service.ask(question, user_id=turn[0] % 7)
        except Exception as e:  # counted: every question must be answered
            phase.errors.append(f"{question}: {type(e).__name__}: {e}")
        else:
            phase.wall.append((time.perf_counter() - wall) * 1000)
            phase.cpu.append((time.thread_time() - cpu) * 1000)
            phase.latency.append(asked.latency_ms)
            phase.found += asked.answer.found
        paused = time.perf_counter()
        await asyncio.sleep(gap)
        # a question arriving now would wait this long for the loop (a reindex's work on it, its callbacks)
        phase.turn.append(max(time.perf_counter() - paused - gap, 0.0) * 1000)
    phase.seconds = time.perf_counter() - started
    return phase


async def measure_live(db: Path, workdir: Path, before: float, gap: float) -> Live:
    """Time questions before any reindex, during one in this process, and during one in another process."""
    service = await Service.open(db)
    try:
        turn = [0]
        for question in QUESTIONS:  # warm up: first-use costs are not latency
            service.ask(question, user_id=0)

        deadline = time.perf_counter() + before  # then to the end of a round: every question as often
        quiet = await ask_while(service, Phase("before any reindex"),
                                lambda: time.perf_counter() < deadline or turn[0] % len(QUESTIONS) != 0, turn, gap)

        started = time.perf_counter()
        task = asyncio.create_task(service.reindex())
        during = await ask_while(service, Phase("during service.reindex() (this process)"),
                                 lambda: not task.done(), turn, gap)
        result = await task
        reindex_seconds = time.perf_counter() - started
        say(f"service.reindex() took {reindex_seconds:.1f} s, {during.asked} questions meanwhile")

        await service.flush()
        proc = await asyncio.create_subprocess_exec(*bulletin_command(), "--db", str(db), "reindex", cwd=workdir,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        started = time.perf_counter()
        waiting = asyncio.create_task(proc.communicate())
        other = await ask_while(service, Phase("during `bulletin reindex` (other process)"),
                                lambda: not waiting.done(), turn, gap)
        stdout, stderr = await waiting
        other_run = parse_run(time.perf_counter() - started, stdout.decode(), stderr.decode())
        say(f"`bulletin reindex` in another process took {other_run.wall:.1f} s, {other.asked} questions meanwhile")
        if proc.returncode != 0:
            sys.exit(f"bulletin reindex (another process) failed ({proc.returncode}):\n{stderr.decode()[-2000:]}")
        # the service notices the other process's reindex (its generation) at its next watch, then loads it
        target = await service.store.generation()
        limit = time.perf_counter() + 120
        catching = await ask_while(service, Phase("after it, until this service loaded it"),
                                   lambda: service.generation < target and time.perf_counter() < limit, turn, gap)
        return Live([quiet, during, other, catching], reindex_seconds, result.seconds, result.chunks, other_run,
                    caught_up=service.generation >= target)
    finally:
        await service.close()


# --- the report ---------------------------------------------------------------------------------------------


def say(text: str) -> None:
    """Tell how far the run is (stderr: the table on stdout stays whole)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def code_version() -> str:
    """Which code is measured: the folder `index` is imported from, and its git commit when it is a checkout."""
    root = Path(index.__file__).resolve().parent.parent
    git = ["git", "-C", str(root)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    if head.returncode != 0:
        return f"{root} (not a git checkout)"
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "bot", "index"], capture_output=True, text=True,
                           check=False).stdout.strip()
    return f"{root} at {head.stdout.strip()}" + (" with uncommitted changes in bot/ or index/" if dirty else "")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated between the nearest ranks; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def report(args: argparse.Namespace, corpus: Corpus, ingest: Run, counts: dict[str, int], fresh: Run,
           live: Live, load: tuple[float, float]) -> str:
    """The figures as one compact table."""
    out = [
        f"bench_reindex  --chunks {args.chunks} --seed {args.seed}   machine: {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"GIL switch interval {sys.getswitchinterval() * 1000:g} ms, "
        f"load average {load[0]:.2f} at the start, {load[1]:.2f} at the end",
        f"code      {code_version()}",
        f"corpus    {corpus.files:,} issues, {corpus.bytes / 1e6:.1f} MB of text, {corpus.chunks:,} chunks "
        f"written, in {corpus.seconds:.1f} s",
        f"ingest    `bulletin ingest FOLDER`: {ingest.wall:.1f} s wall (it printed {ingest.printed:.1f} s: "
        f"{ingest.summary.split(' in ')[0]})",
        f"stored    {counts['bulletins']:,} issues, {counts['articles']:,} articles, {counts['chunks']:,} chunks, "
        f"{counts['figures']:,} figures (SELECT count(*) after ingest)",
        f"reindex   `bulletin reindex`, fresh process, nothing else running: {fresh.wall:.2f} s wall, "
        f"{fresh.printed:.2f} s printed (start-up: imports, jieba, open: {fresh.wall - fresh.printed:.2f} s)",
        f"          service.reindex() in the answering process: {live.reindex_seconds:.2f} s "
        f"(ReindexResult {live.reindex_reported:.2f} s incl. loading the new index; {live.reindex_chunks:,} chunks)",
        f"          `bulletin reindex` in another process while answering: {live.other_process.wall:.2f} s wall, "
        f"{live.other_process.printed:.2f} s printed; this service loaded its result: "
        f"{'yes' if live.caught_up else 'NO'}",
        "",
        f"questions: {len(QUESTIONS)} distinct, round-robin, "
        + (f"{args.gap:g} ms apart" if args.gap else "back to back (one event-loop turn between them)")
        + "; ms. waited = wall - the asking thread's CPU time (GIL, locks, CPU);",
        "  loop turn = how long the event loop was busy between two questions (what a new question would wait)",
        f"{'phase':<42} {'secs':>6}  {'clock':<10} {'n':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7}  answered",
    ]
    for phase in live.phases:
        answered = f"{len(phase.wall)}/{phase.asked}, {len(phase.errors)} errors, {phase.found} found"
        clocks = (("latency_ms", phase.latency), ("wall", phase.wall), ("thread CPU", phase.cpu),
                  ("waited", phase.waited), ("loop turn", phase.turn))
        for i, (clock, values) in enumerate(clocks):
            lead = f"{phase.name:<42} {phase.seconds:>6.1f}" if i == 0 else " " * 49
            out.append(f"{lead}  {clock:<10} {len(values):>6} " + " ".join(
                f"{percentile(values, q):>7.1f}" for q in (50, 95, 99, 100)) + (f"  {answered}" if i == 0 else ""))
    for phase in live.phases:
        out.extend(f"  error ({phase.name}): {e}" for e in phase.errors[:5])
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status (1 when a question failed)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--chunks", type=int, default=10_000, help="about how many chunks to store (10000)")
    parser.add_argument("--seed", type=int, default=7, help="the corpus generator's seed (7)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/benchre"), help="where to put everything")
    parser.add_argument("--before", type=float, default=3.0, help="seconds of questions before any reindex (3)")
    parser.add_argument("--gap", type=float, default=0.0,
                        help="ms between questions (0: back to back, the event loop gets one turn between them)")
    args = parser.parse_args(argv)

    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    # this process and the CLI's share one jieba cache in the workdir; no inherited database
    os.environ["BULLETIN_CACHE_DIR"] = str(workdir / "jieba-cache")
    os.environ.pop("BULLETIN_DB", None)
    stem = f"bench-{args.chunks}-{args.seed}"
    db = workdir / f"{stem}.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)

    load_before = os.getloadavg()[0]  # another program busy on the machine shows here
    corpus = write_corpus(workdir / f"{stem}-corpus", args.chunks, args.seed)
    say(f"wrote {corpus.files} issues ({corpus.chunks} chunks) in {corpus.folder}; ingesting")
    ingest = run_cli(workdir, "--db", db, "ingest", corpus.folder)
    counts = db_counts(db)
    say(f"ingested {counts['chunks']} chunks in {ingest.wall:.1f} s; `bulletin reindex` in a fresh process")
    fresh = run_cli(workdir, "--db", db, "reindex")
    say(f"reindexed in {fresh.wall:.1f} s; questions before, during service.reindex(), during `bulletin reindex`")
    live = asyncio.run(measure_live(db, workdir, args.before, args.gap / 1000))

    load = (load_before, os.getloadavg()[0])
    print(report(args, corpus, ingest, counts, fresh, live, load))
    figures = {"args": {k: str(v) for k, v in vars(args).items()}, "cpus": os.cpu_count(),
               "python": platform.python_version(), "load": load, "corpus": {**asdict(corpus), "folder": str(corpus.folder)},
               "ingest": asdict(ingest), "counts": counts, "reindex_fresh_process": asdict(fresh),
               "live": asdict(live)}
    (workdir / f"{stem}.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if any(p.errors for p in live.phases) else 0


if __name__ == "__main__":
    sys.exit(main())
