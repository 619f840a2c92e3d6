"""The saved index: the flat corpus gives back every chunk and figure, a start loads it, a change or damage rebuilds."""

from __future__ import annotations

import asyncio
import datetime as dt
import mmap
import shutil
from pathlib import Path

import pytest

import helpers
from bot.engine import Engine
from bot.render import to_json
from index import Library, Store, open_library, places_in
from index.records import StoredChunk
from index.snapshot import folder_of

ISSUES = helpers.ROOT / "tests" / "data" / "bulletins"
QUESTIONS = ["青浦有多少套公租房", "徐汇有多少个快递网点", "各区分别有多少个快递网点", "全市累计建成多少个快递驿站",
             "2023年徐汇新增多少个快递网点", "浦东邮政管理局哪天与区总工会召开专题会议", "什么是暖锋行动"]


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample and the three test issues."""
    db = tmp_path_factory.mktemp("snap") / "corpus.db"
    assert [r.status for r in helpers.ingest_files(db, [helpers.SAMPLE, ISSUES])] == ["added"] * 4
    return db


def _stored(db: Path) -> list[StoredChunk]:
    return helpers.stored_chunks(db)


def _open(db: Path) -> tuple[str, Library]:
    async def load() -> tuple[str, Library]:
        async with await Store.open(db) as store:
            return await open_library(store)

    return asyncio.run(load())


def _answers(db: Path) -> list[str]:
    async def ask() -> list[str]:
        async with await Store.open(db) as store:
            engine = await Engine.load(store, helpers.segmenter())
        return [to_json(engine.ask(q)) for q in QUESTIONS]

    return asyncio.run(ask())


def _mapped(library: Library) -> bool:
    """Tell whether the corpus text and the postings are read from files (loaded), not made in memory (built)."""
    return _on_file(library.corpus.text) and _on_file(library.searcher.postings.docs)


def _on_file(array: object) -> bool:
    while array is not None:
        if isinstance(array, mmap.mmap):
            return True
        array = getattr(array, "base", None)
    return False


def test_the_flat_corpus_gives_back_every_chunk_and_figure(corpus_db: Path) -> None:
    stored = _stored(corpus_db)
    library = Library.build(stored)
    assert list(library.chunks) == [s.chunk for s in stored]
    for s in stored:
        assert library.figures.get(s.chunk.id) == s.figures
        assert s.chunk in library.articles.get(s.chunk.article_id)
        own = (s.chunk.place,) if s.chunk.place else ()
        assert set(library.places_of(s.chunk.id)) == set(places_in(s.chunk.text)) | set(own)
    assert library.figures.get(-1) == ()
    assert library.articles.get(-1) == ()
    assert library.newest == max(s.chunk.issue_date for s in stored if s.chunk.issue_date)


@pytest.mark.parametrize("places", [(), ("徐汇",), ("青浦", "徐汇")])
@pytest.mark.parametrize("other", [False, True])
def test_the_figure_index_finds_what_a_scan_of_every_figure_finds(corpus_db: Path, places: tuple[str, ...],
                                                                 other: bool) -> None:
    stored = _stored(corpus_db)
    library = Library.build(stored)
    for word in ["快递网点", "公租房", "驿站", "面积"]:
        expected = {(s.chunk.id, f.start, f.sentence) for s in stored for f in s.figures if word in f.measure
                    and (not places or (bool(set(f.places) & set(places)) != other
                                        and (not other or bool(f.places))))}
        found = library.measuring([word], places=places, other_places=other)
        assert {(c.id, f.start, f.sentence) for c, f in found} == expected
        dates = [c.issue_date or dt.date.min for c, _ in found]
        assert dates == sorted(dates, reverse=True)  # newest first
        if not places:
            capped = library.measuring([word], per_place=1)
            firsts = [f.places[:1] for _, f in capped]
            assert len(firsts) == len(set(firsts)) == len({f.places[:1] for _, f in found})


def test_a_start_loads_the_saved_index_and_answers_as_the_built_one(corpus_db: Path, tmp_path: Path) -> None:
    db = Path(shutil.copy(corpus_db, tmp_path / "copy.db"))
    key, built = _open(db)
    assert not _mapped(built)
    assert folder_of(db, key).is_dir()
    again_key, loaded = _open(db)
    assert again_key == key
    assert _mapped(loaded)
    stored = _stored(db)
    assert [loaded.chunks[i] for i in range(len(loaded.chunks))] == [s.chunk for s in stored]
    for q in (["青浦", "公租房"], ["快递", "网点", "徐汇"], ["暖锋", "行动"]):
        assert loaded.search(q, k=20) == built.search(q, k=20)
    answers = _answers(db)
    shutil.rmtree(folder_of(db, key))
    assert _answers(db) == answers  # built afresh: the same answers


def test_an_ingest_makes_a_new_snapshot_and_drops_the_old(corpus_db: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    db = Path(shutil.copy(corpus_db, tmp_path / "copy.db"))
    old, _ = _open(db)
    extra = tmp_path / "extra.txt"
    extra.write_text(helpers.SAMPLE.read_text(encoding="utf-8").replace("青浦", "嘉定").replace("第", "第1", 1),
                     encoding="utf-8")
    code, _, _ = helpers.run_cli(capsys, "ingest", extra, "--db", db)
    assert code == 0
    new, library = _open(db)
    assert new != old
    assert _mapped(library)
    assert [p.name for p in folder_of(db, new).parent.iterdir()] == [folder_of(db, new).name]
    assert len(library.chunks) == len(_stored(db))


@pytest.mark.parametrize("damage", ["truncate", "delete", "garbage"])
def test_a_damaged_snapshot_is_rebuilt_not_trusted(corpus_db: Path, tmp_path: Path, damage: str) -> None:
    db = Path(shutil.copy(corpus_db, tmp_path / "copy.db"))
    answers = _answers(db)
    key, _ = _open(db)
    victim = folder_of(db, key) / "corpus" / "figures_at.npy"
    if damage == "truncate":
        victim.write_bytes(victim.read_bytes()[:40])
    elif damage == "delete":
        victim.unlink()
    else:
        victim.write_bytes(b"\x93NUMPY garbage" * 10)
    assert _answers(db) == answers
    _, library = _open(db)
    assert _mapped(library)  # saved again, whole
