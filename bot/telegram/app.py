"""The Telegram adapter: python-telegram-bot handlers over the Service; no answering logic lives here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from html import escape
from http import HTTPStatus
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, MessageEntity, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.answering.engine import EmptyQuestion, NotUnderstood
from bot.answering.examples import example_questions
from bot.answering.followup import expand
from bot.answering.recent import Recent
from bot.ops.health import Heartbeat
from bot.ops.refusals import DATABASE_GONE, refusal
from bot.ops.service import DatabaseGone, Service
from bot.ops.settings import BotSettings
from bot.telegram import feedback, messages
from bot.telegram.throttle import ChatTurnLimiter, FairUpdateProcessor
from index import SUFFIXES, BulletinError, NoSuchIssue, document_name, for_log

log = logging.getLogger("bulletin.telegram")

Blocks = Sequence[tuple[str, str]]
COMMANDS = [("ask", "提问（群聊里用）：/ask 青浦有多少套公租房"), ("help", "能问什么"),
            ("stats", "使用情况（管理员）"), ("reindex", "重建索引（管理员）"), ("issues", "已收录的简报（管理员）"),
            ("remove", "把一期简报移出索引（管理员）：/remove 第5期")]
FOLLOW_UP_SECONDS = 300.0  # how long a chat's last question is continued by a message such as 松江呢 or 2021年呢


class BotStartError(BulletinError):
    """The bot could not start (a refused token, Telegram unreachable)."""


class PollRequest(HTTPXRequest):
    """The getUpdates connection: each successful poll beats the heartbeat `bulletin health` reads."""

    def __init__(self, heartbeat: Heartbeat) -> None:
        super().__init__(connection_pool_size=1)  # what PTB gives getUpdates by default
        self.heartbeat = heartbeat

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, body = await super().do_request(*args, **kwargs)
        if status == HTTPStatus.OK:
            self.heartbeat.beat()
        return status, body


def build_application(settings: BotSettings, db: Path) -> Application:
    """Build the bot: handlers, rate limiter with retries, the heartbeat, and the service opened in post_init."""
    # httpx logs every request URL at INFO, and a Bot API URL holds the token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)

    heartbeat = Heartbeat(db)

    async def open_service(app: Application) -> None:
        app.bot_data["service"] = await Service.open(db, settings.limits)
        heartbeat.start()  # once the index answers: the first successful poll then says the bot is up
        app.bot_data["recent"] = Recent()
        await _refresh_examples(app.bot_data)
        await app.bot.set_my_commands(COMMANDS)  # the menu Telegram shows next to the text box

    async def close_service(app: Application) -> None:
        heartbeat.stop()
        if "service" in app.bot_data:
            await app.bot_data["service"].close()

    app = (Application.builder().token(settings.token)
           .base_url(settings.base_url).base_file_url(settings.base_file_url)
           .defaults(Defaults(parse_mode=ParseMode.HTML, do_quote=False,
                              link_preview_options=LinkPreviewOptions(is_disabled=True)))
           .get_updates_request(PollRequest(heartbeat))
           .rate_limiter(ChatTurnLimiter(max_retries=3))  # 429 "retry after" is waited out; chats take turns
           # a reindex, a big PDF or one person's flood of messages must not hold up other people's questions
           .concurrent_updates(FairUpdateProcessor())
           .post_init(open_service).post_shutdown(close_service)
           .build())
    app.bot_data["admins"] = settings.admin_ids
    app.bot_data["follow_up_seconds"] = FOLLOW_UP_SECONDS  # a test shortens it
    add_handlers(app, settings.admin_ids)
    return app


def add_handlers(app: Application, admin_ids: frozenset[int]) -> None:
    """Route updates: commands, questions, documents, buttons, junk, errors."""
    admin = filters.User(user_id=admin_ids)  # with no admins configured it lets nobody through
    new = filters.UpdateType.MESSAGE  # edited messages are ignored: the first answer stands
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(["start", "help"], on_help, filters=new))
    app.add_handler(CommandHandler("ask", on_ask, filters=new))
    app.add_handler(CommandHandler("reindex", on_reindex, filters=new & admin))
    app.add_handler(CommandHandler("stats", on_stats, filters=new & admin))
    app.add_handler(CommandHandler("issues", on_issues, filters=new & admin))
    app.add_handler(CommandHandler("remove", on_remove, filters=new & admin))
    app.add_handler(CommandHandler(["reindex", "stats", "issues", "remove"], on_not_admin, filters=new))
    app.add_handler(MessageHandler(new & filters.Document.ALL & admin & private, on_document))
    app.add_handler(MessageHandler(new & filters.Document.ALL & private, on_not_admin))
    app.add_handler(MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(MessageHandler(new & ~private & filters.TEXT & filters.Entity(MessageEntity.MENTION), on_mention))
    app.add_handler(MessageHandler(new & private & filters.COMMAND, on_unknown_command))
    app.add_handler(MessageHandler(new & private & ~filters.TEXT & ~filters.Document.ALL, on_not_text))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^(src|more|ask):"))
    app.add_handler(CallbackQueryHandler(feedback.on_vote, pattern=feedback.PATTERN))
    app.add_error_handler(on_error)


def _service(context: ContextTypes.DEFAULT_TYPE) -> Service:
    service: Service = context.bot_data["service"]
    return service


async def send(message: Message, blocks: Blocks, markup: InlineKeyboardMarkup | None = None) -> Message:
    """Reply with blocks split into messages; the buttons go under the last one."""
    parts = messages.pack(blocks)
    # in a group, the reply quotes the question, so everyone sees whose question it answers
    quote = message.chat.type != ChatType.PRIVATE and not (message.from_user and message.from_user.is_bot)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        sent = await message.reply_text(part, do_quote=quote and i == 0, reply_markup=markup if last else None)
    return sent


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start and /help: what the bot knows and example questions as buttons."""
    message = update.effective_message
    user = update.effective_user
    if message is None:
        return
    stats = await _service(context).stats()
    examples: list[str] = context.bot_data.get("examples", [])
    admin = user is not None and user.id in context.bot_data["admins"]
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(q, callback_data=f"ask:{q}")] for q in examples])
    await send(message, messages.help_blocks(stats, examples, admin=admin), markup if examples else None)


async def on_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask 问题 (the way to ask in a group)."""
    if update.effective_message is not None:
        await answer_question(update, context, " ".join(context.args or []))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A private message: the whole text is the question."""
    if update.effective_message is not None:
        await answer_question(update, context, update.effective_message.text or "")


async def on_mention(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group message that mentions the bot: the question is the text without the mention."""
    message = update.effective_message
    if message is None or not message.text:
        return
    ours = f"@{context.bot.username}".lower()
    mentions = message.parse_entities([MessageEntity.MENTION])
    if not any(text.lower() == ours for text in mentions.values()):
        return  # it mentions someone else
    question = message.text
    for text in mentions.values():
        if text.lower() == ours:
            question = question.replace(text, " ")
    await answer_question(update, context, question)


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """Answer one question with the figure, its sentence and source, 原文/更多 buttons, and 👍/👎 if found."""
    message = update.effective_message
    assert message is not None
    user_id = update.effective_user.id if update.effective_user else 0
    service = _service(context)
    full = _follow_up(context, text, service)
    try:
        asked = service.ask(full, user_id)
    except EmptyQuestion as e:  # nothing, or words that name nothing to look for (有多少个): each said as it is
        await message.reply_text(f"{e}。" if isinstance(e, NotUnderstood) else "请用文字提问，例如：青浦有多少套公租房？")
        return
    answer = asked.answer
    log.info("question user=%s chars=%d outcome=%s latency_ms=%.2f document=%s", service.user_hash(user_id),
             len(text), "answered" if answer.found else "not_found", asked.latency_ms,
             for_log(answer.chunk.document) if answer.chunk else "-")
    if context.chat_data is not None:
        context.chat_data["last_question"] = (answer.question, time.monotonic())
    key = context.bot_data["recent"].add(answer)
    buttons = []
    # a total's chunk is made up (id 0) and has no passage of its own: 更多 lists its parts with theirs
    if answer.found and answer.chunk is not None and answer.chunk.id:
        buttons.append(InlineKeyboardButton("原文", callback_data=f"src:{key}"))
    if answer.found and messages.candidates(answer):
        buttons.append(InlineKeyboardButton("更多", callback_data=f"more:{key}:1"))
    rows = [buttons] if buttons else []
    if answer.found:  # a not-found answer gets no votes: it is counted as not found already
        rows.append(feedback.vote_row(key))
    blocks = messages.answer_blocks(answer)
    if full != text:  # say how the message was read, so a wrong reading is seen
        reading = f"（按“{answer.question.text}”回答）"
        blocks = [(reading, f"<i>{escape(reading, quote=False)}</i>"), *blocks]
    await send(message, blocks, InlineKeyboardMarkup(rows) if rows else None)


def _follow_up(context: ContextTypes.DEFAULT_TYPE, text: str, service: Service) -> str:
    """The whole question a message such as 松江呢 stands for, when the chat asked one within the last
    follow_up_seconds (FOLLOW_UP_SECONDS); else the message itself."""
    last = context.chat_data.get("last_question") if context.chat_data is not None else None
    if last is None or time.monotonic() - last[1] >= context.bot_data.get("follow_up_seconds", FOLLOW_UP_SECONDS):
        return text
    return expand(last[0], text, service.engine.segmenter)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """原文 expands the answer with its passage; 更多 sends the next candidates; an example asks itself."""
    query = update.callback_query
    if query is None or not query.data:
        return
    action, _, rest = query.data.partition(":")
    message = query.message if isinstance(query.message, Message) else None
    if action == "ask":
        await query.answer()
        if message is not None:
            await answer_question(update, context, rest)
        return
    key, _, page = rest.partition(":")
    answer = context.bot_data["recent"].get(key)
    if answer is None or message is None:
        await query.answer("这个按钮已过期，请重新提问。", show_alert=True)
        return
    await query.answer()
    if action == "src" and answer.chunk is not None:
        passage = answer.chunk.text
        blocks = messages.pack(messages.source_blocks(answer, passage))
        new_markup = feedback.without(message.reply_markup, query.data)  # 更多 and the votes stay, row by row
        if len(blocks) == 1:
            try:
                await message.edit_text(blocks[0], reply_markup=new_markup)
            except BadRequest as e:  # a second tap before the first edit arrived: it is already shown
                if "not modified" not in str(e).lower():
                    raise
        else:
            await send(message, messages.source_blocks(answer, passage))
    elif action == "more":
        number = int(page) if page.isdigit() else 1
        blocks_more, more = messages.more_blocks(answer, number)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("更多", callback_data=f"more:{key}:{number + 1}")]])
        await send(message, blocks_more, markup if more else None)


async def _refresh_examples(bot_data: dict[str, Any]) -> None:
    # up to TRIES asks: off the event loop, as the corpus may be large
    bot_data["examples"] = await asyncio.to_thread(example_questions, bot_data["service"].engine)


async def on_reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex (admins): rebuild the index from the stored bulletins, answering from the old one meanwhile."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text("正在重建索引，期间照常回答问题……")
    result = await _service(context).reindex()
    await _refresh_examples(context.bot_data)
    await send(message, messages.reindex_blocks(result))


async def on_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins): index counts, questions asked, answered and not found, and the 👍/👎."""
    if update.effective_message is not None:
        stats, asked, votes = await _service(context).usage()
        await report(update, context, "/stats", messages.stats_blocks(stats, asked, votes))


async def on_issues(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/issues (admins): every stored issue with its state, as `bulletin list` shows them."""
    if update.effective_message is not None:
        await report(update, context, "/issues", messages.issues_blocks(await _service(context).store.issues()))


async def report(update: Update, context: ContextTypes.DEFAULT_TYPE, command: str, blocks: Blocks) -> None:
    """Send an admin report to the admin alone: in a group it would show everyone other people's questions."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if message.chat.type == ChatType.PRIVATE:
        await send(message, blocks)
        return
    try:
        for part in messages.pack(blocks):
            await context.bot.send_message(user.id, part)
    except (Forbidden, BadRequest) as e:
        # a bot may not write first to someone who never opened a private chat with it (or who blocked it)
        if isinstance(e, BadRequest) and "chat not found" not in str(e).lower():
            raise
        await message.reply_text(f"管理员报告只在私聊中发送：请先私聊我，再在私聊里发 {command}。", do_quote=True)
        return
    await message.reply_text("管理员报告只在私聊中发送，已私聊发给你。", do_quote=True)


async def on_remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/remove ISSUE (admins): take an issue out of the index, kept in the database, as `bulletin remove` does."""
    message = update.effective_message
    if message is None:
        return
    name = " ".join(context.args or ())
    if not name:
        await message.reply_text("请写明要移出的简报，例如 /remove 第5期（或文件名、日期、/issues 里的 #编号）。")
        return
    try:
        removed = await _service(context).remove(name)
    except NoSuchIssue as e:
        await message.reply_text(f"未移出：{escape(refusal(e), quote=False)}")  # the catalog speaks English
        return
    await _refresh_examples(context.bot_data)
    await send(message, messages.removed_blocks(removed))


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's document: checked before download, then ingested as a new issue."""
    message = update.effective_message
    if message is None or message.document is None:
        return
    document = message.document
    # the name is shown, stored and logged: cleaned first (a newline, NUL or U+202E in it is the sender's choice)
    name = document_name(Path(document.file_name or "").name)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        await message.reply_text(f"未收录 {escape(name, quote=False)}：只收 {' '.join(SUFFIXES)} 文件。")
        return
    limit = _service(context).limits.max_bytes
    if document.file_size is None or document.file_size > limit:
        size = f"{document.file_size / 1e6:.1f} MB" if document.file_size else "大小未知"
        await message.reply_text(f"未收录 {escape(name, quote=False)}：文件过大（{size}，上限 {limit / 1e6:.0f} MB）。")
        return
    await message.reply_text(f"收到 {escape(name, quote=False)}，正在收录……")
    file = await document.get_file()
    data = bytes(await file.download_as_bytearray())
    result = await _service(context).ingest(data, name)
    log.info("upload %s", for_log(result.line()))
    if result.stored:
        await _refresh_examples(context.bot_data)
    await send(message, messages.ingest_blocks(result))


async def on_not_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A non-admin's /reindex, /stats or document: refused politely (the document is never downloaded)."""
    if update.effective_message is not None:
        await update.effective_message.reply_text("抱歉，这个操作只对管理员开放。")


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not have."""
    if update.effective_message is not None:
        await update.effective_message.reply_text("没有这个命令。直接发问题给我，或看看 /help。")


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice: say what the bot can read."""
    if update.effective_message is not None:
        await update.effective_message.reply_text("我只能回答文字问题，例如：青浦有多少套公租房？")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log every failure with its traceback; tell the person something short."""
    error = context.error
    if isinstance(error, Forbidden):
        log.info("a user blocked the bot: %s", error)
        return
    if isinstance(error, Conflict):
        log.warning("another instance is polling with this token (409 Conflict): run exactly one")
        return
    if isinstance(error, NetworkError) and not isinstance(update, Update):
        log.warning("network trouble while polling: %s", error)
        return
    if isinstance(error, DatabaseGone):  # logged once by the service; the admin is told what happened instead
        if isinstance(update, Update) and update.effective_message is not None:
            with contextlib.suppress(TelegramError):
                await update.effective_message.reply_text(DATABASE_GONE)
        return
    log.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.effective_message is not None:
        with contextlib.suppress(TelegramError):
            await update.effective_message.reply_text("抱歉，出了点问题，请稍后再试。")


class _Redact(logging.Filter):
    """Keep the token out of every log line, and log network trouble as one line, not a traceback."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, NetworkError | InvalidToken) and record.name.startswith("telegram"):
            # PTB's polling loop logs each retry with a traceback; ours (the error handler) keep theirs
            record.msg, record.args = f"{record.getMessage()} ({error})", ()
            record.exc_info = record.exc_text = None
        if self.token in (message := record.getMessage()):
            record.msg, record.args = message.replace(self.token, "<token>"), ()
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info).replace(self.token, "<token>")
        return True


def serve(settings: BotSettings, db: Path) -> int:
    """Run the bot with long polling until SIGINT/SIGTERM; return the exit status."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(_Redact(settings.token))
    app = build_application(settings, db)
    try:
        # a few retries ride out a network blip at start-up; a refused token still stops at once
        app.run_polling(allowed_updates=["message", "callback_query"], bootstrap_retries=3)
    except InvalidToken:
        raise BotStartError("Telegram refused the bot token (check TELEGRAM_BOT_TOKEN)") from None
    except TelegramError as e:
        message = str(e).replace(settings.token, "<token>")
        raise BotStartError(f"cannot reach Telegram at {settings.base_url}: {message}") from None
    return 0
