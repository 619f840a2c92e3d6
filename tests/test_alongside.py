"""The saved index built in a child process while `bulletin ingest` stores: the very Library a build after it gives."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

import helpers
from index import Alongside, Library, Store, index_root, ingest_paths, open_library, parsed_in_children
from index.search.corpus import _ARRAYS

BULLETINS = helpers.ROOT / "tests" / "data" / "bulletins"


def _saved(db: Path) -> Library:
    [folder] = list(index_root(db).iterdir())
    return Library.load(folder)


def _built_afresh(db: Path) -> Library:
    shutil.rmtree(index_root(db))

    async def build() -> Library:
        async with await Store.open(db, create=False) as store:
            return (await open_library(store))[1]

    return asyncio.run(build())


def _assert_same(a: Library, b: Library) -> None:
    for name in _ARRAYS:
        assert np.array_equal(getattr(a.corpus, name), getattr(b.corpus, name)), name
    assert (a.corpus.strings, a.corpus.measures, a.corpus.places) == (b.corpus.strings, b.corpus.measures,
                                                                     b.corpus.places)
    p, q = a.searcher.postings, b.searcher.postings
    assert p.words == q.words
    for name in ("indptr", "docs", "contrib", "idf", "maxc"):
        assert np.array_equal(getattr(p, name), getattr(q, name)), name


def _ingest_alongside(db: Path, paths: list[Path]) -> list[str]:
    """Ingest with the index built in the child; return the statuses."""
    async def run() -> list[str]:
        async with await Store.open(db) as store, Alongside(store) as alongside:
            results = await ingest_paths(store, helpers.segmenter(), paths)
            await alongside.finish()
            return [r.status for r in results]

    return asyncio.run(run())


def test_the_index_built_alongside_an_ingest_is_the_one_built_after_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "b.db"
    with caplog.at_level(logging.INFO, logger="index.search.alongside"):
        assert _ingest_alongside(db, [helpers.SAMPLE, BULLETINS]) == ["added"] * 4
    assert not [r for r in caplog.records if "not built alongside" in r.getMessage()]  # the child saved it
    alongside = _saved(db)
    assert len(alongside.chunks) > 20
    _assert_same(alongside, _built_afresh(db))


def test_an_issue_replaced_during_the_ingest_still_leaves_the_right_index(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    assert _ingest_alongside(db, [BULLETINS]) == ["added"] * 3
    newer = tmp_path / "new"
    newer.mkdir()
    # a new version of an issue already indexed (the same series and number, one figure changed): the old one
    # leaves the index, behind the child's back if it had read it
    old = (BULLETINS / "2023-06-songjiang.txt").read_text(encoding="utf-8")
    (newer / "2023-06-songjiang.txt").write_text(old.replace("210", "211", 1), encoding="utf-8")
    shutil.copy(helpers.SAMPLE, newer / helpers.SAMPLE_NAME)
    assert sorted(_ingest_alongside(db, [newer])) == ["added", "updated"]
    _assert_same(_saved(db), _built_afresh(db))


def test_a_small_ingest_builds_the_index_itself(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "b.db"
    assert not parsed_in_children([helpers.SAMPLE])  # one file: no child is started for it
    assert helpers.run_cli(capsys, "ingest", helpers.SAMPLE, "--db", db)[0] == 0
    _assert_same(_saved(db), _built_afresh(db))


def test_a_child_that_dies_leaves_the_ingest_to_build_the_index(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "b.db"

    async def run() -> None:
        async with await Store.open(db) as store, Alongside(store) as alongside:
            await ingest_paths(store, helpers.segmenter(), [helpers.SAMPLE, BULLETINS])
            assert alongside._process is not None
            alongside._process.kill()  # as the kernel's out-of-memory killer would
            await asyncio.to_thread(alongside._process.join)
            await alongside.finish()

    with caplog.at_level(logging.INFO, logger="index.search.alongside"):
        asyncio.run(run())
    assert [r for r in caplog.records if "not built alongside" in r.getMessage()]
    _assert_same(_saved(db), _built_afresh(db))
