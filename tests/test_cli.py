"""The `bulletin` command line: in-process through bot.cli.main, and as the installed script in a subprocess."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from helpers import (
    CONTRACT_KEYS,
    FIGURE_KEYS,
    SAMPLE_NAME,
    SOURCE_KEYS,
    assert_one_line_error,
    counts,
    query,
    run_cli,
)

SEEDED = f"the database was empty: ingested the bundled sample ({SAMPLE_NAME})"




def is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def check_contract(obj: dict[str, Any]) -> None:
    """The JSON contract: exactly these keys, with these types."""
    assert set(obj) == CONTRACT_KEYS
    assert isinstance(obj["question"], str)
    assert isinstance(obj["found"], bool)
    assert isinstance(obj["answer"], str)
    assert obj["answer"]
    assert isinstance(obj["figures"], list)
    assert isinstance(obj["sources"], list)
    for f in obj["figures"]:
        assert set(f) == FIGURE_KEYS
        assert is_number(f["value"])
        assert f["value_max"] is None or is_number(f["value_max"])
        assert f["unit"] is None or isinstance(f["unit"], str)
        for key in ("text", "sentence", "document", "title"):
            assert isinstance(f[key], str)
            assert f[key]
    for s in obj["sources"]:
        assert set(s) == SOURCE_KEYS
        assert is_number(s["score"])
        assert s["score"] > 0
        for key in ("document", "title", "text"):
            assert isinstance(s[key], str)
            assert s[key]


def run_script(args: list[str], *, cwd: Path, env: dict[str, str], stdin: str | None = None
               ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120,
                          check=False)


def test_ask_stdin_answers_each_line_in_order_including_a_blank_one(
        sample_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    questions = ["青浦有多少套公租房", "", "奉贤依托行业党建联盟成立的驿站叫什么"]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(questions) + "\n"))
    rc, out, err = run_cli(capsys, "--db", sample_db, "ask", "-", "--json")
    assert rc == 1, err  # every line is answered, and the blank one makes the status say so
    lines = out.splitlines()
    assert len(lines) == 3
    answers = [json.loads(line) for line in lines]
    for a in answers:
        check_contract(a)
    assert [a["question"] for a in answers] == questions
    assert [a["found"] for a in answers] == [True, False, True]
    assert answers[0]["figures"][0]["value"] == 100
    assert answers[1]["figures"] == []
    assert answers[1]["sources"] == []
    assert "骑乐融融" in answers[2]["answer"]


@pytest.mark.parametrize("as_json", [False, True])
def test_ask_stdin_puts_a_blank_lines_error_on_stderr_with_the_same_status(
        as_json: bool, sample_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("青浦有多少套公租房\n\n"))
    rc, out, err = run_cli(capsys, "--db", sample_db, "ask", "-", *(["--json"] if as_json else []))
    assert rc == 1
    assert err == "error: line 2: 问题是空的，请输入要问的内容\n"
    if as_json:  # the JSON stream keeps one object per input line
        assert [json.loads(line)["found"] for line in out.splitlines()] == [True, False]
    else:
        assert out.startswith("青浦：共100套公租房")
        assert "问题是空的" not in out


@pytest.mark.parametrize(("command", "names"), [("ask", ["'-' reads one question per line"]),
                                                ("serve", ["TELEGRAM_BOT_TOKEN", "BULLETIN_ADMIN_IDS"]),
                                                ("web", ["BULLETIN_WEB_ADMIN_TOKEN"])])
def test_help_names_what_a_command_needs(command: str, names: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    with pytest.raises(SystemExit):
        main([command, "--help"])
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    for name in names:
        assert name in shown


def test_ask_json_follows_the_contract(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, "--db", sample_db, "ask", "青浦公租房的房租多少钱一个月", "--json")
    assert (rc, err) == (0, "")
    assert out.endswith("\n")
    assert out.count("\n") == 1
    answer = json.loads(out)
    check_contract(answer)
    assert answer["question"] == "青浦公租房的房租多少钱一个月"
    assert answer["found"] is True
    top = answer["figures"][0]
    assert (top["value"], top["value_max"], top["unit"]) == (900, 3000, "元")
    assert type(top["value"]) is int  # 900, not 900.0
    assert top["document"] == SAMPLE_NAME
    assert "900-3000元" in top["sentence"]
    assert "900-3000元" in answer["sources"][0]["text"]  # the quoted passage comes first
    assert "青浦" in answer["sources"][0]["title"]


def test_ask_plain_text_with_db_after_the_subcommand(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, "ask", "青浦2022年新增多少套公租房", "--db", sample_db)
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert "15套" in lines[0]
    assert lines[-1].startswith(f"—— {SAMPLE_NAME}")
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


@pytest.mark.parametrize("question", ["", "   ", "？！。"])
def test_empty_question_is_a_one_line_error(question: str, sample_db: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, "--db", sample_db, "ask", question)
    assert rc == 2
    assert out == ""
    assert_one_line_error(err)
    assert "问题是空的" in err


@pytest.mark.parametrize("order", ["before", "after"])
def test_db_option_before_or_after_the_subcommand(order: str, sample_db: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--db", sample_db, "stats"] if order == "before" else ["stats", "--db", sample_db]
    rc, out, _ = run_cli(capsys, *argv)
    assert rc == 0
    assert "issues    1" in out.splitlines()


def test_stats_prints_the_counts(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run_cli(capsys, "--db", sample_db, "stats")
    assert (rc, err) == (0, "")
    shown = {m[1]: m[2] for m in re.finditer(r"^(\w+(?: \w+)*?)\s{2,}(.+)$", out, re.M)}
    raw = counts(sample_db)
    assert shown["issues"] == str(raw["bulletins"]) == "1"
    assert shown["articles"] == str(raw["articles"]) == "5"
    assert shown["chunks"] == str(raw["chunks"])
    assert shown["figures"] == str(raw["figures"])
    assert shown["newest issue date"] == "-"  # the sample text has no masthead
    assert re.fullmatch(r"20\S+ \(\d+ (s|min|h|days) ago\)", shown["last ingest"])


def test_bulletin_db_environment_variable_is_honoured(sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BULLETIN_DB", str(sample_db))
    rc, out, _ = run_cli(capsys, "stats")
    assert rc == 0
    assert "issues    1" in out.splitlines()
    # --db wins over the environment (and stats creates nothing: a mistyped path is an error)
    other = tmp_path / "other.db"
    rc, out, err = run_cli(capsys, "stats", "--db", other)
    assert rc == 1
    assert str(other) in err
    assert not other.exists()


def test_without_db_or_env_the_default_lives_under_xdg_data_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    rc, _, err = run_cli(capsys, "ask", "青浦有多少套公租房")
    assert rc == 0
    assert err.strip() == SEEDED
    assert (tmp_path / "data-home" / "bulletin" / "bulletins.db").is_file()


def test_fresh_database_is_seeded_with_the_bundled_sample_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "deep" / "folder" / "fresh.db"
    rc, out, err = run_cli(capsys, "--db", db, "ask", "青浦有多少套公租房", "--json")
    assert rc == 0
    assert err.strip() == SEEDED
    answer = json.loads(out)
    assert answer["found"] is True
    assert answer["figures"][0]["value"] == 100
    assert counts(db)["bulletins"] == 1

    rc, out, err = run_cli(capsys, "--db", db, "ask", "闵行有多少套公租房", "--json")
    assert (rc, err) == (0, "")  # not seeded a second time
    assert json.loads(out)["found"] is False
    assert counts(db)["bulletins"] == 1


def test_stats_neither_creates_nor_seeds_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "typo.db"
    rc, out, err = run_cli(capsys, "--db", db, "stats")
    assert (rc, out) == (1, "")
    assert_one_line_error(err)
    assert not db.exists()


def test_chat_reads_questions_until_end_of_input(sample_db: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("青浦的公租房一共租赁了多少平方米\n\n宝山的快递员有多少人\n"))
    rc, out, err = run_cli(capsys, "--db", sample_db, "chat")
    assert (rc, err) == (0, "")
    replies = [r for r in out.split("\n\n") if r.strip()]
    assert len(replies) == 2
    assert "6044.86平方米" in replies[0].splitlines()[0]
    assert "宝山" in replies[1]


def test_python_dash_m_bot_from_another_directory(sample_db: Path, tmp_path: Path) -> None:
    db = Path(shutil.copy(sample_db, tmp_path / "copy.db"))
    env = {**os.environ, "BULLETIN_DB": str(db)}
    proc = run_script([sys.executable, "-m", "bot", "ask", "青浦的公租房一共租赁了多少平方米", "--json"],
                      cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    answer = json.loads(proc.stdout)
    check_contract(answer)
    assert answer["figures"][0]["value"] == 6044.86
    assert answer["figures"][0]["unit"] == "平方米"


def test_installed_script_finds_the_bundled_sample_from_any_directory(tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    db = tmp_path / "state" / "bulletins.db"
    env = {**os.environ, "BULLETIN_DB": str(db)}
    script = Path(sys.executable).with_name("bulletin")
    questions = "浦东邮政管理局哪天与区总工会召开专题会议\n宝山的快递员有多少人\n"
    proc = run_script([str(script), "ask", "-", "--json"], cwd=elsewhere, env=env, stdin=questions)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == SEEDED
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    assert first["found"] is True
    assert "3月7日" in first["answer"]
    assert second["found"] is False
    assert counts(db)["bulletins"] == 1
    assert list(elsewhere.iterdir()) == []  # nothing written in the working directory


def test_a_reader_that_goes_away_gets_no_traceback(sample_db: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("bulletin")
    questions = "\n".join(["青浦有多少套公租房"] * 400) + "\n"
    proc = subprocess.run(f"'{script}' --db '{sample_db}' ask - --json | head -n 1", shell=True, input=questions,
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert json.loads(proc.stdout)["found"] is True
    assert "Traceback" not in proc.stderr
    assert "BrokenPipe" not in proc.stderr


def test_a_bug_is_one_line_for_the_user_and_a_traceback_on_file(sample_db: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import bot.cli
    from bot.answering.engine import Engine

    def broken(self: Engine, text: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Engine, "ask", broken)  # a stand-in for a bug anywhere below the command line
    monkeypatch.setattr(bot.cli, "LAST_ERROR", tmp_path / "last-error.txt")
    code, out, err = run_cli(capsys, "--db", sample_db, "ask", "青浦有多少套公租房")
    assert (code, out) == (1, "")
    assert_one_line_error(err)
    assert "RuntimeError: boom" in err
    assert str(tmp_path / "last-error.txt") in err
    assert "Traceback" in (tmp_path / "last-error.txt").read_text(encoding="utf-8")


def _file_bytes(db: Path) -> bytes:
    """The database file's bytes: a command that wrote nothing leaves them as they were."""
    return db.read_bytes()


@pytest.mark.parametrize("purge", [False, True])
def test_removing_every_issue_never_brings_the_sample_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], purge: bool) -> None:
    db = tmp_path / "bulletins.db"
    assert run_cli(capsys, "--db", db, "ask", "青浦有多少套公租房")[2].strip() == SEEDED  # a newcomer's first ask
    rc, out, _ = run_cli(capsys, "--db", db, "remove", SAMPLE_NAME, *(["--purge"] if purge else []))
    assert rc == 0, out
    before = _file_bytes(db)
    for argv in (["ask", "青浦有多少套公租房", "--json"], ["list"], ["stats"], ["ask", "宝山的快递员有多少人"]):
        rc, out, err = run_cli(capsys, "--db", db, *argv)
        assert rc == 0, err
        assert "ingested the bundled sample" not in err
        assert _file_bytes(db) == before, argv  # read commands write nothing
    asked = json.loads(run_cli(capsys, "--db", db, "ask", "青浦有多少套公租房", "--json")[1])
    assert (asked["found"], asked["answer"], asked["figures"]) == (False, "还没有收录任何简报，暂时无法回答。", [])
    assert query(db, "SELECT count(*) FROM bulletins WHERE state = 'indexed'") == [(0,)]
    assert counts(db)["bulletins"] == (0 if purge else 1)


def test_asking_a_database_with_nothing_indexed_says_so_on_both_streams(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "b.db"
    run_cli(capsys, "--db", db, "ask", "青浦有多少套公租房")
    run_cli(capsys, "--db", db, "remove", SAMPLE_NAME)
    rc, out, err = run_cli(capsys, "--db", db, "ask", "青浦有多少套公租房")
    assert rc == 0
    assert out == "还没有收录任何简报，暂时无法回答。\n"
    assert err == f"no bulletins are indexed in {db}; `bulletin ingest FILE` adds one\n"


def test_only_ask_and_chat_fill_a_new_database_with_the_sample(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "p01", "q": "青浦有多少套公租房", "kind": "figure", "value": 100, "unit": "套"},
                                    ensure_ascii=False) + "\n", encoding="utf-8")
    db = tmp_path / "new.db"
    rc, out, err = run_cli(capsys, "--db", db, "eval", questions)  # not a newcomer's command: it makes nothing
    assert (rc, out) == (1, "")
    assert_one_line_error(err)
    assert f"no database at {db}" in err
    assert not db.exists()

    empty = tmp_path / "empty.db"
    asyncio.run(_make_empty(empty))  # a database made, and never given an issue
    before = _file_bytes(empty)
    for argv in (["eval", questions], ["list"], ["stats"]):
        rc, _, err = run_cli(capsys, "--db", empty, *argv)
        assert rc == 0, err
        assert "ingested the bundled sample" not in err
        assert _file_bytes(empty) == before, argv
    monkeypatch.setattr(sys, "stdin", io.StringIO("青浦有多少套公租房\n"))
    rc, out, err = run_cli(capsys, "--db", empty, "chat")
    assert (rc, err.strip()) == (0, SEEDED)
    assert "100套" in out
    assert counts(empty)["bulletins"] == 1


async def _make_empty(db: Path) -> None:
    from index import Store

    async with await Store.open(db):
        pass
