"""`bulletin bench` as the installed script, and the seeded synthetic corpus it measures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import helpers
from bot.answering.engine import normalize_question
from bot.answering.question import analyze
from bot.tools.bench_probe import SHAPES, repeated, shape_of
from bot.tools.bench_report import SHAPE_MEANINGS, Report, figures, percentile
from bot.tools.synthetic import MARKER, Corpus, issue_text, make_issue, questions, write_corpus
from helpers import assert_one_line_error, run_cli
from index.analysis.chunk import chunk_paragraphs
from index.reading.clean import parse_bulletin

LABELS = ("ingest wall (s)", "ingest chars/s", "ingest chunks/s", "ingest CPU (s)", "start-up, first (s)",
          "start-up, warm (s)", "engine load (s)", "ask p50 (ms)", "ask p95 (ms)", "ask p99 (ms)", "ask max (ms)",
          "ask CPU p50 (ms)", "answers found", "RSS after loading (MB)", "peak RSS after loading (MB)",
          "RSS after asking (MB)", "peak RSS after asking (MB)", "naive build (s)", "naive get_scores p50 (ms)",
          "naive p50 / ask p50", "naive / ask, paired", "RSS naive adds (MB)", "peak RSS with naive (MB)",
          "stored bytes/char", "ingest s/M chars", "run-on bytes/char", "run-on s/M chars", "repeated questions",
          *(f"ask p50/p95/p99 {shape} (ms)" for shape in SHAPES))


def stored_chunks(folder: Path) -> int:
    """The chunks an ingest would store for the corpus: its own parsing and chunking of every file."""
    return sum(len(chunk_paragraphs(article.paragraphs))
               for path in sorted(folder.rglob("*.txt"))
               for article in parse_bulletin(path.read_text(encoding="utf-8"), path.name).articles)


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.txt"))}


def test_bench_command_reports_every_figure(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("bulletin")
    out = tmp_path / "bench.json"
    proc = subprocess.run([str(script), "bench", "--chunks", "300", "--questions", "40", "--naive", "5",
                           "--workdir", str(tmp_path / "work"), "--json", str(out)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout
    for label in LABELS:
        assert f"\n{label} " in table, label
    assert re.search(r"^machine +\d+ CPUs .*Python 3\.", table, re.M)
    assert re.search(r"^code +\S", table, re.M)

    report = json.loads(out.read_text(encoding="utf-8"))
    f = report["figures"]
    assert f["ingest_chars_per_s"] > 0
    assert f["ingest_chunks_per_s"] > 0
    assert f["startup_first_s"] > 0
    assert f["startup_warm_s"] > 0
    assert 0 < f["ask_p50_ms"] <= f["ask_p95_ms"] <= f["ask_p99_ms"] <= f["ask_max_ms"]
    assert f["ask_found"] > 20  # of 40: the questions come from the corpus, so most find their answer
    assert 0 <= f["ask_repeated"] < 40
    shapes = report["samples"]["ask_shapes"]
    assert len(shapes) == len(report["samples"]["ask_repeated"]) == 40
    assert set(shapes) <= set(SHAPES)
    assert {"one place", "word"} <= set(shapes)  # the synthetic questions are mostly of these shapes
    for shape in SHAPES:
        key = f"ask_{shape.replace(' ', '_')}"
        first = [s for s, again in zip(shapes, report["samples"]["ask_repeated"], strict=True) if not again]
        if shape in first:
            assert 0 < f[f"{key}_p50_ms"] <= f[f"{key}_p95_ms"] <= f[f"{key}_p99_ms"] <= f["ask_max_ms"], shape
        else:
            assert f[f"{key}_p50_ms"] is None, shape
    for key in ("rss_loaded_mb", "peak_rss_loaded_mb", "rss_asked_mb", "peak_rss_asked_mb", "peak_rss_naive_mb"):
        assert f[key] > 0, key
    assert f["peak_rss_asked_mb"] >= f["rss_asked_mb"]
    assert isinstance(f["rss_naive_added_mb"], float)  # freed memory may be reused: only its presence is sure
    assert f["naive_p50_ms"] > 0
    assert f["naive_ratio"] > 0
    assert f["naive_paired_ratio"] > 0
    assert f["stored_bytes_per_char"] > 0
    assert f["ingest_s_per_mchar"] > 0
    # one sentence of 8,000 figures once stored some 8,000 bytes per character (every figure copied it)
    assert 0 < f["run_on_bytes_per_char"] < 200
    assert f["run_on_s_per_mchar"] > 0
    assert len(report["samples"]["ask_ms"]) == 40
    assert len(report["samples"]["naive_ms"]) == 5
    assert report["machine"]["cpus"] >= 1
    assert report["machine"]["python"].startswith("3.")
    assert report["stored"]["chunks"] == pytest.approx(300, rel=0.25)
    assert report["stored"]["chunks"] == report["corpus"]["chunks"]  # the writer's count is the ingest's


@pytest.mark.parametrize("argv", [["--chunks", "0"], ["--chunks", "300", "--questions", "0"],
                                  ["--chunks", "300", "--questions", "10", "--naive", "11"],
                                  ["--chunks", "300", "--json", "/no/such/folder/b.json"]])
def test_bad_options_give_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, "bench", *argv)
    assert rc == 2
    assert out == ""
    assert_one_line_error(err)


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    first = write_corpus(tmp_path / "a", 300, 7)
    again = write_corpus(tmp_path / "b", 300, 7)
    other = write_corpus(tmp_path / "c", 300, 8)
    assert files_of(tmp_path / "a") == files_of(tmp_path / "b")
    assert (first.files, first.chunks, first.chars, first.bytes) == (again.files, again.chunks, again.chars,
                                                                       again.bytes)
    assert files_of(tmp_path / "c") != files_of(tmp_path / "a")
    assert not set(files_of(tmp_path / "c").values()) & set(files_of(tmp_path / "a").values())
    assert other.files > 0
    assert issue_text(7, 3) == issue_text(7, 3) != issue_text(8, 3)
    assert questions(7, first.files, 50) == questions(7, first.files, 50) != questions(8, first.files, 50)


def test_corpus_size_follows_chunks_and_its_names_keep_growing(tmp_path: Path) -> None:
    small = write_corpus(tmp_path / "small", 300, 7)
    large = write_corpus(tmp_path / "large", 900, 7)
    assert stored_chunks(small.folder) == small.chunks == pytest.approx(300, rel=0.25)
    assert stored_chunks(large.folder) == large.chunks == pytest.approx(900, rel=0.25)
    # a smaller corpus is the start of a larger one
    assert files_of(small.folder).items() <= files_of(large.folder).items()
    # names (people, companies, stations) are drawn from large pools: new ones keep coming
    names = [{q for i in range(corpus.files) for q in make_issue(7, i).asks} for corpus in (small, large)]
    assert len(names[1]) > 2.5 * len(names[0]) > 0


def test_questions_mix_figures_totals_words_and_names() -> None:
    asked = questions(7, 60, 300)
    assert len(asked) == 300
    assert all(q.strip() for q in asked)
    assert any(q.startswith(("全市", "各区")) for q in asked)
    assert sum("多少" in q for q in asked) > 100
    assert any("快递员" in q and "被评为什么" in q for q in asked)
    assert len(set(asked)) > 150


def test_writer_replaces_its_own_folder_and_refuses_another(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    write_corpus(folder, 300, 7)
    assert (folder / MARKER).is_file()
    write_corpus(folder, 100, 7)  # its own folder: replaced whole, no file of the larger corpus left
    assert stored_chunks(folder) == pytest.approx(100, rel=0.5)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(FileExistsError):
        write_corpus(mine, 100, 7)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_percentiles_interpolate() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
    assert percentile([3.0, 1.0, 2.0], 100) == 3.0


@pytest.mark.parametrize(("text", "shape"), [("全市有多少套公租房", "every place"),
                                             ("各区分别有多少个快递网点", "every place"),
                                             ("徐汇和长宁一共有多少个快递网点", "several places"),
                                             ("七宝镇和华漕镇有多少个快递网点", "several places"),
                                             ("青浦有多少套公租房", "one place"),
                                             ("有多少套公租房", "one place"),
                                             ("什么是暖锋行动", "word")])
def test_shape_of_real_questions(text: str, shape: str) -> None:
    assert shape_of(analyze(normalize_question(text), helpers.segmenter())) == shape


def test_repeats_count_the_warm_up_and_the_engine_s_cache_key() -> None:
    timed = ["青浦有多少套公租房", "什么是暖锋行动", " 什么是暖锋行动 ", "全市有多少套公租房"]
    assert repeated(["青浦有多少套公租房"], timed) == [True, False, True, False]


def test_report_shows_ask_latency_by_shape_and_the_repeats(tmp_path: Path) -> None:
    ms = [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 5.0]
    shapes = ["one place", "one place", "one place", "one place", "several places", "several places", "word"]
    mem = {"rss_mb": 100.0, "peak_mb": 120.0}
    ask = {"load_s": 0.5, "ms": ms, "cpu_ms": ms, "found": 6, "slowest": "徐汇和长宁一共有多少个快递网点",
           "shapes": shapes, "repeated": [False, True, False, False, False, True, False],
           "memory": {"imported": mem, "loaded": mem, "asked": mem},
           "stages": {name: [0.5] * len(ms) for name in ("analyse", "search", "choose", "json")}}
    corpus = Corpus(tmp_path, seed=7, files=3, chunks=30, chars=3000, bytes=9000, seconds=0.1)
    growth = {"normal_bytes": 30000.0, "run_on_chars": 1000.0, "run_on_s": 1.0, "run_on_bytes": 5000.0}
    machine = {"cpus": 2, "cpu": "test CPU", "python": "3.11", "system": "Linux", "load_start": 0.1,
               "load_end": 0.2, "code": "here"}
    measured = figures(corpus, {"chunks": 30}, (2.0, 1.5), [(1.0, "a"), (0.5, "b")], ask, None, growth)
    report = Report(args={"chunks": 30}, machine=machine, corpus=corpus,
                    stored={"issues": 3, "articles": 9, "chunks": 30, "figures": 40}, figures=measured, samples={})
    table = report.table().splitlines()
    rows = {f.label: line for f in measured for line in table if line.startswith(f"{f.label} ")}
    for shape, shown in (("one place", r"3\.0 / 3\.9 / 4\.0  4 questions \(1 repeated, left out\)"),
                         ("several places", r"10\.0 / 10\.0 / 10\.0  2 questions \(1 repeated, left out\)"),
                         ("every place", r"-  0 questions \(0 repeated, left out\)"),
                         ("word", r"5\.0 / 5\.0 / 5\.0  1 question \(0 repeated, left out\)")):
        assert re.fullmatch(rf"ask p50/p95/p99 {shape} \(ms\) +{shown}: .+", rows[f"ask p50/p95/p99 {shape} (ms)"])
    assert re.fullmatch(r"repeated questions +2  of 7, .+ cache", rows["repeated questions"])
    # the columns stay aligned, however long the new labels and values: every "how" starts in one column
    assert len({rows[f.label].rindex(f"  {f.how}") for f in measured}) == 1
    f = report.as_json()["figures"]
    assert (f["ask_one_place_p50_ms"], f["ask_one_place_p95_ms"], f["ask_one_place_p99_ms"]) == pytest.approx(
        (3.0, 3.9, 3.98))  # the repeat (2.0 ms, from the cache) is left out
    assert f["ask_every_place_p50_ms"] is f["ask_every_place_p99_ms"] is None
    assert f["ask_word_p50_ms"] == f["ask_word_p99_ms"] == 5.0
    assert f["ask_repeated"] == 2
    assert "4 questions" in report.as_json()["labels"]["ask_one_place_p99_ms"]
    assert tuple(SHAPE_MEANINGS) == SHAPES  # the report's rows, in the probe's order
