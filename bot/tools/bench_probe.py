"""The timings of `bulletin bench` that run in a child process, so their memory is the engine's alone.

    python -m bot.tools.bench_probe DB < {"warm": [...], "timed": [...], "naive": K}

prints one JSON object: the per-question milliseconds, shapes and repeats, and the memory at each step. The naive
BM25 is built after the asking's memory is taken, and timed beside the whole ask of the same questions.
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

from bot.answering.answer import HITS, answer
from bot.answering.engine import Engine, normalize_question, prepare
from bot.answering.question import Question, analyze
from bot.answering.render import to_json
from index import Segmenter, Store

SHAPES = ("one place", "several places", "every place", "word")  # the order the report shows them in
_FIGURE_WANTS = ("figure", "code", "date", "year", "month", "ordinal")  # the rest ask for words: a name, a passage
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


def shape_of(question: Question) -> str:
    """The question's shape, one of SHAPES: a word asked for, every place (全市/各区), several places or one."""
    if question.wants not in _FIGURE_WANTS:
        return "word"
    if question.every_place and not question.places:
        return "every place"
    if len(question.places) > 1 or len(question.towns) > 1:
        return "several places"
    return "one place"


def repeated(warm: Sequence[str], timed: Sequence[str]) -> list[bool]:
    """For each timed question, whether it was asked before (warm-up included): the engine answers it from its cache."""
    seen = {normalize_question(text) for text in warm}
    out = []
    for text in timed:
        key = normalize_question(text)  # the engine's cache key
        out.append(key in seen)
        seen.add(key)
    return out


async def load_engine(db: Path) -> Engine:
    """Open the store and load the engine as `bulletin ask` does."""
    async with await Store.open(db, create=False) as store:
        segmenter = Segmenter()
        await prepare(store, segmenter)  # a no-op on a fresh ingest, but the app pays for the check
        return await Engine.load(store, segmenter)


def probe(db: Path, warm: Sequence[str], timed: Sequence[str], naive: int) -> dict[str, Any]:
    """Time the whole ask on every timed question, then naive BM25 scoring on the first `naive` of them."""
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
    shapes = [shape_of(analyze(normalize_question(text), engine.segmenter)) for text in timed]  # after the timing
    result = {"load_s": load_s, "ms": ms, "cpu_ms": cpu_ms, "found": found, "slowest": timed[ms.index(max(ms))],
              "shapes": shapes, "repeated": repeated(warm, timed),
              "memory": {"imported": imported, "loaded": loaded, "asked": memory()}, "stages": stages(engine, timed)}
    if naive:
        result["naive"] = probe_naive(db, engine, timed[:naive])
    return result


def stages(engine: Engine, questions: Sequence[str]) -> dict[str, list[float]]:
    """Time the parts of each ask apart (ms): analysing the question (jieba and the cue patterns), the BM25 search
    the answer starts from, choosing the answer (its searches, the figure index, scoring figures), rendering JSON."""
    out: dict[str, list[float]] = {"analyse": [], "search": [], "choose": [], "json": []}
    for text in questions:
        started = time.perf_counter()
        question = analyze(normalize_question(text), engine.segmenter)
        analysed = time.perf_counter()
        engine.library.search(question.terms, k=HITS, phrase=question.focus, places=question.places)
        searched = time.perf_counter()
        reply = answer(question, engine.library)
        chosen = time.perf_counter()
        to_json(reply)
        done = time.perf_counter()
        for name, ms in (("analyse", analysed - started), ("search", searched - analysed),
                         ("choose", chosen - searched), ("json", done - chosen)):
            out[name].append(ms * 1000)
    return out


def indexed_tokens(db: Path) -> list[list[str]]:
    """Every indexed chunk's stored terms, in chunk order (read-only: the benchmark changes nothing)."""
    with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        return [row[0].split() for row in conn.execute(_INDEXED_TOKENS)]


def probe_naive(db: Path, engine: Engine, questions: Sequence[str]) -> dict[str, Any]:
    """Build rank-bm25's BM25Plus over the stored terms; time get_scores and the whole ask, question by question."""
    before = memory()
    started = time.perf_counter()
    corpus = indexed_tokens(db)
    chunks = len(corpus)
    bm25 = BM25Plus(corpus, k1=NAIVE_K1)
    del corpus  # BM25Plus keeps its own counts, not the token lists
    build_s = time.perf_counter() - started
    built = memory()
    # the terms the engine searches with (bot.answering.answer: library.search(question.terms, …))
    terms = [list(analyze(normalize_question(q), engine.segmenter).terms) for q in questions]
    gc.collect()
    gc.freeze()  # as for the questions: the counts are long-lived
    ms: list[float] = []
    ask_ms: list[float] = []
    for question, question_terms in zip(questions, terms, strict=True):
        # back to back: a machine busy with other work slows both alike, so their ratio holds
        started = time.perf_counter()
        bm25.get_scores(question_terms)
        ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        Engine(engine.segmenter, engine.library).ask(question)  # a new engine: not from the cache of the timing
        ask_ms.append((time.perf_counter() - started) * 1000)
    return {"build_s": build_s, "chunks": chunks, "ms": ms, "ask_ms": ask_ms,
            "memory": {"before": before, "built": built}}


def main(argv: Sequence[str]) -> int:
    """Run the probe; the questions come as JSON on stdin, the figures go as JSON to stdout."""
    if len(argv) != 1:
        print("usage: python -m bot.tools.bench_probe DB < questions.json", file=sys.stderr)
        return 2
    given = json.load(sys.stdin)
    json.dump(probe(Path(argv[0]), given["warm"], given["timed"], given["naive"]), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
