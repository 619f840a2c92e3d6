"""👍/👎 under an answer (part of the Telegram adapter): the vote buttons, the keyboard edits, the vote handler."""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.answering.answer import Answer
from bot.ops.service import Service
from index import for_log

log = logging.getLogger("bulletin.telegram")

PATTERN = r"^vote:"  # every vote button, junk included: each press is answered, or its spinner keeps turning
_VOTE = re.compile(r"vote:([A-Za-z0-9_-]{1,16}):(up|down)")  # a Recent key is 8 URL-safe characters
EXPIRED = "这个按钮已过期，请重新提问。"
THANKS = {True: "谢谢反馈！", False: "已记录：这个回答没帮上忙，我们会改进。"}


def vote_row(key: str, chosen: bool | None = None) -> list[InlineKeyboardButton]:
    """The 👍 and 👎 buttons of the answer behind key, the chosen one (True for 👍) marked ✓."""
    return [InlineKeyboardButton("👍 ✓" if chosen is True else "👍", callback_data=f"vote:{key}:up"),
            InlineKeyboardButton("👎 ✓" if chosen is False else "👎", callback_data=f"vote:{key}:down")]


def without(markup: InlineKeyboardMarkup | None, data: str) -> InlineKeyboardMarkup | None:
    """The keyboard less the button with this callback data, its rows kept (None when nothing is left)."""
    rows = [[b for b in row if b.callback_data != data] for row in (markup.inline_keyboard if markup else ())]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def with_vote(markup: InlineKeyboardMarkup | None, key: str, up: bool) -> InlineKeyboardMarkup:
    """The keyboard with its vote row showing the choice; the other buttons (原文, 更多) as they are."""
    mine = {f"vote:{key}:up", f"vote:{key}:down"}
    return InlineKeyboardMarkup([vote_row(key, up) if any(b.callback_data in mine for b in row) else list(row)
                                 for row in (markup.inline_keyboard if markup else ())])


async def on_vote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍/👎: thank the person, store the vote (a second tap changes it), and mark the chosen button."""
    query = update.callback_query
    if query is None or not query.data:
        return
    parsed = _VOTE.fullmatch(query.data)
    answer: Answer | None = context.bot_data["recent"].get(parsed[1]) if parsed else None
    if parsed is None or answer is None or not answer.found:  # forgotten (a restart), or junk
        await query.answer(EXPIRED, show_alert=True)
        return
    key, up = parsed[1], parsed[2] == "up"
    # the toast first: Telegram wants an answer within seconds, and a write may wait for an ingest's
    await query.answer(THANKS[up])
    service: Service = context.bot_data["service"]
    log.info("vote user=%s vote=%s document=%s", service.user_hash(query.from_user.id), parsed[2],
             for_log(answer.chunk.document) if answer.chunk else "-")
    await service.vote(key, answer, query.from_user.id, up)
    message = query.message if isinstance(query.message, Message) else None
    if message is None:  # too old to be shown to the bot: the vote counts, the keyboard stays
        return
    markup = with_vote(message.reply_markup, key, up)
    if markup == message.reply_markup:
        return  # the same choice again
    try:
        await message.edit_reply_markup(markup)
    except BadRequest as e:  # two taps at once: the other one's edit already shows it
        if "not modified" not in str(e).lower():
            raise
