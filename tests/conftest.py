"""Fixtures shared by every test module: an isolated environment and the sample, ingested once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakebot import FakeBotAPI
from helpers import SAMPLE, ingest_files, isolate_env


@pytest.fixture(scope="session", autouse=True)
def _env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep every test away from $HOME and from an inherited BULLETIN_DB."""
    yield from isolate_env(tmp_path_factory)


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database holding the sample bulletin. Read-only: tests that write copy it first."""
    db = tmp_path_factory.mktemp("sample") / "sample.db"
    [result] = ingest_files(db, [SAMPLE])
    assert result.status == "added", result
    return db


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    """A fake Telegram Bot API on 127.0.0.1, started for the test and stopped after it."""
    with FakeBotAPI() as api:
        yield api
