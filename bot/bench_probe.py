"""The timings of `bulletin bench` that run in a child process, so each one's memory is its own.

    python -m bot.bench_probe ask|naive DB < {"warm": [...], "timed": [...]}

prints one JSON object: the per-question milliseconds, and the memory at each step.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sqlite3
import sys
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from rank_bm25 import BM25Plus

from bot.engine import Engine, normalize_question, prepare
from bot.question import analyze
from index import Segmenter, Store

NAIVE_K1 = 1.2  # the searcher's k1: the naive baseline ranks as the app's first searcher did
_INDEXED_TOKENS = ("SELECT c.tokens FROM chunks c JOIN articles a ON a.id = c.article_id"
                   " JOIN bulletins b ON b.id = a.bulletin_id WHERE b.state = 'indexed' ORDER BY c.id")


def memory() -> dict[str, float] | None:
    """This process's resident memory now and at its peak (VmRSS, VmHWM) in MB; None off Linux."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "peak_mb": int(fields["VmHWM"].split()[0]) / 1024}


async def load_engine(db: Path) -> Engine:
    """Open the store and load the engine as `bulletin ask` does."""
    async with await Store.open(db, create=False) as store:
        segmenter = Segmenter()
        await prepare(store, segmenter)  # a no-op on a fresh ingest, but the app pays for the check
        return await Engine.load(store, segmenter)


def probe_ask(db: Path, warm: Sequence[str], timed: Sequence[str]) -> dict[str, Any]:
    """Load the engine, ask the warm-up questions, then time each timed one: the whole Engine.ask."""
    imported = memory()
    started = time.perf_counter()
    engine = asyncio.run(load_engine(db))
    load_s = time.perf_counter() - started
    loaded = memory()
    for question in warm:
        engine.ask(question)
    # the loaded index lives as long as the process: the collector need not walk it during the questions
    gc.collect()
    gc.freeze()
    ms: list[float] = []
    cpu_ms: list[float] = []  # this thread's CPU time: on a busy machine, the part of the wall time that is ours
    found = 0
    for question in timed:
        started, cpu = time.perf_counter(), time.thread_time()
        answer = engine.ask(question)
        ms.append((time.perf_counter() - started) * 1000)
        cpu_ms.append((time.thread_time() - cpu) * 1000)
        found += answer.found
    return {"load_s": load_s, "ms": ms, "cpu_ms": cpu_ms, "found": found, "slowest": timed[ms.index(max(ms))],
            "memory": {"imported": imported, "loaded": loaded, "asked": memory()}}


def indexed_tokens(db: Path) -> list[list[str]]:
    """Every indexed chunk's stored terms, in chunk order (read-only: the benchmark changes nothing)."""
    with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        return [row[0].split() for row in conn.execute(_INDEXED_TOKENS)]


def probe_naive(db: Path, timed: Sequence[str]) -> dict[str, Any]:
    """Build rank-bm25's BM25Plus over the stored terms and time get_scores for each question's search terms."""
    imported = memory()
    started = time.perf_counter()
    corpus = indexed_tokens(db)
    bm25 = BM25Plus(corpus, k1=NAIVE_K1)
    build_s = time.perf_counter() - started
    segmenter = Segmenter()
    # the terms the engine searches with (bot.answer: library.search(question.terms, …))
    terms = [list(analyze(normalize_question(q), segmenter).terms) for q in timed]
    ms: list[float] = []
    for question_terms in terms:
        started = time.perf_counter()
        bm25.get_scores(question_terms)
        ms.append((time.perf_counter() - started) * 1000)
    return {"build_s": build_s, "chunks": len(corpus), "ms": ms, "memory": {"imported": imported, "built": memory()}}


def main(argv: Sequence[str]) -> int:
    """Run one probe; the questions come as JSON on stdin, the figures go as JSON to stdout."""
    if len(argv) != 2 or argv[0] not in ("ask", "naive"):
        print("usage: python -m bot.bench_probe ask|naive DB < questions.json", file=sys.stderr)
        return 2
    given = json.load(sys.stdin)
    db = Path(argv[1])
    result = probe_ask(db, given["warm"], given["timed"]) if argv[0] == "ask" else probe_naive(db, given["timed"])
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
