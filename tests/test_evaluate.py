"""bulletin eval's scoring: question sets read strictly, answers scored by the outside benchmark's rules."""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

import helpers
from bot.answering.engine import Engine
from bot.cli import main
from bot.tools.evaluate import (
    METRICS,
    BadCorpus,
    BadQuestionSet,
    Failure,
    Metric,
    Report,
    format_report,
    load_questions,
    named_corpus,
    run,
    score,
)
from helpers import ROOT, SAMPLE, SAMPLE_NAME, assert_one_line_error, db_fingerprint, run_cli
from index import Store

# lines of the benchmark's sample set (../shared/bench/sample_qa.jsonl), copied: ../shared is not in CI
SAMPLE_LINES = (
    '{"id": "p01", "q": "青浦有多少套公租房", "kind": "figure", "value": 100, "unit": "套"}',
    '{"id": "p04", "q": "青浦公租房的房租多少钱一个月", "kind": "figure", "value": 900, "value_max": 3000, "unit": "元"}',
    '{"id": "p05", "q": "浦东邮政管理局哪天与区总工会召开专题会议", "kind": "date", "month": 3, "day": 7}',
    '{"id": "p06", "q": "奉贤依托行业党建联盟成立的驿站叫什么", "kind": "text", "all_of": ["骑乐融融"]}',
    '{"id": "p07", "q": "松江有多少套公租房", "kind": "not_found"}',
)


@pytest.fixture(scope="module")
def engine(sample_db: Path) -> Engine:
    async def load() -> Engine:
        async with await Store.open(sample_db) as store:
            return await Engine.load(store, helpers.segmenter())

    return asyncio.run(load())


def write_set(path: Path, *lines: str | dict[str, Any]) -> Path:
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    return path


def evaluate(engine: Engine, path: Path) -> Report:
    questions = load_questions(path)
    return score(questions, run(engine, questions))


def test_the_sample_set_scores_full_marks(engine: Engine, tmp_path: Path) -> None:
    report = evaluate(engine, write_set(tmp_path / "qa.jsonl", *SAMPLE_LINES))
    assert report.questions == 5
    # in the order the benchmark prints them: each metric where a question first earns it
    assert report.scores == {"fig@1": (2, 2), "fig@3": (2, 2), "all": (5, 5), "date": (1, 1), "text": (1, 1),
                             "not_found": (1, 1)}
    assert report.failures == ()
    assert format_report(report, show=10).split("\n") == [
        "questions 5",
        "fig@1          2/2     100.0%",
        "fig@3          2/2     100.0%",
        "all            5/5     100.0%",
        "date           1/1     100.0%",
        "text           1/1     100.0%",
        "not_found      1/1     100.0%",
    ]


def test_a_wrong_gold_value_is_a_failure_and_is_shown(engine: Engine, tmp_path: Path) -> None:
    wrong = {"q": "青浦有多少套公租房", "kind": "figure", "value": 101, "unit": "套"}
    report = evaluate(engine, write_set(tmp_path / "qa.jsonl", *SAMPLE_LINES[1:3], wrong))
    assert report.scores == {"fig@1": (1, 2), "fig@3": (1, 2), "all": (2, 3), "date": (1, 1)}
    [failure] = report.failures
    assert failure.question == wrong
    assert failure.answer["found"] is True
    assert failure.answer["figures"][0]["value"] == 100
    lines = format_report(report, show=5).split("\n")
    assert lines[1:4] == ["fig@1          1/2      50.0%", "fig@3          1/2      50.0%",
                          "all            2/3      66.7%"]
    got = failure.answer["answer"][:120].replace("\n", " ")
    assert lines[-1] == f"- 青浦有多少套公租房 | want {{'value': 101}} | got found: {got}"
    assert "100套" in got
    assert len(lines) == 6  # one line per failure, however many lines the answer has
    assert len(format_report(report).split("\n")) == 5  # show=0: no failures listed


def test_not_found_counts_only_an_answer_that_found_nothing(engine: Engine, tmp_path: Path) -> None:
    report = evaluate(engine, write_set(
        tmp_path / "qa.jsonl",
        SAMPLE_LINES[4],
        {"q": "宝山的快递员有多少人", "kind": "not_found"},
        {"q": "青浦有多少套公租房", "kind": "not_found"},  # it is found: wrong for not_found
        {"q": "？？", "kind": "not_found"},  # cannot be asked at all: the CLI's error object, found false
    ))
    assert report.scores == {"not_found": (3, 4), "all": (3, 4)}
    assert [f.question["q"] for f in report.failures] == ["青浦有多少套公租房"]


def test_an_unaskable_question_gets_the_error_object_the_cli_prints(
        engine: Engine, sample_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("？？\n"))
    rc, out, _ = run_cli(capsys, "--db", sample_db, "ask", "-", "--json")
    assert rc == 1
    [answer] = run(engine, [{"q": "？？", "kind": "not_found"}])
    assert answer == json.loads(out)
    assert answer["found"] is False
    assert answer["answer"]


def test_documents_are_scored_at_rank_one_and_five(engine: Engine, tmp_path: Path) -> None:
    report = evaluate(engine, write_set(
        tmp_path / "qa.jsonl",
        {"q": "青浦有多少套公租房", "kind": "retrieval", "doc": SAMPLE_NAME},
        {"q": "奉贤依托行业党建联盟成立的驿站叫什么", "kind": "text", "all_of": ["骑乐融融"], "doc": "elsewhere.txt"},
        {"q": "青浦公租房的房租多少钱一个月", "kind": "figure", "value": 900, "value_max": 3000},
    ))
    # retrieval questions count for R@1/R@5 only; a wrong document does not fail the answer itself
    assert report.scores == {"R@1": (1, 2), "R@5": (1, 2), "text": (1, 1), "all": (2, 2), "fig@1": (1, 1),
                             "fig@3": (1, 1)}
    assert report.failures == ()
    assert format_report(report).split("\n")[1] == "R@1            1/2      50.0%"


def test_retrieval_ranks_each_document_once() -> None:
    sources = [{"document": d} for d in ("a.txt", "a.txt", "b.txt", "c.txt", "c.txt", "d.txt", "e.txt", "f.txt")]
    answer = {"found": True, "answer": "…", "figures": [], "sources": sources}
    questions = [{"q": "?", "kind": "retrieval", "doc": d} for d in ("a.txt", "b.txt", "e.txt", "f.txt", "g.txt")]
    report = score(questions, [answer] * len(questions))
    assert report.scores == {"R@1": (1, 5), "R@5": (3, 5)}
    assert report.failures == ()


def test_not_found_wants_found_to_be_false_itself() -> None:
    answers = [{"found": False, "answer": "没有找到"}, {"answer": "no found key"}, {"found": 0, "answer": "0"}]
    report = score([{"q": "?", "kind": "not_found"}] * 3, answers)
    assert report.scores == {"not_found": (1, 3), "all": (1, 3)}
    assert [f.answer for f in report.failures] == answers[1:]


def test_blank_lines_and_blank_questions_are_skipped(tmp_path: Path) -> None:
    path = write_set(tmp_path / "qa.jsonl", "", SAMPLE_LINES[0], "   ", '{"q": " ", "kind": "not_found"}',
                     SAMPLE_LINES[4])
    assert [q["id"] for q in load_questions(path)] == ["p01", "p07"]


@pytest.mark.parametrize(("lines", "where", "says"), [
    (['{"q": "a", "kind": "not_found"}', '{"q": "b", "kind": '], ":2:", "not JSON"),
    (["[1, 2]"], ":1:", "not a JSON object"),
    (["", '{"kind": "not_found"}'], ":2:", '"q"'),
    (['{"q": "a", "kind": "figures", "value": 1}'], ":1:", "unknown kind 'figures'"),
    (['{"q": "a"}'], ":1:", 'no "kind"'),
    (['{"q": "a", "kind": "figure"}'], ":1:", 'numeric "value"'),
    (['{"q": "a", "kind": "figure", "value": "100"}'], ":1:", 'numeric "value"'),
    (['{"q": "a", "kind": "figure", "value": true}'], ":1:", 'numeric "value"'),
    (['{"q": "a", "kind": "figure", "value": 900, "value_max": "3000"}'], ":1:", '"value_max"'),
    (['{"q": "a", "kind": "date", "month": 3}'], ":1:", '"day"'),
    (['{"q": "a", "kind": "text", "all_of": "骑乐融融"}'], ":1:", '"all_of"'),
])
def test_a_bad_line_is_a_one_line_error_naming_file_and_line(tmp_path: Path, lines: list[str], where: str,
                                                             says: str) -> None:
    path = write_set(tmp_path / "bad.jsonl", *lines)
    with pytest.raises(BadQuestionSet) as caught:
        load_questions(path)
    message = str(caught.value)
    assert message.startswith(f"{path}{where} ")
    assert says in message
    assert "\n" not in message


@pytest.mark.parametrize(("name", "content", "says"), [
    ("missing.jsonl", None, "cannot read"),
    ("latin1.jsonl", '{"q": "é", "kind": "not_found"}'.encode("latin-1"), "not UTF-8"),
    ("empty.jsonl", b"\n\n", "no questions"),
])
def test_an_unreadable_file_is_a_one_line_error_naming_it(tmp_path: Path, name: str, content: bytes | None,
                                                          says: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BadQuestionSet, match=says) as caught:
        load_questions(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


def fig(text: str, value: object, value_max: object = None) -> dict[str, Any]:
    return {"text": text, "value": value, "value_max": value_max, "unit": None, "sentence": text,
            "document": "d.txt", "title": "t"}


@pytest.mark.parametrize(("figures", "want", "want_max", "found", "expected"), [
    ([fig("100套", 100)], 100, None, True, (True, True)),
    ([fig("100套", 100)], 100, None, False, (False, False)),  # the right number in a not-found answer counts not
    ([], 100, None, True, (False, False)),
    ([fig("6044.86平方米", 6044.860000001)], 6044.86, None, True, (True, True)),  # float noise
    ([fig("50万", 500000)], 50, None, True, (True, True)),  # the span as written: 50 of 50万
    ([fig("50万", 500000)], 500000, None, True, (True, True)),
    ([fig("11.42亿元", 1142000000)], 11.42, None, True, (True, True)),
    ([fig("两个", 1)], 2, None, True, (True, True)),  # Chinese numerals in the span
    ([fig("三千二百人", 1)], 3200, None, True, (True, True)),
    ([fig("十五套", 1)], 15, None, True, (True, True)),  # a unit word alone means one of it: 十五 is 15
    ([fig("2022年新增15套", 7)], 15, None, True, (False, False)),  # two numbers without a range: a sentence
    ([fig("900-3000元", 900, 3000)], 3000, None, True, (True, True)),  # a range's span may hold two numbers
    ([fig("900-3000元", 900, 3000)], 900, 3000, True, (True, True)),
    ([fig("900元", 900)], 900, 3000, True, (False, False)),  # a range wants value_max too
    ([fig("900-2999元", 900, 2999)], 900, 3000, True, (False, False)),
    ([fig("900-3000元", 1, 3000)], 900, 3000, True, (False, False)),  # a range is judged by value, not text
    ([fig("1个", True)], 1, None, True, (True, True)),  # true is no number, but the span's 1 is
    ([fig("个", True)], 1, None, True, (False, False)),
    ([fig("万家", 0)], 10000, None, True, (False, False)),  # a lone 万 is a word
    ([fig("1套", 1), fig("2套", 2), fig("100套", 100)], 100, None, True, (False, True)),
    ([fig("1套", 1), fig("2套", 2), fig("3套", 3), fig("100套", 100)], 100, None, True, (False, False)),
    (["100套", fig("100套", 100)], 100, None, True, (False, True)),  # a malformed figure is a miss
])
def test_figure_scoring_corner_cases(figures: list[Any], want: float, want_max: float | None, found: bool,
                                     expected: tuple[bool, bool]) -> None:
    question: dict[str, Any] = {"q": "多少", "kind": "figure", "value": want}
    if want_max is not None:
        question["value_max"] = want_max
    answer = {"question": "多少", "found": found, "answer": "…", "figures": figures, "sources": []}
    report = score([question], [answer])
    assert (report.scores["fig@1"], report.scores["fig@3"]) == ((int(expected[0]), 1), (int(expected[1]), 1))
    assert report.failures == (() if expected[0] else (Failure(question, answer),))


def test_dates_and_texts_are_matched_in_the_answer_without_spaces() -> None:
    questions = [{"q": "哪天", "kind": "date", "month": 3, "day": 7},
                 {"q": "叫什么", "kind": "text", "all_of": ["骑乐", "融融"]},
                 {"q": "哪天", "kind": "date", "month": 3, "day": 7}]
    answers = [{"found": True, "answer": "3 月 7 日，浦东"}, {"found": True, "answer": "骑乐\n融融驿站"},
               {"found": False, "answer": "没有找到 3月7日"}]
    assert score(questions, answers).scores == {"date": (1, 2), "all": (2, 3), "text": (1, 1)}


def test_the_report_lines_have_the_benchmarks_format() -> None:
    report = Report(3219, (Metric("R@1", 3113, 3219), Metric("fig@1", 0, 0)), ())
    assert format_report(report, seconds=58.14) == (
        "questions 3219; ask 58.14 s (18.1 ms/question)\n"
        "R@1         3113/3219   96.7%\n"
        "fig@1          0/0       0.0%")


def test_answers_must_pair_with_questions() -> None:
    with pytest.raises(ValueError, match="1 answers for 2 questions"):
        score([{"q": "a", "kind": "not_found"}] * 2, [{"found": False}])


QA = ROOT / "tests" / "qa"
ISSUES = ROOT / "tests" / "data" / "bulletins"


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus tests/qa/corpus.jsonl is about, ingested by hand: the sample plus the three test issues."""
    db = tmp_path_factory.mktemp("corpus") / "corpus.db"
    assert [r.status for r in helpers.ingest_files(db, [SAMPLE.parent, ISSUES])] == ["added"] * 4
    return db


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder every temporary directory is made in, to see what eval leaves behind."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def all_line(out: str) -> str:
    [line] = re.findall(r"^all\s.*$", out, re.M)
    return line


def without_corpus(set_name: str, folder: Path) -> Path:
    """Copy one of tests/qa's sets where no corpus file names its corpus: eval then asks the database."""
    return Path(shutil.copy(QA / set_name, folder / set_name))


def test_the_shipped_sets_name_their_corpus_beside_them_and_stay_one_question_a_line() -> None:
    assert named_corpus(QA / "corpus.jsonl") == [QA / "../../data/bulletins", QA / "../data/bulletins"]
    assert named_corpus(QA / "sample.jsonl") == [QA / "../../data/bulletins"]
    assert [p.resolve() for p in named_corpus(QA / "corpus.jsonl") or []] == [SAMPLE.parent, ISSUES]
    # every line a question with "q", as ../shared/bench/qa_eval.py reads them
    for name in ("corpus.jsonl", "sample.jsonl"):
        lines = [json.loads(line) for line in (QA / name).read_text(encoding="utf-8").split("\n") if line.strip()]
        assert all(isinstance(q["q"], str) and q["q"].strip() for q in lines)
        assert len(load_questions(QA / name)) == len(lines)


def test_a_set_without_a_corpus_file_names_none(tmp_path: Path) -> None:
    assert named_corpus(write_set(tmp_path / "qa.jsonl", SAMPLE_LINES[0])) is None


def test_a_corpus_named_as_a_string_is_one_path_relative_to_its_file(tmp_path: Path) -> None:
    (tmp_path / "sets").mkdir()
    path = write_set(tmp_path / "sets" / "qa.jsonl", SAMPLE_LINES[0])
    (tmp_path / "sets" / "qa.corpus.json").write_text('{"corpus": "../bulletins"}', encoding="utf-8")
    assert named_corpus(path) == [tmp_path / "sets" / "../bulletins"]


@pytest.mark.parametrize(("content", "says"), [
    ("{", "not JSON"),
    ('["../bulletins"]', 'no "corpus"'),
    ('{"corpus": []}', 'no "corpus"'),
    ('{"corpus": ["a", 3]}', 'no "corpus"'),
])
def test_a_bad_corpus_file_is_a_one_line_error_naming_it(tmp_path: Path, content: str, says: str) -> None:
    path = write_set(tmp_path / "qa.jsonl", SAMPLE_LINES[0])
    (tmp_path / "qa.corpus.json").write_text(content, encoding="utf-8")
    with pytest.raises(BadCorpus, match=says) as caught:
        named_corpus(path)
    assert str(caught.value).startswith(f"{tmp_path / 'qa.corpus.json'}: ")
    assert "\n" not in str(caught.value)


def test_a_corpus_line_in_the_set_points_to_the_corpus_file(tmp_path: Path) -> None:
    # qa_eval would stop at it (q["q"]): the corpus belongs beside the set, not in it
    path = write_set(tmp_path / "qa.jsonl", '{"corpus": ["../bulletins"]}', SAMPLE_LINES[0])
    with pytest.raises(BadQuestionSet, match=r"qa\.corpus\.json beside the set") as caught:
        load_questions(path)
    assert str(caught.value).startswith(f"{path}:1: a corpus line")


def test_the_readme_command_scores_the_sets_own_corpus_on_a_fresh_database(
        corpus_db: Path, tmp_path: Path, scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fresh = tmp_path / "fresh.db"
    rc, out, err = run_cli(capsys, "--db", fresh, "eval", QA / "corpus.jsonl", "--show", "5")
    assert rc == 0, err
    assert err == f"scoring on {SAMPLE.parent}, {ISSUES} (ingested into a temporary database)\n"
    assert not fresh.exists()
    assert not list(tmp_path.glob("fresh.db*"))
    assert list(scratch.iterdir()) == []  # nor is the temporary one kept
    # the same scores as on the corpus ingested by hand (the set copied where it names no corpus)
    rc, by_hand, err = run_cli(capsys, "--db", corpus_db, "eval", without_corpus("corpus.jsonl", tmp_path))
    assert rc == 0, err
    assert all_line(out) == all_line(by_hand) == "all           36/36    100.0%"
    assert out.split("\n")[1:9] == by_hand.split("\n")[1:9]  # every metric line


def test_a_named_corpus_leaves_the_database_alone(
        sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = db_fingerprint(sample_db), sorted((p.name, p.read_bytes()) for p in sample_db.parent.glob("*.db*")
                                                if p.is_file())
    rc, out, err = run_cli(capsys, "--db", sample_db, "eval", QA / "corpus.jsonl")
    assert rc == 0, err
    assert all_line(out) == "all           36/36    100.0%"  # not the sample's 10/36: the database is not asked
    after = db_fingerprint(sample_db), sorted((p.name, p.read_bytes()) for p in sample_db.parent.glob("*.db*")
                                               if p.is_file())
    assert after == before


def test_corpus_options_override_the_sets_own(
        sample_db: Path, corpus_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, only_sample, err = run_cli(capsys, "--db", tmp_path / "none.db", "eval", QA / "corpus.jsonl",
                                   "--corpus", SAMPLE.parent)
    assert rc == 0, err
    assert err == f"scoring on {SAMPLE.parent} (ingested into a temporary database)\n"
    rc, on_sample_db, err = run_cli(capsys, "--db", sample_db, "eval", without_corpus("corpus.jsonl", tmp_path))
    assert rc == 0, err
    assert all_line(only_sample) == all_line(on_sample_db) == "all           10/36     27.8%"
    # the sample's set over the sample plus the newer issues (files and folders, repeated): newer figures win
    rc, both, err = run_cli(capsys, "eval", QA / "sample.jsonl", "--corpus", SAMPLE, "--corpus", ISSUES)
    assert rc == 0, err
    rc, on_corpus_db, err = run_cli(capsys, "--db", corpus_db, "eval", without_corpus("sample.jsonl", tmp_path))
    assert rc == 0, err
    rc, own, err = run_cli(capsys, "eval", QA / "sample.jsonl")
    assert rc == 0, err
    assert all_line(both) == all_line(on_corpus_db) != all_line(own) == "all           16/16    100.0%"
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("where", ["option", "file"])
def test_a_missing_corpus_is_a_one_line_error(
        tmp_path: Path, scratch: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    questions = write_set(tmp_path / "qa.jsonl", SAMPLE_LINES[0])
    missing = tmp_path / "nowhere"
    argv: list[str | Path] = ["--db", tmp_path / "x.db", "eval", questions]
    if where == "option":
        argv += ["--corpus", SAMPLE, "--corpus", missing]
    else:
        (tmp_path / "qa.corpus.json").write_text('{"corpus": ["nowhere"]}', encoding="utf-8")
    rc, out, err = run_cli(capsys, *argv)
    assert (rc, out) == (1, "")
    assert_one_line_error(err)
    assert f"no such corpus file or folder: {missing}" in err
    assert not (tmp_path / "x.db").exists()
    assert list(scratch.iterdir()) == []


def test_a_corpus_without_bulletins_or_with_a_refused_one_is_a_one_line_error(
        tmp_path: Path, scratch: Path, capsys: pytest.CaptureFixture[str]) -> None:
    questions = write_set(tmp_path / "qa.jsonl", SAMPLE_LINES[0])
    (tmp_path / "empty").mkdir()
    rc, _, err = run_cli(capsys, "eval", questions, "--corpus", tmp_path / "empty")
    assert rc == 1
    assert_one_line_error(err)
    assert "no bulletin files" in err
    (tmp_path / "blank.txt").write_text("", encoding="utf-8")
    rc, _, err = run_cli(capsys, "eval", questions, "--corpus", SAMPLE, "--corpus", tmp_path / "blank.txt")
    assert rc == 1  # scores over part of the corpus would pass for scores over all of it
    assert_one_line_error(err)
    assert "a corpus file cannot be ingested: refused blank.txt" in err
    assert list(scratch.iterdir()) == []


def test_the_help_explains_every_metric(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["eval", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--corpus PATH" in out
    assert ".corpus.json" in out
    legend = out[out.index("what each metric counts:"):].split("\n")[1:9]
    assert [line.split()[0] for line in legend] == list(METRICS) == [
        "R@1", "R@5", "fig@1", "fig@3", "date", "text", "not_found", "all"]
    assert all(len(line.split()) > 3 for line in legend)  # each says something


def test_the_report_explains_its_metrics_after_them_and_says_found_in_words(
        engine: Engine, tmp_path: Path) -> None:
    wrong_figure = {"q": "青浦有多少套公租房", "kind": "figure", "value": 101}
    wrong_not_found = {"q": "松江有多少套公租房", "kind": "figure", "value": 5}
    report = evaluate(engine, write_set(tmp_path / "qa.jsonl", SAMPLE_LINES[4], wrong_figure, wrong_not_found))
    lines = format_report(report, show=5, legend=True).split("\n")
    # the head and metric lines as before, so whatever parsed them still does
    assert lines[:4] == ["questions 3", "not_found      1/1     100.0%", "all            1/3      33.3%",
                         "fig@1          0/2       0.0%"]
    assert lines[5:9] == ["what each metric counts:", f"  not_found {METRICS['not_found']}",
                          f"  all       {METRICS['all']}", f"  fig@1     {METRICS['fig@1']}"]
    assert lines[9].startswith("  fig@3     ")
    assert lines[10].startswith("- 青浦有多少套公租房 | want {'value': 101} | got found: ")
    assert lines[11].startswith("- 松江有多少套公租房 | want {'value': 5} | got not found: ")
    assert len(lines) == 12
    assert "True" not in "\n".join(lines)
    assert "False" not in "\n".join(lines)


def test_a_malformed_answers_found_is_shown_as_it_is() -> None:
    report = score([{"q": "?", "kind": "not_found"}], [{"found": None, "answer": "?"}])
    assert format_report(report, show=1).split("\n")[-1] == "- ? | want {} | got found=null: ?"
