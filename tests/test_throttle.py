"""The fair update processor on its own: real PTB Update objects, real asyncio, no network."""

from __future__ import annotations

import asyncio
import datetime as dt

from telegram import Chat, Message, Update, User
from telegram.constants import ChatType

from bot.telegram.throttle import FairUpdateProcessor


def private_message(update_id: int, user: int) -> Update:
    """A question sent to the bot in a private chat."""
    return Update(update_id, message=Message(update_id, dt.datetime.now(dt.UTC), Chat(user, ChatType.PRIVATE),
                                             from_user=User(user, "someone", False), text="青浦有多少套公租房"))


def test_updates_waiting_their_turn_hold_no_slot_so_another_person_goes_first() -> None:
    # PTB takes a slot before the processor decides: a flood's waiting updates once filled them all
    started: list[str] = []

    async def main() -> None:
        processor = FairUpdateProcessor(2, burst=1, per_second=0.5, waiting=4)  # a turn every 2 s after the first
        release = asyncio.Event()

        async def handle(name: str) -> None:
            started.append(name)
            await release.wait()

        handlers = [handle(f"A{i}") for i in range(1, 5)]
        flood = [asyncio.create_task(processor.process_update(private_message(i, 1), h))
                 for i, h in enumerate(handlers, start=1)]
        await asyncio.sleep(0.05)
        other = asyncio.create_task(processor.process_update(private_message(100, 2), handle("B")))
        await asyncio.sleep(0.2)
        assert started == ["A1", "B"]  # A2…A4 wait 2, 4, 6 s for their turns without a slot
        release.set()
        await other
        for task in flood:
            task.cancel()
        await asyncio.gather(*flood, return_exceptions=True)
        for waiting in handlers:
            waiting.close()  # the turns not yet come are never run

    asyncio.run(main())
