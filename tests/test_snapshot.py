"""The saved index: the flat corpus gives back every chunk and figure, a start loads it, a change or damage rebuilds."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import mmap
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import helpers
from bot.answering.engine import Engine
from bot.answering.render import to_json
from index import Library, Store, open_library, places_in
from index.records import StoredChunk
from index.search import snapshot
from index.search.snapshot import FORMAT, MANIFEST, STAMP, folder_of

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
    opened: list[tuple[str, Library]] = []

    async def load() -> None:
        async with await Store.open(db) as store:
            opened.append(await open_library(store))

    # kept out of the task's result: asyncio.run formats the task on leaving (Python 3.11), the Library with it
    asyncio.run(load())
    return opened[0]


def _answers(db: Path) -> list[dict[str, Any]]:
    async def ask() -> list[dict[str, Any]]:
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


@pytest.mark.parametrize("damage", ["empty", "truncate", "delete", "garbage"])
def test_a_damaged_snapshot_is_rebuilt_not_trusted(corpus_db: Path, tmp_path: Path, damage: str) -> None:
    db = Path(shutil.copy(corpus_db, tmp_path / "copy.db"))
    answers = _answers(db)
    key, _ = _open(db)
    victim = folder_of(db, key) / "corpus" / "figures_at.npy"
    if damage == "empty":
        victim.write_bytes(b"")
    elif damage == "truncate":
        victim.write_bytes(victim.read_bytes()[:40])
    elif damage == "delete":
        victim.unlink()
    else:
        victim.write_bytes(b"\x93NUMPY garbage" * 10)
    assert _answers(db) == answers
    _, library = _open(db)
    assert _mapped(library)  # saved again, whole


# every file of a saved snapshot: a change of layout must show here, so that each new file is damaged below too
SNAPSHOT_FILES = sorted([*(f"corpus/{name}.npy" for name in (
    "ids", "ordinals", "article_of", "text_at", "text", "figures_at", "figures", "place_at", "place_pos", "art_start",
    "art_ids", "art_title", "art_document", "art_place", "art_date", "art_issue", "art_period", "measure_at", "m_pos",
    "m_fig", "m_places", "m_first", "m_date", "set_at", "set_places")), "corpus/strings.json",
    *(f"postings/{name}.npy" for name in ("indptr", "docs", "contrib", "idf", "maxc")), "postings/words.txt",
    "postings/meta.json", MANIFEST])
DATA_FILES = [name for name in SNAPSHOT_FILES if name != MANIFEST]
TERMS = (["青浦", "公租房"], ["快递", "网点", "徐汇"], ["暖锋", "行动"], ["驿站"])
MEASURES = ("快递网点", "公租房", "驿站", "面积")


@pytest.fixture(scope="module")
def saved(corpus_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Library]:
    """A copy of the corpus with its snapshot saved, the key, and the Library loaded from it undamaged."""
    db = Path(shutil.copy(corpus_db, tmp_path_factory.mktemp("saved") / "copy.db"))
    key, _ = _open(db)
    _, loaded = _open(db)
    assert _mapped(loaded)
    return db, key, loaded


def _copy(saved: tuple[Path, str, Library], tmp_path: Path) -> tuple[Path, Path]:
    """Copy the saved database and its snapshot folder; return the copy's database and snapshot folder."""
    db, key, _ = saved
    copy = Path(shutil.copy(db, tmp_path / db.name))
    shutil.copytree(folder_of(db, key).parent, folder_of(copy, key).parent)
    return copy, folder_of(copy, key)


def _same(library: Library, reference: Library) -> None:
    """Assert that two libraries hold the same chunks and figures and search alike."""
    assert list(library.chunks) == list(reference.chunks)
    assert [library.figures.get(c.id) for c in library.chunks] == [reference.figures.get(c.id) for c in library.chunks]
    for terms in TERMS:
        assert library.search(terms, k=20, phrase="".join(terms)) == reference.search(terms, k=20,
                                                                                        phrase="".join(terms))
    for word in MEASURES:
        assert library.measuring([word]) == reference.measuring([word])


def _rebuilt(db: Path, folder: Path, reference: Library, caplog: pytest.LogCaptureFixture, reason: str) -> None:
    """Assert that the next start warns once, rebuilds, answers as the reference, and saves a snapshot that loads."""
    with caplog.at_level(logging.WARNING, logger="index.search.snapshot"):
        _, library = _open(db)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert str(folder) in warnings[0], warnings[0]
    assert reason in warnings[0].split(str(folder))[1], warnings[0]  # in the reason, not in the test's folder name
    assert not _mapped(library)  # built from the database, not from the damaged files
    _same(library, reference)
    again = snapshot.load(folder)  # saved again, whole: its manifest agrees
    assert _mapped(again)
    assert len(again.chunks) == len(reference.chunks)


def test_a_snapshot_lists_every_file_in_its_manifest(saved: tuple[Path, str, Library]) -> None:
    db, key, _ = saved
    folder = folder_of(db, key)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == sorted(
        [*SNAPSHOT_FILES, STAMP])
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format"] == FORMAT
    assert sorted(manifest["files"]) == DATA_FILES
    for name, entry in manifest["files"].items():
        assert entry["size"] == (folder / name).stat().st_size


@pytest.mark.parametrize("name", SNAPSHOT_FILES)
def test_a_file_cut_to_nothing_is_rebuilt(saved: tuple[Path, str, Library], tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture, name: str) -> None:
    db, folder = _copy(saved, tmp_path)
    (folder / name).write_bytes(b"")
    reason = "unreadable" if name == MANIFEST else f"{name} holds 0 bytes"
    _rebuilt(db, folder, saved[2], caplog, reason)


@pytest.mark.parametrize("name", SNAPSHOT_FILES)
def test_a_file_with_flipped_bytes_is_rebuilt(saved: tuple[Path, str, Library], tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture, name: str) -> None:
    db, folder = _copy(saved, tmp_path)
    data = bytearray((folder / name).read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4] = bytes(b ^ 0x55 for b in data[middle:middle + 4])  # same size: only a checksum sees it
    (folder / name).write_bytes(bytes(data))
    _rebuilt(db, folder, saved[2], caplog, "manifest" if name == MANIFEST else name)


@pytest.mark.parametrize("name", [MANIFEST, "corpus/text.npy", "postings/meta.json"])
def test_a_deleted_file_is_rebuilt(saved: tuple[Path, str, Library], tmp_path: Path,
                                   caplog: pytest.LogCaptureFixture, name: str) -> None:
    db, folder = _copy(saved, tmp_path)
    (folder / name).unlink()
    _rebuilt(db, folder, saved[2], caplog, "unreadable" if name == MANIFEST else f"missing ['{name}']")


def test_a_file_the_manifest_does_not_list_is_rebuilt(saved: tuple[Path, str, Library], tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    db, folder = _copy(saved, tmp_path)
    (folder / "corpus" / "extra.npy").write_bytes(b"left by someone else")
    _rebuilt(db, folder, saved[2], caplog, "not listed ['corpus/extra.npy']")


@pytest.mark.parametrize(("manifest", "reason"), [
    (b"\x00\xff garbage \x93NUMPY", "unreadable"),
    (b"[]", f"not a format {FORMAT} manifest"),
    (json.dumps({"format": FORMAT - 1, "files": {}}).encode(), f"not a format {FORMAT} manifest"),
    (json.dumps({"format": FORMAT, "files": {}}).encode(), "not listed ['corpus/art_date.npy'"),
    (json.dumps({"format": FORMAT, "files": dict.fromkeys(DATA_FILES, "0")}).encode(), "no size and checksum"),
    (json.dumps({"format": FORMAT, "files": {n: {"size": 0, "crc32": 0} for n in DATA_FILES}}).encode(),
     "corpus/art_date.npy holds"),
], ids=["garbage", "a list", "another format", "no files", "no sizes", "other files"])
def test_a_foreign_manifest_is_rebuilt(saved: tuple[Path, str, Library], tmp_path: Path,
                                       caplog: pytest.LogCaptureFixture, manifest: bytes, reason: str) -> None:
    db, folder = _copy(saved, tmp_path)
    (folder / MANIFEST).write_bytes(manifest)
    _rebuilt(db, folder, saved[2], caplog, reason)


def test_a_stamped_snapshot_loads_without_reading_every_byte(saved: tuple[Path, str, Library],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    db, key, reference = saved
    def unread(path: Path) -> int:
        raise AssertionError(f"{path} was read")
    monkeypatch.setattr(snapshot, "_crc", unread)
    monkeypatch.setattr(snapshot, "_check_bounds", unread)
    library = snapshot.load(folder_of(db, key))  # as saved: its stamp stands, so start-up does not grow with it
    assert _mapped(library)
    _same(library, reference)


def test_a_copied_snapshot_is_checked_once_then_stamped(saved: tuple[Path, str, Library], tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _, folder = _copy(saved, tmp_path)  # other inodes: the stamp that came along does not stand
    read: list[str] = []
    crc = snapshot._crc
    monkeypatch.setattr(snapshot, "_crc", lambda path: read.append(path.name) or crc(path))
    snapshot.load(folder)
    assert len(read) == len(DATA_FILES)
    read.clear()
    snapshot.load(folder)
    assert read == []


@pytest.mark.parametrize("name", ["corpus/text.npy", "postings/contrib.npy"])
def test_flipped_bytes_behind_an_old_modification_time_are_rebuilt(
        saved: tuple[Path, str, Library], tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str) -> None:
    db, folder = _copy(saved, tmp_path)
    snapshot.load(folder)  # checked and stamped
    path = folder / name
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x55
    with path.open("r+b") as f:  # in place: the same inode and size
        f.write(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # its time set back: only the ctime tells
    _rebuilt(db, folder, saved[2], caplog, name)


def test_positions_out_of_range_are_rebuilt_even_when_the_manifest_agrees(
        saved: tuple[Path, str, Library], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db, folder = _copy(saved, tmp_path)
    docs = folder / "postings" / "docs.npy"
    np.save(docs, np.load(docs) + len(saved[2].chunks), allow_pickle=False)  # every posting past the last chunk
    snapshot._write_manifest(folder)  # a save gone wrong, not damage: the checksums match what is there
    _rebuilt(db, folder, saved[2], caplog, "docs points outside")
