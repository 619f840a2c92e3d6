"""Benchmark the searcher's Postings (build, save, load, memory, top-10 latency) against rank-bm25's scan.

Run it from the project's root, in the project's environment:

    python tests/bench_search.py --chunks 100000 [--seed 7] [--questions 300] [--naive 20] [--workdir DIR]
                                 [--cmrc ../shared/bench/cmrc2018_dev.json] [--no-peers]

It
1. cuts the bundled bulletins (the sample and the three in tests/data/bulletins) into sentences and tokenizes
   each once with the project's Segmenter, then fills --chunks chunks of 60 to 180 terms (about 120) with
   terms of random sentences (seeded: the same arguments give the same corpus);
2. builds the Postings (timed, with the RSS it adds), saves it into --workdir (timed, with the files' size);
3. makes --questions questions from pieces of the corpus's sentences plus 多少/什么/的 (e.g. 召开专题会议的有多少)
   and times postings.top(terms, --k) for each, one thread: wall and CPU time, each question's least of
   --rounds passes;
4. in a fresh process: loads the saved index (timed, with the RSS it adds) and times the same questions on it;
5. the peers, the floor the project's retrieval is compared with (--no-peers skips them; each one that is not
   installed is skipped with a note: pip install -e '.[peers]'), on the same chunks and questions, one thread:
   - bm25s (numpy backend): BM25 over the same term lists, method "bm25+" with delta 1, k1 1.2, b 0.75, i.e.
     the same formula as Postings (in float32, bm25s's default); times retrieve(k) for each question;
   - tantivy: each chunk's terms joined by spaces in a text field with a whitespace-only tokenizer (no
     lowercasing; frequencies, no positions), written by one thread into --workdir; the question's terms as
     an OR (Should) query, its top k and their chunk positions (a fast field). Its BM25 is Lucene's (k1 1.2,
     b 0.75, idf log(1 + (N - df + 0.5) / (df + 0.5)), no delta, chunk lengths kept in one byte), so its
     ranking may differ;
   prints each one's build time, its top-k wall time (the least of --rounds passes, as above) and the share of
   the Postings' top-k chunk positions that it returns too (ties at the k-th place may be broken otherwise);
6. builds rank-bm25's BM25Plus over the same terms and times get_scores for --naive of the questions
   (0 skips it: at 1,000,000 chunks its per-chunk dicts need many GB), and prints the speed-up.

The bundled bulletins have only 67 sentences, so every term of such a corpus is common (a sentence's own
words are in about 2% of the chunks, 快递 in 90%): a hard case for pruning. With --cmrc, the sentences
come from the paragraphs of CMRC 2018's dev set (Chinese Wikipedia, about 10,000 sentences: a vocabulary
more like a real library's) and the questions are its own questions.

Not a pytest test: pytest only collects test_*.py.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.analysis.figures import sentences  # noqa: E402
from index.reading.clean import parse_bulletin  # noqa: E402  (the project root is put on the path first)
from index.search.searcher import Postings, naive_bm25  # noqa: E402

BULLETINS = [ROOT / "data" / "bulletins" / "000_1fd2e1b186c74ed6.txt",
             *sorted((ROOT / "tests" / "data" / "bulletins").glob("*.txt"))]
ASKING = ("有多少", "是多少", "是什么", "的情况是什么", "的有多少", "多少个")


def rss_mb() -> float:
    """Return this process's resident set size in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def source_sentences() -> list[str]:
    out: list[str] = []
    for path in BULLETINS:
        bulletin = parse_bulletin(path.read_text(encoding="utf-8"), path.name)
        for article in bulletin.articles:
            for paragraph in article.paragraphs:
                out.extend(s for s in sentences(paragraph) if len(s) >= 8)
    return out


def cmrc(path: Path) -> tuple[list[str], list[str]]:
    """Return the sentences of a SQuAD-format file's paragraphs, and its questions."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    paragraphs = [p for article in data for p in article["paragraphs"]]
    texts = [s for p in paragraphs for s in sentences(p["context"]) if len(s) >= 8]
    return texts, [q["question"] for p in paragraphs for q in p["qas"]]


def make_corpus(tokenized: Sequence[list[str]], n: int, seed: int) -> list[list[str]]:
    """Return n chunks of 60 to 180 terms, each the terms of random sentences, cut to its length."""
    rng = random.Random(seed)
    chunks = []
    for _ in range(n):
        size = rng.randint(60, 180)
        terms: list[str] = []
        while len(terms) < size:
            terms += rng.choice(tokenized)
        chunks.append(terms[:size])
    return chunks


def make_questions(texts: Sequence[str], n: int, seed: int) -> list[str]:
    """Return n questions: a piece (4 to 14 characters) of a corpus sentence plus an asking word."""
    rng = random.Random(seed + 1)
    out = []
    for _ in range(n):
        text = rng.choice(texts)
        size = rng.randint(4, min(14, len(text)))
        start = rng.randrange(len(text) - size + 1)
        out.append(text[start:start + size] + rng.choice(ASKING))
    return out


def percentiles(ms: Sequence[float]) -> str:
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return (f"p50 {q[49]:.3f}  p95 {q[94]:.3f}  p99 {q[98]:.3f}  max {max(ms):.3f}  "
            f"mean {statistics.fmean(ms):.3f} ms")


def time_queries(top: Callable[[list[str]], object], queries: Sequence[list[str]],
                 rounds: int) -> tuple[list[float], list[float]]:
    """Return each query's time in ms with top (a top-k search), wall and this thread's CPU, each the least of rounds passes.

    One untimed pass first, so that first-touch page faults are not counted. The least of a few passes leaves
    out the time another process on a shared machine takes the core away.
    """
    for terms in queries:
        top(terms)
    wall, cpu = [math.inf] * len(queries), [math.inf] * len(queries)
    for _ in range(rounds):
        for i, terms in enumerate(queries):
            start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
            top(terms)
            cpu[i] = min(cpu[i], (time.thread_time_ns() - start_cpu) / 1e6)
            wall[i] = min(wall[i], (time.perf_counter_ns() - start) / 1e6)
    return wall, cpu


def bm25s_peer(corpus: Sequence[list[str]], k: int) -> tuple[Callable[[list[str]], list[int]], str]:
    """Build bm25s's BM25 over the chunks' terms; return its top-k search (chunk positions) and what it is."""
    import bm25s  # type: ignore[import-untyped, import-not-found, unused-ignore]  # optional: pip install -e '.[peers]'

    retriever = bm25s.BM25(k1=1.2, b=0.75, delta=1.0, method="bm25+", backend="numpy")
    retriever.index(corpus, show_progress=False)

    def top(terms: list[str]) -> list[int]:
        if not terms:
            return []
        docs, _ = retriever.retrieve([terms], k=k, show_progress=False, n_threads=0, backend_selection="numpy")
        return [int(d) for d in docs[0]]

    return top, f"bm25s {bm25s.__version__}, numpy backend, BM25+ (k1 1.2, b 0.75, delta 1), {retriever.dtype}"


def tantivy_peer(corpus: Sequence[list[str]], k: int, folder: Path) -> tuple[Callable[[list[str]], list[int]], str]:
    """Index the chunks' space-joined terms with tantivy in folder; return its top-k search and what it is."""
    import tantivy  # type: ignore[import-not-found, unused-ignore]  # optional: pip install -e '.[peers]'

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("pos", fast=True)  # the chunk's position
    builder.add_text_field("body", tokenizer_name="spaces", index_option="freq")  # BM25 needs no positions
    schema = builder.build()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    index = tantivy.Index(schema, path=str(folder))
    index.register_tokenizer("spaces", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    writer = index.writer(heap_size=1_000_000_000, num_threads=1)
    for position, terms in enumerate(corpus):
        writer.add_document(tantivy.Document(pos=position, body=" ".join(terms)))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.search.searcher()
    should, term_query = tantivy.Occur.Should, tantivy.Query.term_query

    def top(terms: list[str]) -> list[int]:
        if not terms:
            return []
        query = tantivy.Query.boolean_query([(should, term_query(schema, "body", t, index_option="freq")) for t in terms])
        hits = searcher.search(query, k, count=False).hits  # no count: block-max WAND may skip chunks
        positions = searcher.fast_field_values("pos", [address for _, address in hits])
        return [int(p) for p in positions if p is not None]

    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return top, (f"tantivy {_version('tantivy')}, Lucene's BM25 (k1 1.2, b 0.75), whitespace tokenizer, one writer "
                 f"thread, {searcher.num_segments} segment(s), {size / 2**20:.1f} MB in {folder}")


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"


TIE = 1e-5  # scores this close (relative) are taken as tied: float32's rounding, as bm25s scores, is about 1e-7 a term


def overlap(postings: Postings, queries: Sequence[list[str]], ours: Sequence[list[tuple[int, float]]],
            theirs: Sequence[Sequence[int]], k: int) -> tuple[float, float, int]:
    """Compare a peer's top-k positions with ours (Postings.top's), question by question.

    Return the share of our positions that the peer returns too; the same share when a peer's hit outside our
    top k whose Postings score ties our k-th (a tie broken otherwise) counts as one of ours; and how many
    questions' sets are equal.
    """
    shared = with_ties = same = total = 0
    for terms, hits, peer in zip(queries, ours, theirs, strict=True):
        mine = {position for position, _ in hits}
        common = len(mine & set(peer))
        tied = 0
        if len(hits) == k:
            kth = hits[-1][1]
            for position in set(peer) - mine:
                score = postings.top(terms, 1, among=[position])  # its Postings score ([] if it holds no term)
                tied += bool(score) and math.isclose(score[0][1], kth, rel_tol=TIE)
        total += len(mine)
        shared += common
        with_ties += min(len(mine), common + tied)
        same += mine == set(peer)
    return (shared / total if total else math.nan), (with_ties / total if total else math.nan), same


def peers(corpus: Sequence[list[str]], queries: Sequence[list[str]], postings: Postings, wall: Sequence[float],
          args: argparse.Namespace, workdir: Path) -> None:
    """Build each installed peer over the chunks, time its top-k on the questions and compare its hits with ours."""
    k = args.k
    ours = [postings.top(terms, k) for terms in queries]
    # a tie across the k-th place may be broken otherwise by a peer: how many questions have one
    ties = 0
    for terms in queries:
        hits = postings.top(terms, k + 1)
        ties += len(hits) > k and math.isclose(hits[k - 1][1], hits[k][1], rel_tol=TIE)
    print(f"peers       on the same {len(corpus)} chunks and {len(queries)} questions; Postings top-{k}: "
          f"p50 {statistics.median(wall):.3f} ms; {ties} questions have a tie across the {k}th place")
    makers: list[tuple[str, Callable[[], tuple[Callable[[list[str]], list[int]], str]]]] = [
        ("bm25s", lambda: bm25s_peer(corpus, k)),
        ("tantivy", lambda: tantivy_peer(corpus, k, workdir / f"tantivy-{args.chunks}-{args.seed}")),
    ]
    for name, make in makers:
        before = rss_mb()
        start = time.perf_counter()
        try:
            top, what = make()
        except ImportError as error:
            print(f"{name:<11} skipped: {error} (pip install -e '.[peers]')")
            continue
        build_s = time.perf_counter() - start
        print(f"{name:<11} built in {build_s:.2f} s, RSS then +{rss_mb() - before:.0f} MB: {what}")
        theirs: list[Any] = [top(terms) for terms in queries]
        share, with_ties, same = overlap(postings, queries, ours, theirs, k)
        peer_wall, peer_cpu = time_queries(top, queries, args.rounds)
        print(f"top-{k:<5} {name}, wall: {percentiles(peer_wall)}")
        print(f"top-{k:<5} {name}, CPU:  {percentiles(peer_cpu)}")
        print(f"overlap     {name}: {share:.1%} of Postings' top-{k} chunk positions ({with_ties:.1%} counting ties at "
              f"the {k}th place); the same set for {same} of {len(queries)} questions; "
              f"p50 wall {statistics.median(peer_wall) / statistics.median(wall):.2f}x Postings'")
        del top, theirs


def loaded(folder: Path, queries_file: Path, rounds: int, k: int) -> None:
    """The fresh process: load the index, report the time and RSS it takes, and time the questions on it."""
    queries = json.loads(queries_file.read_text(encoding="utf-8"))
    before = rss_mb()
    start = time.perf_counter()
    postings = Postings.load(folder)
    load_s = time.perf_counter() - start
    after_load = rss_mb()
    start = time.perf_counter()
    first = [postings.top(terms, k) for terms in queries]  # cold: the pages the questions need are read in
    first_pass_s = time.perf_counter() - start
    wall, cpu = time_queries(lambda terms: postings.top(terms, k), queries, rounds)
    print(json.dumps({"load_s": load_s, "rss_load": after_load - before, "rss_queries": rss_mb() - before,
                      "first_pass_s": first_pass_s, "wall": wall, "cpu": cpu, "top": first[:5]}))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--chunks", type=int, default=20_000, help="how many chunks (20000)")
    parser.add_argument("--seed", type=int, default=7, help="the corpus and questions' seed (7)")
    parser.add_argument("--questions", type=int, default=300, help="how many questions to time (300)")
    parser.add_argument("--naive", type=int, default=20, help="how many of them rank-bm25 scores (20; 0: skip)")
    parser.add_argument("--workdir", type=Path, default=None, help="where to save the index (a temporary folder)")
    parser.add_argument("--cmrc", type=Path, default=None,
                        help="take sentences and questions from this SQuAD-format file (CMRC 2018's dev set)")
    parser.add_argument("--k", type=int, default=10, help="how many hits a question asks for (10)")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the questions; each one's least (5)")
    parser.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True,
                        help="time bm25s and tantivy on the same chunks and questions, those installed (on)")
    parser.add_argument("--loaded", nargs=2, type=Path, help=argparse.SUPPRESS)  # the fresh process's part
    args = parser.parse_args(argv)
    if args.loaded:
        folder, queries_file = args.loaded
        loaded(folder, queries_file, args.rounds, args.k)
        return 0

    from index import Segmenter  # only here: the fresh process does not need jieba

    print(f"bench_search  --chunks {args.chunks} --seed {args.seed} --questions {args.questions} "
          f"--naive {args.naive} --rounds {args.rounds} --k {args.k}{f' --cmrc {args.cmrc}' if args.cmrc else ''}"
          f"{'' if args.peers else ' --no-peers'}   "
          f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}")
    segmenter = Segmenter()
    if args.cmrc:
        texts, asked = cmrc(args.cmrc)
        questions = random.Random(args.seed).sample(asked, min(args.questions, len(asked)))
    else:
        texts = source_sentences()
        questions = make_questions(texts, args.questions, args.seed)
    tokenized = [t for t in map(segmenter.terms, texts) if t]
    start = time.perf_counter()
    corpus = make_corpus(tokenized, args.chunks, args.seed)
    terms = sum(map(len, corpus))
    print(f"corpus      {len(corpus)} chunks from {len(tokenized)} sentences, {terms} terms "
          f"({terms / len(corpus):.1f} a chunk), made in {time.perf_counter() - start:.1f} s")
    queries = [segmenter.terms(q) for q in questions]
    print(f"questions   {len(queries)}, {statistics.fmean(map(len, queries)):.1f} terms each, e.g. "
          f"{questions[0]} -> {' '.join(queries[0])}")

    before = rss_mb()
    start = time.perf_counter()
    postings = Postings.build(corpus)
    build_s = time.perf_counter() - start
    arrays = sum(getattr(postings, name).nbytes for name in ("indptr", "docs", "contrib", "idf", "maxc"))
    print(f"build       {build_s:.2f} s, RSS then +{rss_mb() - before:.0f} MB (what the allocator kept); {len(postings.words)} terms, "
          f"{len(postings.docs)} postings, arrays {arrays / 2**20:.1f} MB")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    folder = workdir / f"postings-{args.chunks}-{args.seed}"
    start = time.perf_counter()
    postings.save(folder)
    size = sum(f.stat().st_size for f in folder.iterdir())
    print(f"save        {time.perf_counter() - start:.2f} s, {size / 2**20:.1f} MB in {folder}")

    wall, cpu = time_queries(lambda terms: postings.top(terms, args.k), queries, args.rounds)
    print(f"top-{args.k:<5} built index, wall: {percentiles(wall)}")
    print(f"top-{args.k:<5} built index, CPU:  {percentiles(cpu)}")

    queries_file = workdir / "queries.json"
    queries_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([sys.executable, __file__, "--loaded", str(folder), str(queries_file),
                          "--rounds", str(args.rounds), "--k", str(args.k)],
                         capture_output=True, text=True, check=True)
    fresh = json.loads(run.stdout)
    assert fresh["top"] == [[list(hit) for hit in postings.top(t, args.k)] for t in queries[:5]], "load changed results"
    print(f"load        {fresh['load_s']:.3f} s in a fresh process ({len(postings.words)} terms), "
          f"RSS +{fresh['rss_load']:.0f} MB; "
          f"first pass over the questions {fresh['first_pass_s']:.2f} s, RSS then +{fresh['rss_queries']:.0f} MB")
    print(f"top-{args.k:<5} loaded index, wall: {percentiles(fresh['wall'])}")
    print(f"top-{args.k:<5} loaded index, CPU:  {percentiles(fresh['cpu'])}")

    if args.peers:
        peers(corpus, queries, postings, wall, args, workdir)

    if args.naive:
        start = time.perf_counter()
        bm25 = naive_bm25(corpus)
        print(f"rank-bm25   BM25Plus built in {time.perf_counter() - start:.1f} s")
        sample = random.Random(args.seed).sample(range(len(queries)), min(args.naive, len(queries)))
        naive = []
        for i in sample:
            start = time.perf_counter_ns()
            bm25.get_scores(queries[i])
            naive.append((time.perf_counter_ns() - start) / 1e6)
        ours = [wall[i] for i in sample]
        print(f"get_scores  {len(sample)} questions: median {statistics.median(naive):.1f} ms, "
              f"mean {statistics.fmean(naive):.1f} ms; postings on the same: median {statistics.median(ours):.3f} ms "
              f"-> {statistics.median(naive) / statistics.median(ours):.0f}x faster (median/median)")
    if args.workdir is None:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
