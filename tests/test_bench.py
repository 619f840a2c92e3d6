"""`bulletin bench` as the installed script, and the seeded synthetic corpus it measures."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.bench_report import percentile
from bot.synthetic import MARKER, issue_text, make_issue, questions, write_corpus
from helpers import assert_one_line_error, run_cli
from index.chunk import chunk_paragraphs
from index.clean import parse_bulletin

LABELS = ("ingest wall (s)", "ingest chars/s", "ingest chunks/s", "ingest CPU (s)", "start-up, first (s)",
          "start-up, warm (s)", "engine load (s)", "ask p50 (ms)", "ask p95 (ms)", "ask p99 (ms)", "ask max (ms)",
          "ask CPU p50 (ms)", "answers found", "RSS after loading (MB)", "peak RSS after loading (MB)",
          "RSS after asking (MB)", "peak RSS after asking (MB)", "naive build (s)", "naive get_scores p50 (ms)",
          "naive p50 / ask p50", "naive / ask, paired", "RSS naive adds (MB)", "peak RSS with naive (MB)",
          "stored bytes/char", "ingest s/M chars", "run-on bytes/char", "run-on s/M chars")


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
