"""Settings: read from the environment and a .env file, checked at start-up, documented in the README."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ops.settings import (
    SETTINGS,
    BotSettings,
    SettingsError,
    check_environment,
    load_dotenv,
    parse_admin_ids,
    read_dotenv,
)
from helpers import ROOT, assert_one_line_error, run_cli


def test_defaults_point_at_telegram() -> None:
    settings = BotSettings.from_env({"TELEGRAM_BOT_TOKEN": "123:abc"})
    assert settings.token == "123:abc"
    assert settings.admin_ids == frozenset()
    assert settings.base_url == "https://api.telegram.org/bot"
    assert settings.base_file_url == "https://api.telegram.org/file/bot"


def test_admin_ids_are_numbers_separated_by_commas() -> None:
    assert parse_admin_ids(" 12, 345,,100 ") == {12, 345, 100}
    with pytest.raises(SettingsError, match="'alice' is not a Telegram user id"):
        parse_admin_ids("12,alice")


@pytest.mark.parametrize(("text", "ids"), [
    ("7001 7002", {7001, 7002}),  # two people, never user 70017002
    ("7001\t7002\n", {7001, 7002}),
    ("7001 ,  7002,", {7001, 7002}),
    ("", set()),
    (" , ", set()),
])
def test_admin_ids_may_be_separated_by_spaces_too(text: str, ids: set[int]) -> None:
    assert parse_admin_ids(text) == ids


@pytest.mark.parametrize(("text", "bad"), [
    ("²", "²"),  # a digit to str.isdigit, not to int()
    ("12,--5", "--5"),
    ("-100", "-100"),  # a group's id, never a person's
    ("7001 ٣", "٣"),  # an Arabic-Indic three
    ("12;13", "12;13"),
    ("+5", "+5"),
])
def test_admin_ids_other_than_ascii_digits_are_refused_by_name(text: str, bad: str) -> None:
    with pytest.raises(SettingsError, match=f"BULLETIN_ADMIN_IDS: {re.escape(repr(bad))} is not a Telegram user id"):
        parse_admin_ids(text)


@pytest.mark.parametrize("value", ["²", "--5", "7001 bob"])
def test_a_bad_admin_id_stops_a_command_with_one_line(value: str, sample_db: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BULLETIN_ADMIN_IDS", value)
    rc, out, err = run_cli(capsys, "--db", sample_db, "stats")
    assert (rc, out) == (1, "")
    assert_one_line_error(err)
    assert "BULLETIN_ADMIN_IDS" in err
    assert "a bug" not in err


@pytest.mark.parametrize(("env", "message"), [
    ({}, "TELEGRAM_BOT_TOKEN is not set"),
    ({"TELEGRAM_BOT_TOKEN": "   "}, "TELEGRAM_BOT_TOKEN is not set"),
    ({"TELEGRAM_BOT_TOKEN": "12 3:abc"}, "malformed"),
    ({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_BASE_URL": "ftp://x"}, "TELEGRAM_BASE_URL must be an http"),
])
def test_bad_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        BotSettings.from_env(env)


def test_dotenv_fills_what_the_environment_does_not_set(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# the bot\nexport TELEGRAM_BOT_TOKEN='1:from-file'\nBULLETIN_ADMIN_IDS=7, 8\n"
                      "not a setting\n", encoding="utf-8")
    assert read_dotenv(dotenv) == {"TELEGRAM_BOT_TOKEN": "1:from-file", "BULLETIN_ADMIN_IDS": "7, 8"}
    environ = {"BULLETIN_ADMIN_IDS": "9"}
    load_dotenv(dotenv, environ)
    settings = BotSettings.from_env(environ)
    assert settings.token == "1:from-file"
    assert settings.admin_ids == {9}  # the environment wins over the file
    load_dotenv(tmp_path / "missing.env", environ)
    assert read_dotenv(tmp_path / "missing.env") == {}


def test_every_command_reads_the_dotenv_in_its_working_directory(sample_db: Path, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"BULLETIN_DB={sample_db}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "BULLETIN_DB"}
    result = subprocess.run([str(Path(sys.executable).parent / "bulletin"), "stats"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "articles  5" in result.stdout  # the sample database named in .env, not an empty default


def test_every_setting_is_in_the_readme_table_and_nothing_else_is() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Z_]+)`(?: / `--db PATH`)? \| (.+?) \| (.+?) \|$", readme, re.MULTILINE)
    documented = {name: (default, meaning) for name, default, meaning in rows}
    assert set(documented) == {s.name for s in SETTINGS}
    for setting in SETTINGS:
        assert documented[setting.name] == (f"`{setting.default}`" if not setting.default.startswith("(")
                                            else setting.default, setting.meaning)


@pytest.mark.parametrize(("env", "message"), [
    ({"TELEGRAM_BOT_TOKEN": ""}, "TELEGRAM_BOT_TOKEN is not set"),
    ({"TELEGRAM_BOT_TOKEN": "1:x", "BULLETIN_ADMIN_IDS": "12,bob"}, "'bob' is not a Telegram user id"),
])
def test_serve_with_bad_settings_says_so_in_one_line_and_starts_nothing(
        env: dict[str, str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    rc, out, err = run_cli(capsys, "--db", tmp_path / "b.db", "serve")
    assert rc == 1
    assert out == ""
    assert_one_line_error(err)
    assert message in err
    assert not (tmp_path / "b.db").exists()


@pytest.mark.parametrize(("env", "message"), [
    ({"BULLETIN_ADMIN_ID": "7"}, "unknown setting BULLETIN_ADMIN_ID; did you mean BULLETIN_ADMIN_IDS?"),
    ({"BULLETIN_COLOUR": "red"}, "unknown setting BULLETIN_COLOUR; the settings are: BULLETIN_ADMIN_IDS, "),
    ({"BULLETIN_LOG_LEVEL": "loud"}, "BULLETIN_LOG_LEVEL: 'LOUD' is not one of DEBUG, INFO, WARNING, ERROR"),
    ({"BULLETIN_HEALTH_MAX_AGE": "5"}, "BULLETIN_HEALTH_MAX_AGE: '5' is not a whole number of seconds, at least 15"),
    ({"BULLETIN_MAX_PAGES": "many"}, "BULLETIN_MAX_PAGES: 'many' is not a positive whole number"),
    ({"BULLETIN_ADMIN_IDS": "12,bob"}, "'bob' is not a Telegram user id"),
    ({"TELEGRAM_BASE_URL": "api.telegram.org"}, "TELEGRAM_BASE_URL must be an http(s) URL"),
])
@pytest.mark.parametrize("command", [("ask", "青浦有多少套公租房"), ("stats",), ("health",), ("ingest", "x.txt")])
def test_every_command_refuses_an_unknown_or_malformed_setting_before_doing_anything(
        env: dict[str, str], message: str, command: tuple[str, ...], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.txt").write_text("邮政管理工作简报\n\n一篇\n新建驿站3个。", encoding="utf-8")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    rc, out, err = run_cli(capsys, "--db", tmp_path / "b.db", *command)
    assert rc == 1
    assert out == ""
    assert_one_line_error(err)
    assert message in err
    assert not (tmp_path / "b.db").exists()


def test_the_documented_defaults_are_the_ones_in_force() -> None:
    from bot.ops.settings import check_environment, read_health_max_age, read_limits, read_log_level

    defaults = {s.name: s.default for s in SETTINGS}
    check_environment({})  # nothing set is a valid configuration
    assert read_log_level({}) == defaults["BULLETIN_LOG_LEVEL"]
    assert read_health_max_age({}) == float(defaults["BULLETIN_HEALTH_MAX_AGE"])
    limits = read_limits({})
    assert (limits.max_bytes, limits.seconds, limits.memory_mb, limits.pages) == (
        int(defaults["BULLETIN_MAX_FILE_MB"]) * 1_000_000, int(defaults["BULLETIN_PARSE_SECONDS"]),
        int(defaults["BULLETIN_PARSE_MEMORY_MB"]), int(defaults["BULLETIN_MAX_PAGES"]))
    check_environment({"BULLETIN_LOG_LEVEL": "warning", "BULLETIN_HEALTH_MAX_AGE": "15", "OTHER_THING": "x"})


def test_dotenv_reads_inline_comments_and_quotes_as_meant(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("BULLETIN_LOG_LEVEL=DEBUG   # while we look into it\n"
                      "BULLETIN_WEB_ADMIN_TOKEN='a token # with a hash'\n"
                      'export TELEGRAM_BOT_TOKEN="1:abc"\n'
                      "BULLETIN_ADMIN_IDS\n", encoding="utf-8")
    assert read_dotenv(dotenv) == {"BULLETIN_LOG_LEVEL": "DEBUG", "BULLETIN_WEB_ADMIN_TOKEN": "a token # with a hash",
                                   "TELEGRAM_BOT_TOKEN": "1:abc"}


@pytest.mark.parametrize(("name", "meant"), [("BULETIN_LOG_LEVEL", "BULLETIN_LOG_LEVEL"),
                                             ("BULLETN_DB", "BULLETIN_DB"),
                                             ("BULLETIN_LOG_LEVL", "BULLETIN_LOG_LEVEL")])
def test_a_misspelled_setting_or_prefix_gets_a_did_you_mean(name: str, meant: str) -> None:
    with pytest.raises(SettingsError, match=f"unknown setting {name}; did you mean {meant}\\?"):
        check_environment({name: "x"})
    check_environment({"BUILD_ID": "1", "BULL_RUN": "2"})  # other programs' variables are theirs
