"""Dump every answer of the open question sets, to tell whether a change moved any: python -m bot.tools.answer_dump.

    python -m bot.tools.answer_dump --out before.jsonl [--bench-db DB --bench-seed 7 --bench-questions 320]
    python -m bot.tools.answer_dump --compare before.jsonl after.jsonl
    python -m bot.tools.answer_dump --golden tests/data/answers.jsonl   (the record tests/test_unchanged.py checks)

A speed change must not change a choice: each question's answer is written with its figures, their chunks and
scores, and its passages, so two dumps compare exactly (scores to 1e-9).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bot.answering.engine import Engine
from bot.answering.models import Answer, FigureHit
from bot.tools.dataset import _engine
from bot.tools.evaluate import load_questions
from bot.tools.synthetic import questions as bench_questions
from bot.tools.synthetic import write_corpus
from bot.tools.train import ROOT, labelled_sets
from index import BulletinError, Segmenter, Store, ingest_paths, open_library

PLACES = 9  # decimal places of a score kept: summing in another order may move the last bits, not a choice
GOLDEN_CHUNKS = 1500  # the synthetic corpus of the golden record: every question shape, ingested in seconds
GOLDEN_QUESTIONS = 240


def record(answer: Answer) -> dict[str, Any]:
    """Return what an answer chose, in a form two runs compare exactly."""
    def figure(item: FigureHit) -> list[Any]:
        return [item.figure.text, item.figure.value, item.figure.start, item.chunk.id, round(item.score, PLACES)]
    return {"found": answer.found, "headline": answer.headline, "quote": answer.quote,
            "chunk": answer.chunk.id if answer.chunk else None,
            "figures": [figure(f) for f in answer.figures], "series": [figure(f) for f in answer.series],
            "elsewhere": [figure(f) for f in answer.elsewhere],
            "hits": [[h.chunk.id, round(h.score, PLACES), h.rank] for h in answer.hits]}


def dump(engine: Engine, name: str, asked: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Ask each question and yield its record (an error's message in place of an answer)."""
    for text in asked:
        try:
            yield {"set": name, "q": text, **record(engine.ask(text))}
        except BulletinError as e:
            yield {"set": name, "q": text, "error": str(e)}


async def _ingested(db: Path, folder: Path) -> Engine:
    segmenter = Segmenter()
    async with await Store.open(db, create=True) as store:
        await ingest_paths(store, segmenter, [folder])
        return Engine(segmenter, (await open_library(store))[1])


async def _bench_engine(db: Path) -> Engine:
    async with await Store.open(db, create=False) as store:
        segmenter = Segmenter()
        return Engine(segmenter, (await open_library(store))[1])


def golden_sets(work: Path) -> Iterator[tuple[str, Engine, list[str]]]:
    """Yield the project's own question sets with an engine over their corpus: the record tests compare with."""
    data, tests = ROOT / "data" / "bulletins", ROOT / "tests"
    engine = asyncio.run(_engine(work / "corpus.db", (data, tests / "data" / "bulletins")))
    asked = [q["q"] for name in ("corpus.jsonl", "sample.jsonl") for q in load_questions(tests / "qa" / name)]
    yield "corpus", engine, asked
    corpus = write_corpus(work / "synthetic", GOLDEN_CHUNKS, 7)
    engine = asyncio.run(_ingested(work / "synthetic.db", corpus.folder))
    yield "synthetic", engine, bench_questions(7, corpus.files, GOLDEN_QUESTIONS)


def compare(before: Path, after: Path) -> int:
    """Print each question whose record differs; return how many do."""
    old = [json.loads(line) for line in before.read_text(encoding="utf-8").splitlines()]
    new = [json.loads(line) for line in after.read_text(encoding="utf-8").splitlines()]
    if [(r["set"], r["q"]) for r in old] != [(r["set"], r["q"]) for r in new]:
        print("the two dumps hold different questions", file=sys.stderr)
        return max(len(old), len(new))
    changed = 0
    for a, b in zip(old, new, strict=True):
        if a != b:
            changed += 1
            keys = [k for k in a.keys() | b.keys() if a.get(k) != b.get(k)]
            print(f"{a['set']}: {a['q']}: {', '.join(sorted(keys))}")
            for key in sorted(keys)[:2]:
                print(f"  - {json.dumps(a.get(key), ensure_ascii=False)[:300]}\n  + {json.dumps(b.get(key), ensure_ascii=False)[:300]}")
    print(f"{changed} of {len(old)} answers differ", file=sys.stderr)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tools.answer_dump", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the records here (JSON Lines)")
    parser.add_argument("--golden", type=Path, help="write the project's own sets' records here")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--bench", type=Path, default=ROOT.parent / "shared" / "bench")
    parser.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "real-bulletins")
    parser.add_argument("--sets", default="cmrc,drcd,real,sample", help="which open sets (comma-separated; '' none)")
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "answer-dump", help="the sets' databases")
    parser.add_argument("--bench-db", type=Path, help="a `bulletin bench --workdir` database to ask too")
    parser.add_argument("--bench-seed", type=int, default=7)
    parser.add_argument("--bench-files", type=int, help="issues in the bench corpus (from its database if left out)")
    parser.add_argument("--bench-questions", type=int, default=320)
    args = parser.parse_args(argv)
    if args.compare:
        return 1 if compare(*args.compare) else 0
    if args.golden is not None:
        with tempfile.TemporaryDirectory(prefix="bulletin-golden-") as work:
            rows = [r for name, engine, asked in golden_sets(Path(work)) for r in dump(engine, name, asked)]
        args.golden.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        return 0
    if args.out is None:
        parser.error("--out, --golden or --compare is needed")
    wanted = {s for s in args.sets.split(",") if s}
    records: list[dict[str, Any]] = []
    for labelled in labelled_sets(args.bench, args.real, ROOT / "data", args.work / "corpora"):
        if labelled.name in wanted:
            db = args.work / f"{labelled.name}.db"
            for suffix in ("", "-wal", "-shm", ".lock"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            engine = asyncio.run(_engine(db, labelled.corpus))
            records += dump(engine, labelled.name, [q["q"].replace("\n", " ") for q in labelled.questions])
            print(f"{labelled.name}: {len(labelled.questions)} questions", file=sys.stderr)
    if args.bench_db is not None:
        engine = asyncio.run(_bench_engine(args.bench_db))
        files = args.bench_files or len(engine.library.issue_chunks())
        records += dump(engine, "bench", bench_questions(args.bench_seed, files, args.bench_questions))
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
