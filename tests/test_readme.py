"""The README's commands work as printed on a fresh machine, and its sample output is what they print."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from helpers import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")

# the README's commands that need nothing but this repository (each must stand in the README verbatim); the others
# name files of the reader's own (issue-05.pdf, /data/backups/…) or run until stopped (serve, web, chat, bench)
RUNNABLE = [
    'bulletin ask "2022年青浦新增多少套公租房"',
    'bulletin ask "松江有多少套公租房"',
    "bulletin eval tests/qa/corpus.jsonl --show 5",
    "bulletin eval tests/qa/sample.jsonl",
    "bulletin list",
    "bulletin list --all",
    "bulletin stats",
    "bulletin health",
    "bulletin reindex",
    "bulletin ask - --json < questions.txt",
]


def _argv(command: str) -> list[str]:
    words = re.findall(r'"[^"]*"|\S+', command.removeprefix("bulletin ").split(" < ")[0])
    return [w.strip('"') for w in words]


def test_the_opening_example_prints_what_the_readme_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    block = re.search(r"```\n\$ (bulletin ask [^\n]+)\n(.*?)\n```", README, re.S)
    assert block, "the README opens with an example"
    monkeypatch.chdir(tmp_path)
    rc, out, err = run_cli(capsys, "--db", tmp_path / "fresh.db", *_argv(block.group(1)))
    assert rc == 0, err
    assert out.rstrip("\n") == block.group(2)
    assert "ingested the bundled sample" in err  # a fresh database is filled with the sample first, said on stderr


def test_the_not_found_example_prints_what_the_readme_shows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = re.search(r'`bulletin ask "松江有多少套公租房"` →\s*`([^`]+)`', README)
    assert shown
    rc, out, _ = run_cli(capsys, "--db", tmp_path / "fresh.db", "ask", "松江有多少套公租房")
    assert rc == 0
    assert out.strip() == shown.group(1)


@pytest.mark.parametrize("command", RUNNABLE)
def test_each_runnable_command_works_as_printed(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert f"`{command}`" in README
    db = tmp_path / "bulletins.db"
    monkeypatch.setenv("BULLETIN_DB", str(db))
    monkeypatch.chdir(ROOT)  # the paths it names are the repository's
    if not command.startswith("bulletin eval"):  # eval names its own corpus; the others read an office's database
        assert run_cli(capsys, "ingest", ROOT / "data" / "bulletins", ROOT / "tests" / "data" / "bulletins")[0] == 0
    if "< questions.txt" in command:
        monkeypatch.setattr(sys, "stdin", io.StringIO("青浦有多少套公租房\n徐汇有多少个快递网点\n"))
    rc, out, err = run_cli(capsys, *_argv(command))
    assert rc == 0, f"{command}: {err}"
    assert out.strip(), command
    if command.startswith("bulletin eval tests/qa/corpus.jsonl"):
        assert re.search(r"^all\s+36/36\b", out, re.M), out  # as the README says: every question of the set
