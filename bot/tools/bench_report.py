"""The figures `bulletin bench` reports: each with its key, its label and how it was measured; as a table or JSON."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.tools.synthetic import Corpus


@dataclass(frozen=True)
class Measured:
    """One reported figure; value None when it was not measured (no naive run, no /proc)."""

    key: str  # its name in the JSON
    label: str  # its name in the table
    value: float | None
    spec: str  # how the table formats it
    how: str  # how it was measured, in a few words
    more: tuple[tuple[str, float | None], ...] = ()  # further figures on the same row, by key: p95 and p99 after p50

    def shown(self) -> str:
        """The value (and the row's further figures, after slashes) as the table shows it; - when not measured."""
        values = (self.value, *(v for _, v in self.more))
        return "-" if all(v is None for v in values) else " / ".join(
            "-" if v is None else format(v, self.spec) for v in values)


@dataclass(frozen=True)
class Report:
    """Everything one run measured."""

    args: dict[str, Any]
    machine: dict[str, Any]
    corpus: Corpus
    stored: dict[str, int]
    figures: list[Measured]
    samples: dict[str, list[Any]]  # every timing, for whoever wants more than percentiles

    def table(self) -> str:
        """The figures as a human table, one line per figure, under the machine, code and corpus."""
        m, c, s = self.machine, self.corpus, self.stored
        args = " ".join(f"--{k} {v}" for k, v in self.args.items() if v is not None)
        out = [
            f"bulletin bench {args}",
            f"machine  {m['cpus']} CPUs ({m['cpu']}), Python {m['python']}, {m['system']}, "
            f"load average {m['load_start']:.2f} at the start, {m['load_end']:.2f} at the end",
            f"code     {m['code']}",
            f"corpus   {c.files:,} synthetic issues (seed {c.seed}): {c.chunks:,} chunks, {c.chars:,} chars, "
            f"{c.bytes / 1e6:.1f} MB, written in {c.seconds:.1f} s",
            f"stored   {s['issues']:,} issues, {s['articles']:,} articles, {s['chunks']:,} chunks, "
            f"{s['figures']:,} figures",
            "",
        ]
        named = max(26, *(len(f.label) for f in self.figures))
        wide = max(10, *(len(f.shown()) for f in self.figures))
        out.append(f"{'figure':<{named}} {'value':>{wide}}  how it is measured")
        out += [f"{f.label:<{named}} {f.shown():>{wide}}  {f.how}" for f in self.figures]
        return "\n".join(out)

    def as_json(self) -> dict[str, Any]:
        """Every figure by key, with the run's arguments, machine, corpus and samples."""
        return {"args": self.args, "machine": self.machine,
                "corpus": {**asdict(self.corpus), "folder": str(self.corpus.folder)}, "stored": self.stored,
                "figures": {key: value for f in self.figures for key, value in ((f.key, f.value), *f.more)},
                "labels": {key: f"{f.label}: {f.how}" for f in self.figures
                           for key in (f.key, *(k for k, _ in f.more))},
                "samples": self.samples}


_STAGES = ("the question analysed: normalised, cut by jieba, its cues read",
           "one BM25 search with phrase re-ranking, as the answer's first",
           "the answer chosen: its searches, the figure index, each figure scored",
           "the answer rendered as --json")
SHAPE_MEANINGS = {"one place": "one district or town named, or none",  # bot.tools.bench_probe.SHAPES, in its order
                  "several places": "two or more districts or towns named",
                  "every place": "全市/各区 with no district named",
                  "word": "a name, a list or a passage asked for, not a figure"}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated between the nearest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def figures(corpus: Corpus, stored: dict[str, int], ingest: tuple[float, float],
            startups: Sequence[tuple[float, str]], ask: dict[str, Any], naive: dict[str, Any] | None,
            growth: dict[str, float]) -> list[Measured]:
    """Turn the raw measurements into the reported figures (ingest: its wall and CPU seconds)."""
    ingest_s, ingest_cpu = ingest
    ms = ask["ms"]
    mem = ask["memory"]
    warm = [s for s, _ in startups[1:]]
    how = {"p50": f"{len(ms)} questions, each the whole Engine.ask, after 20 warm-up ones and gc.freeze()",
           "p95": "of the same questions", "p99": "of the same questions", "max": f"the slowest: {ask['slowest']}"}
    out = [
        Measured("ingest_s", "ingest wall (s)", ingest_s, ".1f", "`bulletin ingest FOLDER --db DB`, a subprocess"),
        Measured("ingest_chars_per_s", "ingest chars/s", corpus.chars / ingest_s, ",.0f",
                 f"{corpus.chars:,} chars of issue text / ingest wall"),
        Measured("ingest_chunks_per_s", "ingest chunks/s", stored["chunks"] / ingest_s, ",.1f",
                 f"{stored['chunks']:,} stored chunks / ingest wall"),
        Measured("ingest_cpu_s", "ingest CPU (s)", ingest_cpu, ".1f",
                 "user + system time of the ingest and its worker processes"),
        Measured("startup_first_s", "start-up, first (s)", startups[0][0], ".2f",
                 f"fresh `bulletin ask --db DB Q` right after ingest, wall to the answer: {startups[0][1][:40]}"),
        Measured("startup_warm_s", "start-up, warm (s)", statistics.median(warm), ".2f",
                 f"median of the next {len(warm)} ({', '.join(f'{s:.2f}' for s in warm)})"),
        Measured("load_s", "engine load (s)", ask["load_s"], ".2f",
                 "Store.open + Segmenter + prepare + Engine.load, in the child process"),
        *(Measured(f"ask_{name}_ms", f"ask {name} (ms)", percentile(ms, q), ".1f", how[name])
          for name, q in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))),
        Measured("ask_cpu_p50_ms", "ask CPU p50 (ms)", percentile(ask["cpu_ms"], 50), ".1f",
                 "the asking thread's CPU time (wall minus it: waiting for a CPU)"),
        Measured("ask_found", "answers found", ask["found"], ",.0f", f"of {len(ms)} (the rest: a not-found answer)"),
        Measured("ask_repeated", "repeated questions", sum(ask["repeated"]), ",.0f",
                 f"of {len(ms)}, asked before (warm-up included): answered from the engine's cache"),
        *_shapes(ms, ask["shapes"], ask["repeated"]),
        *(Measured(f"stage_{name}_ms", f"  {name} p50 (ms)", percentile(part, 50), ".2f",
                   f"{how_stage} ({statistics.mean(part) / sum(map(statistics.mean, ask['stages'].values())):.0%}"
                   " of the mean)")
          for (name, part), how_stage in zip(ask["stages"].items(), _STAGES, strict=True)),
        *_growth(corpus, ingest_s, growth),
        *_memory("imported", "after imports", mem["imported"], rss_only=True),
        *_memory("loaded", "after loading", mem["loaded"]),
        *_memory("asked", "after asking", mem["asked"]),
    ]
    if naive is None:
        return out
    naive_p50 = percentile(naive["ms"], 50)
    paired = statistics.median(n / a for n, a in zip(naive["ms"], naive["ask_ms"], strict=True))
    before, built = naive["memory"]["before"], naive["memory"]["built"]
    return [
        *out,
        Measured("naive_build_s", "naive build (s)", naive["build_s"], ".2f",
                 f"BM25Plus(k1=1.2) over the {naive['chunks']:,} indexed chunks' stored terms, after the questions"),
        Measured("naive_p50_ms", "naive get_scores p50 (ms)", naive_p50, ".1f",
                 f"the first {len(naive['ms'])} questions, with the terms bot.answering.question.analyze gives the search"),
        Measured("naive_ratio", "naive p50 / ask p50", naive_p50 / percentile(ms, 50), ".2f",
                 "above 1: the app's whole ask is faster than naive scoring alone"),
        Measured("naive_paired_ratio", "naive / ask, paired", paired, ".2f",
                 "median of get_scores / whole ask of the same question, timed back to back"),
        Measured("rss_naive_added_mb", "RSS naive adds (MB)", None if before is None or built is None
                 else built["rss_mb"] - before["rss_mb"], ",.0f", "VmRSS after building it minus before"),
        Measured("peak_rss_naive_mb", "peak RSS with naive (MB)", None if built is None else built["peak_mb"],
                 ",.0f", "VmHWM of the child once it is built"),
    ]


def _shapes(ms: Sequence[float], shapes: Sequence[str], repeated: Sequence[bool]) -> list[Measured]:
    """Ask p50/p95/p99 of each shape of question (bot.tools.bench_probe.shape_of), one row each."""
    out = []
    for shape, meaning in SHAPE_MEANINGS.items():
        asked = [(t, again) for t, s, again in zip(ms, shapes, repeated, strict=True) if s == shape]
        times = [t for t, again in asked if not again]  # a repeat comes from the cache: its shape costs nothing
        key = f"ask_{shape.replace(' ', '_')}"
        p50, p95, p99 = (percentile(times, q) if times else None for q in (50, 95, 99))
        how = (f"{len(asked)} question{'' if len(asked) == 1 else 's'}"
               f" ({sum(again for _, again in asked)} repeated, left out): {meaning}")
        out.append(Measured(f"{key}_p50_ms", f"ask p50/p95/p99 {shape} (ms)", p50, ".1f", how,
                            more=((f"{key}_p95_ms", p95), (f"{key}_p99_ms", p99))))
    return out


def _growth(corpus: Corpus, ingest_s: float, growth: dict[str, float]) -> list[Measured]:
    """Bytes stored and ingest seconds per input character: the corpus against one run-on sentence of figures."""
    run_on = growth["run_on_chars"]
    return [
        Measured("stored_bytes_per_char", "stored bytes/char", growth["normal_bytes"] / corpus.chars, ".1f",
                 "database + WAL + saved index / the corpus's characters"),
        Measured("ingest_s_per_mchar", "ingest s/M chars", ingest_s / corpus.chars * 1e6, ".1f",
                 "ingest wall per million characters of the corpus"),
        Measured("run_on_bytes_per_char", "run-on bytes/char", growth["run_on_bytes"] / run_on, ".1f",
                 f"the same for one sentence of figures ({run_on:,.0f} chars, its own database)"),
        Measured("run_on_s_per_mchar", "run-on s/M chars", growth["run_on_s"] / run_on * 1e6, ".1f",
                 "`bulletin ingest` of it, wall per million characters (start-up included)"),
    ]


def _memory(key: str, when: str, mem: dict[str, float] | None, *, rss_only: bool = False) -> list[Measured]:
    rss = None if mem is None else mem["rss_mb"]
    out = [Measured(f"rss_{key}_mb", f"RSS {when} (MB)", rss, ",.0f", "VmRSS of the child process")]
    if not rss_only:
        peak = None if mem is None else mem["peak_mb"]
        out.append(Measured(f"peak_rss_{key}_mb", f"peak RSS {when} (MB)", peak, ",.0f", "its VmHWM so far"))
    return out


def machine(load_start: float) -> dict[str, Any]:
    """What the figures were measured on: CPUs, Python, the system, its load, and the code's git commit."""
    return {"cpus": os.cpu_count(), "cpu": _cpu_model(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.machine()}", "load_start": load_start,
            "load_end": os.getloadavg()[0],
            "code": code_version()}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def code_version() -> str:
    """Which code was measured: the folder bot/ is in, and its git commit when it is a checkout."""
    root = Path(__file__).resolve().parents[2]  # bot/tools/bench_report.py: the checkout holding bot/
    git = ["git", "-C", str(root)]
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "bot", "index"], capture_output=True,
                               text=True, check=False).stdout.strip()
    except OSError:
        return f"{root} (git not found)"
    if head.returncode != 0:
        return f"{root} (not a git checkout)"
    return f"{root} at {head.stdout.strip()}" + (" with uncommitted changes in bot/ or index/" if dirty else "")
