"""The terminal chat (command-line room): questions with follow-ups, 原文/更多/帮助 commands, line editing and history."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import TextIO

from bot.answering.answer import Answer
from bot.answering.engine import Engine
from bot.answering.examples import example_questions
from bot.answering.followup import expand
from bot.answering.render import render_plain
from bot.telegram import messages
from index import BulletinError, cache_dir, strip_invisible

HISTORY_LINES = 1000  # questions kept in the history file, the newest
PROMPT = "问> "
SOURCE_WORDS = frozenset({"原文"})
MORE_WORDS = frozenset({"更多"})
HELP_WORDS = frozenset({"help", "帮助", "?", "？"})
QUIT_WORDS = frozenset({"quit", "exit", "退出"})
WELCOME = "简报问答：请输入问题（输入“帮助”看用法；空行或 Ctrl-D 退出）。"
NOTHING_ASKED = "还没有问过问题，先问一个吧（输入“帮助”看示例）。"


def history_path() -> Path:
    """The chat's history file, in the user's own cache folder (BULLETIN_CACHE_DIR, else ~/.cache/bulletin)."""
    return cache_dir() / "chat_history"


class Conversation:
    """One chat's memory: the last answer (for 原文 and 更多, a page at a time) and its question (for 松江呢)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.answer: Answer | None = None
        self.page = 0  # the last page of candidates shown for self.answer

    def reply(self, line: str) -> str | None:
        """Return what to say to one line (a question or a command); None when the line ends the chat."""
        said = line.strip()
        word = said.lower()
        if word in QUIT_WORDS:
            return None
        if word in HELP_WORDS:
            return self.help()
        if word in SOURCE_WORDS:
            return self.source()
        if word in MORE_WORDS:
            return self.more()
        return self.ask(said)

    def ask(self, text: str) -> str:
        """Answer a question; one said after another (松江呢) is asked as the question it continues."""
        previous = self.answer.question if self.answer is not None else None
        full = expand(previous, text, self.engine.segmenter)
        try:
            answer = self.engine.ask(full)
        except BulletinError as e:
            return str(e)
        self.answer, self.page = answer, 0
        reading = f"（按“{answer.question.text}”回答）\n" if full != text else ""
        return reading + render_plain(answer)

    def source(self) -> str:
        """The last answer's whole passage, as the Telegram 原文 button shows it."""
        if self.answer is None:
            return NOTHING_ASKED
        if not self.answer.found or self.answer.chunk is None:
            return "上一个问题没有找到答案，没有原文可看。"
        if not self.answer.chunk.id:  # a total made up of several passages' figures
            return "这个回答是几处数字的合计，没有单独的原文；输入“更多”看各处的出处。"
        return _plain(messages.source_blocks(self.answer, self.answer.chunk.text))

    def more(self) -> str:
        """The next page of the last answer's other candidates."""
        if self.answer is None:
            return NOTHING_ASKED
        if not self.answer.found:
            return "上一个问题没有找到答案，没有其他候选。"
        self.page += 1
        blocks, more = messages.more_blocks(self.answer, self.page)
        return _plain(blocks) + ("\n（还有，再输入“更多”看下一页。）" if more else "")

    def help(self) -> str:
        """What can be asked, with examples the bulletins answer, and the commands."""
        examples = example_questions(self.engine, 2)
        lines = ["直接输入问题，我从收录的简报里找出数字、它所在的原句和出处。"]
        if examples:
            lines.append("例如：" + "、".join(examples))
        lines += ["接着上一个问题，只说要换的部分也行：松江呢、2021年呢、新增多少。",
                  "命令：",
                  "  原文        上一个回答所在的整段原文",
                  f"  更多        上一个回答的其他候选（每次 {messages.PAGE} 条）",
                  "  帮助 / help 显示这段说明",
                  "  退出 / quit / exit（或空行、Ctrl-D）结束对话"]
        return "\n".join(lines)


def _plain(blocks: Sequence[tuple[str, str]]) -> str:
    """The plain text of message blocks, one a line (what documents wrote loses its invisible characters)."""
    return strip_invisible("\n".join(plain for plain, _ in blocks))


def chat(engine: Engine, stream: TextIO, out: TextIO, *, history: Path | None = None) -> int:
    """Hold a conversation: on a terminal with a prompt, line editing and a saved history (history_path() unless
    given); otherwise one question per line, no prompt, blank lines skipped. Returns the exit status."""
    conversation = Conversation(engine)
    interactive = stream.isatty()
    if interactive:
        out.write(WELCOME + "\n")
    with _lines(stream, out, interactive, history or history_path()) as lines:
        for line in lines:
            if not line.strip():
                if interactive:
                    return 0
                continue
            said = conversation.reply(line)
            if said is None:
                return 0
            out.write(said + "\n\n")
            out.flush()
    return 0


@contextlib.contextmanager
def _lines(stream: TextIO, out: TextIO, interactive: bool, history: Path) -> Iterator[Iterator[str]]:
    """The lines typed: through readline, with its history loaded and saved after, when stream is the terminal."""
    editing = _readline() if interactive and stream is sys.stdin and out is sys.stdout else None
    if editing is None:
        yield _read(stream, out, interactive)
        return
    with contextlib.suppress(OSError):  # none yet, or unreadable: start an empty one
        editing.read_history_file(history)
    editing.set_history_length(HISTORY_LINES)
    try:
        yield _typed()
    finally:
        _save(editing, history)


def _read(stream: TextIO, out: TextIO, interactive: bool) -> Iterator[str]:
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = stream.readline()
        if not line:
            if interactive:
                out.write("\n")  # Ctrl-D: the shell's prompt starts on a line of its own
            return
        yield line


def _typed() -> Iterator[str]:
    """Lines read by input(), which edits them with readline (arrow keys, history) on a terminal."""
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            print()
            return


def _readline() -> ModuleType | None:
    try:
        import readline  # not on every platform (Windows): the chat then reads plain lines
    except ImportError:
        return None
    return readline


def _save(editing: ModuleType, history: Path) -> None:
    """Write the history file, readable by its owner alone (it holds what was asked)."""
    with contextlib.suppress(OSError):  # a read-only home: the chat still worked, only its history is lost
        history.parent.mkdir(parents=True, exist_ok=True)
        editing.write_history_file(history)
        os.chmod(history, 0o600)
