"""`bulletin chat`: a real Engine over the sample, driven through text streams and through a real terminal (a pty)."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import select
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import helpers
from bot.answering.engine import Engine
from bot.chat import NOTHING_ASKED, PROMPT, WELCOME, chat, history_path
from bot.telegram import messages
from helpers import SAMPLE_NAME
from index import Store, strip_invisible

QUESTION = "青浦有多少套公租房"


@pytest.fixture(scope="module")
def engine(sample_db: Path) -> Engine:
    async def load() -> Engine:
        async with await Store.open(sample_db) as store:
            return await Engine.load(store, helpers.segmenter())

    return asyncio.run(load())


def talk(engine: Engine, *lines: str, history: Path | None = None) -> tuple[int, list[str]]:
    """Chat through text streams (no terminal); return the exit status and the replies, one per line answered."""
    out = io.StringIO()
    rc = chat(engine, io.StringIO("".join(f"{line}\n" for line in lines)), out, history=history)
    return rc, [r for r in out.getvalue().split("\n\n") if r.strip()]


def test_a_question_is_answered_as_bulletin_ask_answers_it(engine: Engine) -> None:
    rc, [reply] = talk(engine, QUESTION)
    assert rc == 0
    assert reply.splitlines()[0] == engine.ask(QUESTION).headline
    assert f"—— {SAMPLE_NAME}" in reply
    assert "（按“" not in reply  # a question of its own is not said to be read as another


def test_yuanwen_shows_the_last_answers_whole_passage(engine: Engine) -> None:
    answer = engine.ask(QUESTION)
    assert answer.chunk is not None
    _, [before, _, passage] = talk(engine, "原文", QUESTION, "原文")
    assert before == NOTHING_ASKED
    lines = passage.splitlines()
    assert lines[0] == answer.headline
    assert lines[1].startswith(f"—— {SAMPLE_NAME}")
    assert strip_invisible(answer.chunk.text.strip()) in passage
    assert "合计租赁面积6044.86平方米" in passage
    assert "<" not in passage  # plain text: the Telegram message's markup is left out


def test_gengduo_lists_the_other_candidates_a_page_at_a_time(engine: Engine) -> None:
    answer = engine.ask(QUESTION)
    found = messages.candidates(answer)
    assert found
    _, [_, more, after] = talk(engine, QUESTION, "更多", "更多")
    assert more.splitlines()[0] == f"其他候选（1–{len(found)}，共 {len(found)} 条）："
    assert "15套" in more  # the 2022 新增 figure is among the others
    assert after == "没有更多候选答案了。"


def test_gengduo_pages_through_many_candidates(engine: Engine) -> None:
    question = next(q for q in ("快递员", "快递")  # a word alone: many passages name it
                    if len(messages.candidates(engine.ask(q))) > messages.PAGE)
    total = len(messages.candidates(engine.ask(question)))
    _, [_, first, second] = talk(engine, question, "更多", "更多")
    assert first.splitlines()[0] == f"其他候选（1–{messages.PAGE}，共 {total} 条）："
    assert first.endswith("（还有，再输入“更多”看下一页。）")
    assert second.splitlines()[0].startswith(f"其他候选（{messages.PAGE + 1}–")


def test_help_says_what_to_ask_and_the_commands(engine: Engine) -> None:
    _, [english, chinese] = talk(engine, "help", "帮助")
    assert english == chinese
    for command in ("原文", "更多", "退出", "quit", "松江呢"):
        assert command in english
    examples = next(line for line in english.splitlines() if line.startswith("例如："))
    for example in examples.removeprefix("例如：").split("、"):
        assert engine.ask(example).found, example  # the examples are questions the bulletins answer


@pytest.mark.parametrize("word", ["quit", "exit", "退出", "QUIT"])
def test_quit_ends_the_chat(engine: Engine, word: str) -> None:
    rc, replies = talk(engine, QUESTION, word, "青浦的公租房一共租赁了多少平方米")
    assert rc == 0
    assert len(replies) == 1  # nothing after quit is answered


def test_a_follow_up_is_asked_as_the_question_it_continues(engine: Engine) -> None:
    _, [_, songjiang, added, qingpu] = talk(engine, QUESTION, "松江呢", "新增多少", "青浦呢")
    reading, answer = songjiang.split("\n", 1)
    assert reading == "（按“松江有多少套公租房”回答）"
    assert answer == engine.ask("松江有多少套公租房").headline
    assert "公租房" in answer  # the not-found reply names the measure carried over
    # the follow-up goes on from the question as read: 新增 of 松江's 公租房, then 青浦's 新增
    assert added.splitlines()[0] == "（按“松江新增多少套公租房”回答）"
    assert qingpu.splitlines()[0] == "（按“青浦新增多少套公租房”回答）"
    assert "15套" in qingpu.splitlines()[1]


def test_without_a_terminal_there_is_no_prompt_and_no_history(engine: Engine, tmp_path: Path) -> None:
    history = tmp_path / "history"
    rc, replies = talk(engine, QUESTION, "", "   ", "宝山的快递员有多少人", history=history)
    assert rc == 0
    assert len(replies) == 2  # blank lines are skipped, not the end
    assert not any(PROMPT in r or WELCOME in r for r in replies)
    assert not history.exists()


def test_the_cli_chat_from_a_pipe_writes_no_history(sample_db: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{QUESTION}\n松江呢\n原文\n"))
    rc, out, err = helpers.run_cli(capsys, "--db", sample_db, "chat")
    assert (rc, err) == (0, "")
    assert "（按“松江有多少套公租房”回答）" in out
    assert not history_path().exists()


class Terminal:
    """`bulletin chat` in a child process whose terminal is a real pseudo-terminal, typed into as a person types."""

    def __init__(self, db: Path, cache: Path) -> None:
        self.fd, child = pty.openpty()
        env = {**os.environ, "BULLETIN_CACHE_DIR": str(cache), "TERM": "xterm", "PYTHONIOENCODING": "utf-8"}
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "chat", "--db", str(db)], stdin=child,
                                     stdout=child, stderr=child, env=env, cwd=helpers.ROOT, close_fds=True)
        os.close(child)
        self.seen = b""

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        """Read until text has appeared (after what was waited for before); return what came."""
        deadline = time.monotonic() + timeout
        start = len(self.seen)
        while text.encode() not in self.seen[start:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never came; the terminal shows {self.seen.decode(errors='replace')!r}")
            if select.select([self.fd], [], [], 0.1)[0]:
                try:
                    got = os.read(self.fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    got = b""
                if not got:
                    raise AssertionError(f"the chat ended before {text!r}: {self.seen.decode(errors='replace')!r}")
                self.seen += got
        return self.seen[start:].decode(errors="replace")

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def close(self) -> int:
        rc = self.proc.wait(timeout=30)
        os.close(self.fd)
        return rc


def test_on_a_terminal_lines_are_edited_and_the_history_is_kept(sample_db: Path, tmp_path: Path) -> None:
    pytest.importorskip("readline")
    db = Path(shutil.copy(sample_db, tmp_path / "chat.db"))
    cache = tmp_path / "cache"
    first = Terminal(db, cache)
    try:
        first.wait_for(PROMPT)
        first.type("青浦有多少公租房" + "\x1b[D" * 3 + "套\r")  # ← ← ← then 套: the line is edited, not "^[[D"
        shown = first.wait_for(PROMPT)
        assert "100套公租房" in shown  # asked as edited: 青浦有多少套公租房
        assert "^[[D" not in shown
        first.type("\x04")  # Ctrl-D
    finally:
        assert first.close() == 0
    history = cache / "chat_history"
    assert QUESTION in history.read_text(encoding="utf-8").splitlines()
    assert stat.S_IMODE(history.stat().st_mode) == 0o600  # what was asked is its owner's to read

    second = Terminal(db, cache)
    try:
        second.wait_for(PROMPT)
        second.type("\x1b[A\r")  # ↑ brings back the question the last chat asked
        assert "100套" in second.wait_for(PROMPT)
        second.type("松江呢\r")
        assert "（按“松江有多少套公租房”回答）" in second.wait_for(PROMPT)
        second.type("quit\r")
    finally:
        assert second.close() == 0
    # the first chat's question (recalled, it is not kept twice), the follow-up and the command
    assert history.read_text(encoding="utf-8").splitlines() == [QUESTION, "松江呢", "quit"]
