"""Fair turns in chats: each person's updates at their own pace, and sends that take chats in turn."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram import MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, BaseUpdateProcessor, filters

log = logging.getLogger("bulletin.telegram")

BURST = 8  # updates one person may send at once and have handled at once (a few questions pasted together)
PER_SECOND = 1.0  # after the burst, one a second: the pace Telegram allows the bot in one chat
WAITING = 4  # after the burst, this many wait their turn; more are dropped and the sender is told, once
CONCURRENT = 256  # updates handled at once (PTB's concurrent_updates=True), taken only once an update's turn comes
_UNBOUNDED = 1_000_000  # PTB's own limit, taken before an update is looked at: so high that it never binds
FORGET_AT = 10_000  # people remembered before those with a full allowance are forgotten
SLOW_DOWN = "消息太多了：前面的问题我会依次回答，之后的没有处理，请稍等几秒再问。"
_ADDRESSED = filters.COMMAND | filters.Entity(MessageEntity.MENTION)


@dataclass
class _Pace:
    """One person's pace: when their next update is due, and whether they were told to slow down."""

    due: float  # when the allowance is next full minus one turn (GCRA's theoretical arrival time)
    told: bool = False


class FairUpdateProcessor(BaseUpdateProcessor):
    """Handle updates concurrently, but each person's at their own pace, so one flooding person never delays others.

    A person gets BURST updates at once, then PER_SECOND; up to WAITING more wait their turn, the rest are dropped
    (the person is told once). Updates that ask nothing of the bot (edits, group chatter) are not counted.
    """

    def __init__(self, max_concurrent_updates: int = CONCURRENT, *, burst: int = BURST,
                 per_second: float = PER_SECOND, waiting: int = WAITING) -> None:
        # PTB takes a slot of its limit before do_process_update decides anything, so a flood's waiting and dropped
        # updates would fill it (22 flooding people hold 256 slots): its limit never binds, ours is taken after
        super().__init__(_UNBOUNDED)
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self.interval = 1.0 / per_second
        self.burst = burst
        self.waiting = waiting
        self._paces: dict[int, _Pace] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run the update after its sender's wait, or drop it (telling the sender once) if too many are waiting."""
        user = sender(update)
        delay = 0.0 if user is None else self.admit(user, asyncio.get_running_loop().time())
        if delay is None:
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never run: no "was never awaited" warning
            await self._tell(update, user)
            return
        if delay > 0:
            await asyncio.sleep(delay)  # waiting holds no slot
        async with self._running:
            await coroutine

    def admit(self, user: int, now: float) -> float | None:
        """How long the user's update must wait for its turn, or None if it is dropped."""
        if len(self._paces) > FORGET_AT:
            self._paces = {u: p for u, p in self._paces.items() if p.due > now}
        pace = self._paces.setdefault(user, _Pace(now))
        due = max(pace.due, now)
        start = max(now, due - (self.burst - 1) * self.interval)
        if start - now > self.waiting * self.interval + 1e-6:
            return None
        if start <= now:
            pace.told = False  # the backlog is gone: a later flood is told again
        pace.due = due + self.interval
        return start - now

    async def _tell(self, update: object, user: int | None) -> None:
        """Tell the sender, once per flood, that further messages are not handled."""
        pace = self._paces.get(user) if user is not None else None
        if pace is None or pace.told or not isinstance(update, Update):
            return
        pace.told = True
        log.info("a user sent more than %d updates at once: the rest are dropped until they slow down",
                 self.burst + self.waiting)
        with contextlib.suppress(TelegramError):  # a notice that cannot be sent changes nothing
            if update.callback_query is not None:
                await update.callback_query.answer(SLOW_DOWN, show_alert=True)
            elif update.effective_message is not None:
                await update.effective_message.reply_text(SLOW_DOWN)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def sender(update: object) -> int | None:
    """The person an update counts against: a button press, a private message, a command or mention in a group."""
    if not isinstance(update, Update) or update.effective_user is None:
        return None
    if update.callback_query is not None:
        return update.effective_user.id
    message = update.message  # edits are ignored by the handlers and cost nothing
    if message is None:
        return None
    if message.chat.type == ChatType.PRIVATE or _ADDRESSED.check_update(update):
        return update.effective_user.id
    return None


class ChatTurnLimiter(AIORateLimiter):
    """PTB's AIORateLimiter whose overall limit takes chats in turn, not first come first served.

    Each chat has at most one request inside the limiter at a time, so a chat with a long backlog of sends waits
    behind itself, and another chat's answer goes out at the next free slot.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
                              args: Any, kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for this chat's turn, then for the limits of PTB's limiter."""
        chat = data.get("chat_id")
        if chat is None:  # answerCallbackQuery, getFile, …: no chat to take turns with
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        async with self._turn(str(chat)):
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)

    @contextlib.asynccontextmanager
    async def _turn(self, chat: str) -> AsyncIterator[None]:
        """Hold the chat's turn; the lock is forgotten once nobody holds or waits for it."""
        lock, users = self._turns.get(chat, (asyncio.Lock(), 0))
        self._turns[chat] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._turns[chat]
            if users == 1:
                del self._turns[chat]
            else:
                self._turns[chat] = (lock, users - 1)
