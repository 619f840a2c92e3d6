"""Engine: the one answering entry point shared by the CLI, the chat loop and the Telegram bot."""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

from bot.answering.answer import Answer, answer
from bot.answering.model import model_path
from bot.answering.question import analyze, has_content
from index import (
    BulletinError,
    Library,
    Segmenter,
    Store,
    clean_text,
    ingest_paths,
    normalize_chars,
    open_library,
    refresh,
    sample_bulletins,
)

MAX_QUESTION_CHARS = 500
CACHED_ANSWERS = 256  # answers kept, most recently asked: a chat repeats its questions (73 of the bench's 300 did); an
# answer holds its candidates (about 47 KB each, measured on the bench), so 256 of them take about 12 MB
NOTHING_INDEXED = "还没有收录任何简报，暂时无法回答。"


class EmptyQuestion(BulletinError):
    """The question has no words in it."""


class NotUnderstood(EmptyQuestion):
    """The question has words, but none that names something to look for (的了吗, 有多少个, -x)."""


def normalize_question(text: str) -> str:
    """Clean a question: HTML and invisible characters out, spaces collapsed, length capped.

    Raises EmptyQuestion when nothing is left, NotUnderstood when what is left names nothing to look for.
    """
    text = re.sub(r"\s+", " ", normalize_chars(clean_text(text))).strip()
    if not re.search(r"[\w\u3400-\u9fff]", text):
        raise EmptyQuestion("问题是空的，请输入要问的内容")
    if not has_content(text):
        raise NotUnderstood("没看懂这个问题：请写明要问的内容，例如：青浦有多少套公租房")
    return text[:MAX_QUESTION_CHARS]


class Engine:
    """A segmenter and a loaded library: ask questions, get answers."""

    def __init__(self, segmenter: Segmenter, library: Library) -> None:
        self.segmenter = segmenter
        self.library = library
        # an engine answers from one library for life (a reindex builds a new engine), so the question and the
        # model in use are the whole key
        self._answers: OrderedDict[tuple[str, str], Answer] = OrderedDict()
        self._lock = threading.Lock()  # the bot asks from worker threads

    @classmethod
    async def load(cls, store: Store, segmenter: Segmenter) -> Engine:
        """Load the library from the store (its saved snapshot when there is one)."""
        return cls(segmenter, (await open_library(store))[1])

    @property
    def empty(self) -> bool:
        """Whether no bulletin is indexed (every one removed, or none added yet)."""
        return not self.library.chunks

    def ask(self, text: str) -> Answer:
        """Answer one question; raises EmptyQuestion for a question with no words."""
        key = (normalize_question(text), str(model_path()))  # a model is read once per path
        with self._lock:
            if (known := self._answers.get(key)) is not None:
                self._answers.move_to_end(key)
                return known
        question = analyze(key[0], self.segmenter)
        if self.empty:  # not "简报中没有关于青浦的内容": there are no bulletins to have it
            return Answer(question, False, NOTHING_INDEXED, "", None, (), ())
        result = answer(question, self.library)
        with self._lock:
            self._answers[key] = result
            if len(self._answers) > CACHED_ANSWERS:
                self._answers.popitem(last=False)
        return result


async def prepare(store: Store, segmenter: Segmenter, *, sample: bool = False) -> str | None:
    """Make a database ready to ask: re-derive a stale index; with sample, fill a new one with the bundled sample.

    The sample goes only into a database that never held an issue (Store.ever_held_an_issue), so removing every
    issue never brings it back. Returns a one-line notice of what was done, or None.
    """
    if sample and not await store.ever_held_an_issue():
        results = await ingest_paths(store, segmenter, sample_bulletins())
        added = [r.document for r in results if r.status == "added"]
        return f"the database was empty: ingested the bundled sample ({', '.join(added)})" if added else None
    if done := await refresh(store, segmenter):
        kept = f"; kept the old index of {', '.join(done.kept)} (its text no longer parses)" if done.kept else ""
        return (f"the index was built by an older version: re-derived {done.versions} stored versions "
                f"({done.issues} issues in the index) in {done.seconds:.1f} s{kept}")
    return None


def default_db() -> Path:
    """Return the default database path (~/.local/share/bulletin/bulletins.db, or under XDG_DATA_HOME)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bulletin" / "bulletins.db"
