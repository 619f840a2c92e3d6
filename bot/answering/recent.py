"""Recent answers by a short random key (answering room): the Telegram buttons and the web page's votes and
「更多」 refer to an answer by it, even after an upload or a reindex changed the index."""

from __future__ import annotations

import secrets
from collections import OrderedDict

from bot.answering.answer import Answer

RECENT = 10_000  # answers remembered for their buttons; older buttons say they expired


class Recent:
    """Recent answers by a short random key that fits in a button's callback data.

    A button shows more of the answer the person saw, even after an upload or a reindex changed the index.
    """

    def __init__(self, size: int = RECENT) -> None:
        self._items: OrderedDict[str, Answer] = OrderedDict()
        self._size = size

    def add(self, answer: Answer) -> str:
        """Remember an answer; return its key."""
        key = secrets.token_urlsafe(6)
        self._items[key] = answer
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> Answer | None:
        """The answer behind a key, or None once it is forgotten."""
        return self._items.get(key)
