"""Storage grows with the text, not its square: a run-on sentence of thousands of figures, and the text limit."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.tools.bench import stored_bytes as bench_stored_bytes
from bot.tools.synthetic import run_on_text
from helpers import ask_all, db_fingerprint, docx_bytes, ingest_files, ingest_one, run_cli
from index import LIMITS, extract_figures, sentences
from index.analysis.figures import SENTENCE_CHARS
from index.search.snapshot import open_library


def stored_bytes(db: Path) -> int:
    """What the bench counts (database, WAL, saved index), once the WAL is folded in and free pages dropped."""
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
    return bench_stored_bytes(db)


def ingest_and_save(tmp_path: Path, name: str, text: str) -> Path:
    """Ingest text as a file into a fresh database and save its index; return the database."""
    import asyncio

    from index import Store

    source = tmp_path / f"{name}.txt"
    source.write_text(text, encoding="utf-8")
    db = tmp_path / f"{name}.db"
    [result] = ingest_files(db, [source])
    assert result.status == "added", result

    async def save() -> None:
        async with await Store.open(db) as store:
            await open_library(store)

    asyncio.run(save())
    return db


def test_a_run_on_sentence_is_read_in_pieces_no_longer_than_the_limit() -> None:
    text = run_on_text(2000)
    pieces = sentences(text)
    assert max(len(p) for p in pieces) <= SENTENCE_CHARS
    assert "".join(pieces) == text.replace("\n", "")  # nothing lost, nothing repeated
    assert all(p.endswith(("，", "。")) or p == pieces[-1] for p in pieces[1:-1])  # cut after commas


def test_storage_grows_linearly_with_a_run_on_sentence(tmp_path: Path) -> None:
    # quadratic growth (every figure copying its whole sentence) made 4x the text 16x the bytes
    small = stored_bytes(ingest_and_save(tmp_path, "small", run_on_text(1000)))
    large = stored_bytes(ingest_and_save(tmp_path, "large", run_on_text(4000)))
    assert large / small < 5.5, (small, large)
    assert large < 400 * len(run_on_text(4000)), large  # a few hundred bytes per input character at most


def test_a_figure_of_a_run_on_sentence_is_answered_with_its_own_clause(tmp_path: Path) -> None:
    db = ingest_and_save(tmp_path, "runon", run_on_text(3000))
    with closing(sqlite3.connect(db)) as conn:
        spans = conn.execute("SELECT max(sentence_end - sentence_start), count(*) FROM figures").fetchone()
    assert spans[0] <= SENTENCE_CHARS
    assert spans[1] >= 3000
    answer = ask_all(db, ["闵行局新建了多少个网点"])["闵行局新建了多少个网点"]
    assert answer["found"]
    assert all(len(f["sentence"]) <= SENTENCE_CHARS for f in answer["figures"])


def test_a_text_file_over_the_character_limit_is_refused_and_stores_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BULLETIN_MAX_CHARS", "20000")
    db = tmp_path / "limit.db"
    big = tmp_path / "big.txt"
    big.write_text(run_on_text(3000), encoding="utf-8")  # about 40,000 characters
    run_cli(capsys, "--db", db, "ingest", tmp_path / "none.txt")  # makes the database (a refusal of its own)
    before = db_fingerprint(db)
    status, out, err = run_cli(capsys, "--db", db, "ingest", big)
    assert status == 1
    assert "BULLETIN_MAX_CHARS" in out + err
    assert "20,000" in out + err
    assert db_fingerprint(db) == before


def test_a_docx_unpacking_to_more_text_than_the_limit_is_refused_by_the_reader(tmp_path: Path) -> None:
    from dataclasses import replace

    from index import Store, ingest_bytes
    from index.errors import BulletinError

    data = docx_bytes(["闵行局新建网点1个。" * 400] * 40)  # small zipped, 160,000 characters unpacked
    assert len(data) < 60_000
    limits = replace(LIMITS, max_chars=100_000)
    db = tmp_path / "docx.db"

    async def run() -> object:
        from helpers import segmenter

        async with await Store.open(db) as store:
            return await ingest_bytes(store, segmenter(), data, "bomb.docx", limits=limits)

    import asyncio

    try:
        result = asyncio.run(run())
    except BulletinError as e:
        reason = str(e)
    else:
        assert getattr(result, "status", None) == "refused", result
        reason = result.reason  # type: ignore[attr-defined]
    assert "100,000" in reason
    assert "BULLETIN_MAX_CHARS" in reason
    assert "\n" not in reason
    assert ingest_one(tmp_path / "docx.db", "闵行局新建网点1个。".encode(), "ok.txt").status == "added"


def test_an_upload_to_the_bot_over_the_character_limit_is_refused_and_stores_nothing(
        fake: Any, sample_db: Path, tmp_path: Path) -> None:
    import asyncio
    import shutil
    from dataclasses import replace

    from helpers import counts, running_bot

    db = Path(shutil.copy(sample_db, tmp_path / "bot.db"))
    before = counts(db)
    admin = 7001

    async def main() -> str:
        async with running_bot(fake, db, frozenset({admin}), replace(LIMITS, max_chars=20_000)):
            fake.send_document(run_on_text(3000).encode(), "run-on.txt", user_id=admin)
            await fake.wait_for(lambda: any("未收录" in m["text"] for m in fake.sent(admin)))
            return str(fake.sent(admin)[-1]["text"])

    text = asyncio.run(main())
    assert "文字超过 20,000 字的上限" in text
    assert "it holds" not in text  # no English inside the Chinese reply
    assert counts(db) == before


def test_a_cut_never_falls_inside_a_number_with_commas_or_a_time() -> None:
    for before, number in (("累计完成快递业务量", "12,345,678件"), ("于", "10:30")):
        for shift in range(-12, 4):  # the number standing across the limit at every place
            text = "青浦局" + "推进网点建设" * 48 + "网" * (6 + shift) + before + number + "，" + "持续推进" * 20 + "。"
            assert len(text) > SENTENCE_CHARS
            assert any(number in piece for piece in sentences(text)), (number, shift)
    [figure] = [f for f in extract_figures("青浦局" + "推进网点建设" * 48 + "累计完成快递业务量12,345,678件，持续推进。")
                if f.unit == "件"]
    assert figure.value == 12_345_678


def test_a_run_of_digits_is_cut_into_full_pieces_not_one_character_at_a_time() -> None:
    # stepping back out of a number one character at a time made 80,000 digits take seconds (pieces of 1)
    pieces = sentences("1" * 30_000)
    assert len(pieces) <= 30_000 // (SENTENCE_CHARS - 20) + 1
    assert "".join(pieces) == "1" * 30_000
