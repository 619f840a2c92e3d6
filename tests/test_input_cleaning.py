"""Input that should not change an answer: HTML, invisible characters, questions that name nothing, odd file names."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import shutil
import sqlite3
import sys
import unicodedata
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answering.answer import Answer
from bot.answering.engine import Engine, normalize_question
from bot.answering.explain import explain
from bot.answering.question import has_content
from bot.answering.render import render_plain, to_json
from bot.telegram.messages import answer_blocks, more_blocks, pack, source_blocks
from fakebot import FakeBotAPI
from helpers import (
    JIADING_QUESTION,
    JIADING_TEXT,
    ROOT,
    SAMPLE_NAME,
    assert_one_line_error,
    ingest_one,
    query,
    run_cli,
    running_bot,
    segmenter,
    stored_chunks,
)
from index import Library, clean_name, clean_text, extract_figures, for_log, strip_invisible
from index.records import StoredChunk

# invisible characters a paste or a forged name carries: bidi override/isolate/marks, zero-width, BOM, controls
INVISIBLE = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u200b\u200c\u200d\u2060\ufeff\x00\x07\x1b\x7f\x85"


# --- the cleaning functions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "clean"), [
    ("<b>闵行</b>有多少个驿站</i>", "闵行有多少个驿站"),
    ("公租房&amp;", "公租房&"),
    ("&lt;b&gt;青浦&lt;/b&gt;", "青浦"),  # tags spelled as entities are tags too
    ('<a href="x">青浦</a>', "青浦"),
    ("<<b>b>青浦", "青浦"),
    ("1<2且3>2", "1<2且3>2"),  # a lone < or > is text
    ("a < b > c", "a < b > c"),
    ("<3 青浦", "<3 青浦"),
    ("青浦&nbsp;公租房", "青浦\u00a0公租房"),
])
def test_clean_text_removes_markup_and_keeps_lone_angle_brackets(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_removes_control_and_format_characters_but_keeps_lines_and_tabs() -> None:
    assert clean_text(f"青{INVISIBLE}浦\t100\n套") == "青浦\t100\n套"
    assert clean_text("青浦\r\n100\r套") == "青浦\n100\n套"  # a bare \r would overwrite the line on a terminal
    assert clean_text("&#x202e;100&#8238;") == "100"  # an entity may spell an override


def test_strip_invisible_removes_every_control_and_format_character_and_nothing_assigned_else() -> None:
    # checked against the running Python's Unicode tables: a new format character in a later Unicode shows here
    every = "".join(chr(c) for c in range(sys.maxunicode + 1)
                    if unicodedata.category(chr(c)) != "Cs" and chr(c) not in "\t\n\r")
    removed = set(every) - set(strip_invisible(every))
    invisible = {c for c in every if unicodedata.category(c) in ("Cc", "Cf")}
    assert invisible <= removed
    assert {unicodedata.category(c) for c in removed} <= {"Cc", "Cf", "Cn"}  # Cn: unassigned in an older Unicode


def test_clean_name_is_one_line() -> None:
    assert clean_name(f" 第5期\n简报{INVISIBLE}\r\n.txt ") == "第5期 简报 .txt"
    assert clean_name("a&amp;b\u202etxt.pdf") == "a&btxt.pdf"


def test_for_log_leaves_a_plain_name_alone_and_quotes_one_that_could_forge_or_disguise_a_line() -> None:
    assert for_log("第5期 简报.txt") == "第5期 简报.txt"
    assert for_log("a.txt\nINFO forged") == "'a.txt\\nINFO forged'"
    assert for_log("\u202etxt.exe") == "'\\u202etxt.exe'"


# --- questions ------------------------------------------------------------------------------------------------


def _ask_json(capsys: pytest.CaptureFixture[str], db: Path, question: str) -> dict[str, object]:
    rc, out, err = run_cli(capsys, "--db", db, "ask", "--json", question)
    assert rc == 0, err
    result: dict[str, object] = json.loads(out)
    return result


@pytest.mark.parametrize(("dressed", "plain"), [
    ("<b>闵行</b>有多少个驿站</i>", "闵行有多少个驿站"),
    ("<b>青浦</b>有多少套公租房</i>", "青浦有多少套公租房"),
    ("青浦有多少套公租房&amp;", "青浦有多少套公租房&"),
    ("公租房&amp;", "公租房&"),
    (f"青浦{INVISIBLE}有多少套\u202e公租房", "青浦有多少套公租房"),
    ("\u2067青浦\u2069有多少套公租房\x1b[2J", "青浦有多少套公租房[2J"),
])
def test_a_question_with_html_or_invisible_characters_answers_as_the_plain_one(
        sample_db: Path, capsys: pytest.CaptureFixture[str], dressed: str, plain: str) -> None:
    assert _ask_json(capsys, sample_db, dressed) == _ask_json(capsys, sample_db, plain)


# --- questions that name nothing --------------------------------------------------------------------------------

# (question, what the one-line error says): punctuation alone is an empty question, as it always was
NOTHING_ASKED = [("-x", "没看懂"), ("的了吗", "没看懂"), ("有多少个", "没看懂"), ("是什么", "没看懂"), ("x?", "没看懂"),
                 ("<b></b>吗", "没看懂"), (".*", "问题是空的"), ("？？？", "问题是空的")]


@pytest.mark.parametrize(("question", "said"), NOTHING_ASKED)
def test_a_question_with_no_content_word_is_not_understood_with_exit_status_2(
        sample_db: Path, capsys: pytest.CaptureFixture[str], question: str, said: str) -> None:
    rc, out, err = run_cli(capsys, "--db", sample_db, "ask", "--json", "--", question)
    assert rc == 2
    assert out == ""  # not a random passage
    assert_one_line_error(err)
    assert said in err


@pytest.mark.parametrize("question", ["G60有多少", "12345热线受理多少件", "5月", "ab多少", "青浦有多少套公租房"])
def test_a_question_with_one_content_word_is_asked(sample_db: Path, capsys: pytest.CaptureFixture[str],
                                                   question: str) -> None:
    rc, out, err = run_cli(capsys, "--db", sample_db, "ask", "--json", "--", question)
    assert rc == 0, err
    assert json.loads(out)["question"] == question


def test_questions_on_stdin_that_name_nothing_get_an_error_answer_each(
        sample_db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("的了吗\n青浦有多少套公租房\n？？？\n"))
    rc, out, _ = run_cli(capsys, "--db", sample_db, "ask", "-", "--json")
    assert rc == 1  # as a blank line does: every line answered, the status says some could not be asked
    first, second, third = (json.loads(line) for line in out.splitlines())
    assert [a["found"] for a in (first, second, third)] == [False, True, False]
    assert "没看懂" in first["answer"]
    assert first["sources"] == third["sources"] == []


def test_every_question_of_the_question_sets_names_something() -> None:
    questions = [json.loads(line)["q"] for name in ("sample.jsonl", "corpus.jsonl")
                 for line in (ROOT / "tests" / "qa" / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert questions
    assert [q for q in questions if not has_content(normalize_question(q))] == []


# --- replies --------------------------------------------------------------------------------------------------

# 嘉定's issue with bidi overrides and isolates in its title and around its figure's sentence
BIDI_TEXT = (JIADING_TEXT.replace("推进快递驿站建设", "推进快递\u202e驿站建设")
             .replace("累计建成45个快递驿站", "累计建成45个快递驿站\u202e").replace("下一步", "\u2066下一步\u2069"))


@pytest.fixture(scope="module")
def bidi_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("bidi") / "bidi.db"
    assert ingest_one(db, BIDI_TEXT.encode(), "jiading-bidi.txt").status == "added"
    return db


@pytest.fixture(scope="module")
def bidi_answer(bidi_db: Path) -> Answer:
    # ingest removes bidi controls from a bulletin's text, so they are put back into the loaded chunks (with their
    # figures found again): the replies must strip them at the edge whatever the index holds
    stored = [_with_bidi(s) for s in stored_chunks(bidi_db)]
    answer = Engine(segmenter(), Library.build(stored)).ask(JIADING_QUESTION)
    assert answer.found
    assert "\u202e" in answer.quote  # the document holds the override: the replies must not
    return answer


def _bidi(text: str) -> str:
    return (text.replace("推进快递驿站建设", "推进快递\u202e驿站建设").replace("累计建成45个快递驿站", "累计建成45个快递驿站\u202e")
            .replace("下一步", "\u2066下一步\u2069"))


def _with_bidi(stored: StoredChunk) -> StoredChunk:
    chunk = replace(stored.chunk, text=_bidi(stored.chunk.text), title=_bidi(stored.chunk.title))
    figures = tuple(replace(f, chunk_id=chunk.id) for f in extract_figures(
        chunk.text, issue_date=chunk.issue_date, place=chunk.place))
    return StoredChunk(chunk, stored.terms, figures)


def _shown(text: str) -> None:
    assert "\u202e" not in text
    assert "\u2066" not in text
    assert strip_invisible(text) == text


def test_plain_json_and_explained_answers_show_no_bidi_override(bidi_answer: Answer) -> None:
    plain = render_plain(bidi_answer)
    _shown(plain)
    assert "累计建成45个快递驿站，服务社区居民" in plain
    assert "《嘉定局推进快递驿站建设》" in plain
    _shown(json.dumps(to_json(bidi_answer), ensure_ascii=False))
    _shown(explain(bidi_answer))


def test_telegram_messages_show_no_bidi_override(bidi_answer: Answer) -> None:
    assert bidi_answer.chunk is not None
    for blocks in (answer_blocks(bidi_answer), source_blocks(bidi_answer, bidi_answer.chunk.text),
                   more_blocks(bidi_answer, 1)[0]):
        for message in pack(blocks):
            _shown(message)
    assert "45个快递驿站，服务社区居民" in pack(source_blocks(bidi_answer, bidi_answer.chunk.text))[0]


def test_a_file_name_with_a_bidi_override_is_shown_without_it(bidi_answer: Answer) -> None:
    # a name stored before names were cleaned: U+202E makes 报简-gpj.txt read as a .jpg file
    assert bidi_answer.chunk is not None
    answer = replace(bidi_answer, chunk=replace(bidi_answer.chunk, document="报简\u202etxt.gpj"))
    assert "报简txt.gpj" in render_plain(answer)
    for message in pack(answer_blocks(answer)):
        _shown(message)
        assert "报简txt.gpj" in message


def test_the_cli_prints_no_bidi_override(bidi_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert all("\u202e" not in s.chunk.text + s.chunk.title for s in stored_chunks(bidi_db))  # gone at ingest
    for flags in ([], ["--json"], ["--explain"]):
        rc, out, err = run_cli(capsys, "--db", bidi_db, "ask", *flags, JIADING_QUESTION)
        assert rc == 0, err
        _shown(out)
        assert "45个" in out


# --- file names -----------------------------------------------------------------------------------------------

# a file name may hold anything but / and NUL on Linux: a newline, a bidi override, a control character, markup
ODD_NAME = "嘉定\u202e第5期\n简报\x01<b>.txt"
CLEAN_NAME = "嘉定第5期 简报.txt"


def test_an_ingested_file_with_an_odd_name_is_stored_listed_and_reported_on_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "inbox" / ODD_NAME
    path.parent.mkdir()
    path.write_text(JIADING_TEXT, encoding="utf-8")
    db = tmp_path / "odd.db"
    rc, out, err = run_cli(capsys, "--db", db, "ingest", path)
    assert rc == 0, err
    assert out.startswith(f"added     {CLEAN_NAME} (")
    assert out.count("\n") == 1
    assert query(db, "SELECT document FROM bulletins") == [(CLEAN_NAME,)]
    rc, out, err = run_cli(capsys, "--db", db, "list")
    assert rc == 0, err
    _, row = out.splitlines()  # the header, then one line per issue
    assert CLEAN_NAME in row
    _shown(out)
    rc, out, _ = run_cli(capsys, "--db", db, "ask", JIADING_QUESTION)
    assert rc == 0
    assert f"—— {CLEAN_NAME} · 2023-05-20" in out


def test_a_file_name_is_cleaned_however_the_bulletin_comes(tmp_path: Path) -> None:
    result = ingest_one(tmp_path / "bytes.db", JIADING_TEXT.encode(), "\u2066jiading\u2069\r\n05&amp;.txt")
    assert result.document == "jiading 05&.txt"
    assert ingest_one(tmp_path / "bytes.db", b"", "\u202e\n").document == "未命名文件"


def test_a_name_stored_before_names_were_cleaned_is_listed_on_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "old.db"
    assert ingest_one(db, JIADING_TEXT.encode(), "jiading.txt").status == "added"
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE bulletins SET document = ?", ("old\n\u202etxt.gpj",))
    rc, out, err = run_cli(capsys, "--db", db, "list")
    assert rc == 0, err
    assert len(out.splitlines()) == 2
    assert "old txt.gpj" in out
    _shown(out)


def test_an_upload_with_an_odd_name_is_cleaned_before_it_is_shown_stored_or_logged(
        fake: FakeBotAPI, sample_db: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = Path(shutil.copy(sample_db, tmp_path / "bot.db"))
    admin = 7001

    async def scenario() -> None:
        async with running_bot(fake, db, frozenset({admin})):
            fake.send_document(JIADING_TEXT.encode(), ODD_NAME.replace("\x01", "\x00"), user_id=admin)
            await fake.wait_for(lambda: len(fake.sent(admin)) >= 2)

    with caplog.at_level(logging.INFO):
        asyncio.run(scenario())
    assert fake.errors == []
    received, done = (m["text"] for m in fake.sent(admin))
    assert f"收到 {CLEAN_NAME}" in received
    assert f"已收录 {CLEAN_NAME}" in done
    _shown(received + done)
    assert query(db, "SELECT document FROM bulletins WHERE document != ?", SAMPLE_NAME) == [(CLEAN_NAME,)]
    [upload] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("upload")]
    assert CLEAN_NAME in upload
    _shown(upload)
    assert "\n" not in upload
