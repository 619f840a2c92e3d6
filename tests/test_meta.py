"""Architecture rules, checked on the source with ast: layering, one owner per third-party library, docs."""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from bot.cli import build_parser
from helpers import CONTRACT_KEYS, FIGURE_KEYS, ROOT, SOURCE_KEYS

PACKAGES = ("bot", "index")

# third-party top-level module -> the one file allowed to import it
OWNERS = {
    "jieba": "index/analysis/segment.py",
    "aiosqlite": "index/storage/door.py",
    "rank_bm25": "index/search/searcher.py",
    "telegram": "bot/telegram/app.py",
}
# other importers allowed on purpose: `bulletin bench`'s naive baseline is rank-bm25 itself, outside the app;
# the 👍/👎 buttons and the per-user fair turns are the Telegram adapter's other files, so that app.py
# stays readable
SECOND_IMPORTERS = {"aiosqlite": {"index/storage/bulletins.py", "index/storage/snapshot_rows.py"},  # the storage room
                    "rank_bm25": {"bot/tools/bench_probe.py"}, "telegram": {"bot/telegram/feedback.py", "bot/telegram/throttle.py"}}


def source_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    """Every module path imports (absolute names; relative imports resolved), wherever the import stands."""
    relative = path.relative_to(ROOT).with_suffix("")
    package = list(relative.parts[:-1])  # the package a module (or __init__) belongs to
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                found.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                found.add(node.module)
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id in ("__import__", "import_module")))):
            found.add(node.args[0].value)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


IMPORTS = {p.relative_to(ROOT).as_posix(): imported_modules(p) for p in source_files()}


def test_the_scan_sees_the_source() -> None:
    assert "index/storage/door.py" in IMPORTS
    assert "bot/cli.py" in IMPORTS
    assert "jieba" in IMPORTS["index/analysis/segment.py"]  # the scanner does find imports
    assert "aiosqlite" in IMPORTS["index/storage/door.py"]
    assert any(top(m) == "index" for m in IMPORTS["bot/cli.py"])


def test_index_never_imports_bot() -> None:
    offenders = {f: sorted(m for m in mods if top(m) == "bot")
                 for f, mods in IMPORTS.items() if f.startswith("index/")}
    assert {f: m for f, m in offenders.items() if m} == {}


# the command line dispatches the developer commands (bench, eval): it may load them, in the function that runs them
DEVELOPER_DOORS = {"bot/cli.py"}


def test_the_running_bot_never_imports_the_developer_tools() -> None:
    offenders = {f: sorted(m for m in mods if m.startswith("bot.tools"))
                 for f, mods in IMPORTS.items()
                 if f.startswith("bot/") and not f.startswith("bot/tools/") and f not in DEVELOPER_DOORS}
    assert {f: m for f, m in offenders.items() if m} == {}
    assert any(m.startswith("bot.tools") for m in IMPORTS["bot/tools/train.py"])  # the scan does see them
    for door in DEVELOPER_DOORS:  # there, only inside a function: never on loading the module
        tree = ast.parse((ROOT / door).read_text(encoding="utf-8"))
        top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        assert not [n for n in top_level if any("bot.tools" in name for name in _names(n))]


def _names(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]


def test_serving_loads_no_developer_tool() -> None:
    """What `bulletin serve` and `bulletin web` load (the CLI, the adapters, the answering core) holds no bot.tools."""
    import subprocess
    import sys

    code = ("import sys, bot.cli, bot.telegram.app, bot.web.app; "
            "print(sorted(m for m in sys.modules if m.startswith('bot.tools')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "[]"


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_third_party_library_has_one_owner(library: str) -> None:
    users = sorted(f for f, mods in IMPORTS.items() if any(top(m) == library for m in mods))
    assert users == sorted({OWNERS[library], *SECOND_IMPORTERS.get(library, ())})


def subcommands() -> list[str]:
    parser = build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(action.choices)


def test_parser_has_the_documented_subcommands() -> None:
    assert {"ingest", "ask", "chat", "stats", "serve"} <= set(subcommands())


@pytest.mark.parametrize("command", subcommands())
def test_every_subcommand_is_in_the_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`bulletin {command}\b", readme), f"README.md does not show `bulletin {command}`"


def test_readme_states_the_json_contract() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = set(re.findall(r'"(\w+)"', readme[readme.index("`--json` prints"):]))
    assert quoted >= CONTRACT_KEYS | FIGURE_KEYS | SOURCE_KEYS


def test_bot_uses_only_the_public_api_of_index() -> None:
    reaching = {f: sorted(m for m in mods if m.startswith("index.")) for f, mods in IMPORTS.items()
                if f.startswith("bot/")}
    assert {f: m for f, m in reaching.items() if m} == {}


def test_every_package_is_installed() -> None:
    """A plain `pip install .` (the README's, the Dockerfile's) ships every package folder, not only the listed ones
    an editable install would find anyway."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for package in PACKAGES for p in (ROOT / package).rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
