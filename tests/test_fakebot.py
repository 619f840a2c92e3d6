"""The fake Telegram Bot API (tests/fakebot.py), exercised with a real python-telegram-bot Bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import functools
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyKeyboardRemove
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from fakebot import BOT_ID, BOT_USERNAME, TOKEN, FakeBotAPI, parse_html, text_entities

Scenario = Callable[[Bot], Coroutine[Any, Any, None]]
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("出处", callback_data="src:1")]])


def run(fake: FakeBotAPI, scenario: Scenario, token: str = TOKEN) -> None:
    """Run scenario(bot) in a fresh event loop with an initialised Bot pointed at the fake."""
    def request() -> HTTPXRequest:
        # plain HTTP to 127.0.0.1: skipping the CA bundle saves about 50 ms per httpx client (PTB builds two)
        return HTTPXRequest(httpx_kwargs={"verify": False})

    async def main() -> None:
        async with Bot(token, base_url=fake.base_url, base_file_url=fake.base_file_url, request=request(),
                       get_updates_request=request()) as bot:
            await scenario(bot)

    asyncio.run(main())


def test_get_me(fake: FakeBotAPI) -> None:
    async def scenario(bot: Bot) -> None:
        assert bot.username == BOT_USERNAME  # Bot.initialize called getMe
        me = await bot.get_me()
        assert (me.id, me.is_bot, me.can_join_groups, me.supports_inline_queries) == (BOT_ID, True, True, False)

    run(fake, scenario)
    assert [name for name, _ in fake.requests] == ["getMe", "getMe"]
    assert fake.errors == []


def test_get_updates_delivers_then_forgets_confirmed_updates(fake: FakeBotAPI) -> None:
    first = fake.send_text("/ask@fake_bot 😀 青浦 @fake_bot")
    second = fake.send_text("123", user_id=7)

    async def scenario(bot: Bot) -> None:
        updates = await bot.get_updates(timeout=0)
        assert [u.update_id for u in updates] == [first, second] == [1, 2]
        message = updates[0].message
        assert message is not None
        assert sorted(message.parse_entities().values()) == ["/ask@fake_bot", "@fake_bot"]
        assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 13),
                                                                             ("mention", 20, 9)]
        assert updates[1].message is not None
        assert updates[1].message.text == "123"
        assert (updates[1].message.chat.id, updates[1].message.message_id) == (7, 1)  # message ids count per chat
        assert await bot.get_updates(offset=second + 1, timeout=0) == ()
        assert await bot.get_updates(timeout=0) == ()  # confirmed updates are gone for good

    run(fake, scenario)


@pytest.mark.parametrize(("text", "expected"), [
    ("/start", [("bot_command", 0, 6)]),
    ("/ask@fake_bot 问题", [("bot_command", 0, 13)]),
    ("/ask青浦", []),  # Telegram sees no command when a letter follows
    ("😀 @fake_bot", [("mention", 3, 9)]),  # offsets in UTF-16 units
    ("mail@fake_bot", []),
    ("青浦有多少套公租房", []),
])
def test_text_entities(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert [(e["type"], e["offset"], e["length"]) for e in text_entities(text)] == expected


def test_update_shapes_parse_in_ptb(fake: FakeBotAPI) -> None:
    fake.send_document(b"%PDF-1.4", "简报.pdf", mime_type="application/pdf", caption="第3期", declared_size=99)
    fake.send_sticker()
    fake.edit_text(1, "改过的问题")
    fake.send_text("群里的问题", user_id=5, chat_id=-100, chat_type="supergroup")

    async def scenario(bot: Bot) -> None:
        document, sticker, edited, group = await bot.get_updates(timeout=0)
        assert document.message is not None
        assert document.message.document is not None
        assert (document.message.document.file_name, document.message.document.file_size) == ("简报.pdf", 99)
        assert document.message.caption == "第3期"
        assert sticker.message is not None
        assert sticker.message.sticker is not None
        assert (sticker.message.text, sticker.message.sticker.type) == (None, "regular")
        assert edited.edited_message is not None
        assert edited.message is None
        assert (edited.edited_message.message_id, edited.edited_message.text) == (1, "改过的问题")
        assert edited.edited_message.edit_date is not None
        assert group.effective_chat is not None
        assert group.effective_user is not None
        assert (group.effective_chat.type, group.effective_user.id) == ("supergroup", 5)

    run(fake, scenario)


def test_send_message_records_html_and_keyboard(fake: FakeBotAPI) -> None:
    async def scenario(bot: Bot) -> None:
        message = await bot.send_message(1001, "<b>答</b>：100&lt;套 &amp; 6044.86平方米", parse_mode="HTML",
                                         reply_markup=KEYBOARD)
        assert message.text == "答：100<套 & 6044.86平方米"
        assert message.reply_markup == KEYBOARD
        assert message.from_user is not None
        assert message.from_user.id == BOT_ID
        await bot.send_message(42, "123")
        removed = await bot.send_message(42, "键盘收起", reply_markup=ReplyKeyboardRemove())
        assert removed.reply_markup is None  # a Message only ever carries an inline keyboard

    run(fake, scenario)
    [sent] = fake.sent(1001)
    assert sent["html"] == "<b>答</b>：100&lt;套 &amp; 6044.86平方米"
    assert sent["parse_mode"] == "HTML"
    assert sent["reply_markup"] == {"inline_keyboard": [[{"text": "出处", "callback_data": "src:1"}]]}
    assert sent["chat"] == {"id": 1001, "type": "private"}
    assert [m["text"] for m in fake.sent()] == ["答：100<套 & 6044.86平方米", "123", "键盘收起"]
    assert fake.sent(42)[1]["reply_markup"] == {"remove_keyboard": True}
    assert fake.calls("sendMessage")[1] == {"chat_id": 42, "text": "123"}  # text stays a string
    assert fake.errors == []


def test_button_press_answer_and_edit(fake: FakeBotAPI) -> None:
    async def scenario(bot: Bot) -> None:
        message = await bot.send_message(1001, "答案", reply_markup=KEYBOARD)
        fake.press("src:1", message_id=message.message_id)
        [update] = await bot.get_updates(timeout=1)
        query = update.callback_query
        assert query is not None
        assert isinstance(query.message, Message)
        assert (query.data, query.message.text, query.message.message_id) == ("src:1", "答案", message.message_id)
        assert await query.answer()
        edited = await bot.edit_message_text("<i>出处</i>", chat_id=1001, message_id=message.message_id,
                                             parse_mode="HTML")
        assert isinstance(edited, Message)
        assert edited.text == "出处"
        with pytest.raises(BadRequest, match=r"(?i)not modified"):
            await bot.edit_message_text("<i>出处</i>", chat_id=1001, message_id=message.message_id,
                                        parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
            await bot.edit_message_text("x", chat_id=1001, message_id=99)

    run(fake, scenario)
    assert [e["text"] for e in fake.edits()] == ["<i>出处</i>"]
    assert fake.sent()[0]["text"] == "出处"
    assert "reply_markup" not in fake.sent()[0]  # an edit without reply_markup drops the keyboard
    assert len(fake.errors) == 2


@pytest.mark.parametrize(("text", "parse_mode", "button_data", "error"), [
    ("<b>粗体", "HTML", None, "Can't find end tag corresponding to start tag b"),
    ("a < b", "HTML", None, "Unclosed start tag"),
    ("AT&T", "HTML", None, "Unsupported HTML entity"),
    ("第一行<br>第二行", "HTML", None, 'Unsupported start tag "br"'),
    ("<b><i>x</b></i>", "HTML", None, 'Unmatched end tag, expected "</i>", found "</b>"'),
    ("字" * 4097, None, None, "message is too long"),
    ("😀" * 2049, None, None, "message is too long"),  # 4098 UTF-16 units
    ("<b>" + "&lt;" * 4097 + "</b>", "HTML", None, "message is too long"),
    ("  \n ", None, None, "message text is empty"),
    ("<b> </b>", "HTML", None, "message text is empty"),
    ("答案", None, "数" * 21 + "ab", "BUTTON_DATA_INVALID"),  # 65 bytes of UTF-8
])
def test_send_message_is_strict(fake: FakeBotAPI, text: str, parse_mode: str | None, button_data: str | None,
                                error: str) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data=button_data)]]) if button_data else None

    async def scenario(bot: Bot) -> None:
        with pytest.raises(BadRequest) as info:
            await bot.send_message(1001, text, parse_mode=parse_mode, reply_markup=markup)
        assert error.lower() in str(info.value).lower()

    run(fake, scenario)
    [recorded] = fake.errors
    assert recorded.startswith("sendMessage: Bad Request: ")
    assert error in recorded
    assert fake.sent() == []


@pytest.mark.parametrize(("text", "parse_mode", "button_data"), [
    ("字" * 4096, None, None),
    ("😀" * 2048, None, None),
    ("<b>" + "&lt;" * 4096 + "</b>", "HTML", None),  # the limit counts the text after entity parsing
    ("a < b & c", None, None),  # no parse_mode: nothing is markup
    ("答案", None, "数" * 21 + "a"),  # 64 bytes
])
def test_send_message_accepts_the_limits(fake: FakeBotAPI, text: str, parse_mode: str | None,
                                         button_data: str | None) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data=button_data)]]) if button_data else None

    async def scenario(bot: Bot) -> None:
        await bot.send_message(1001, text, parse_mode=parse_mode, reply_markup=markup)

    run(fake, scenario)
    assert fake.errors == []
    assert len(fake.sent()) == 1


@pytest.mark.parametrize(("html", "visible"), [
    ('<a href="https://example.org/?a=1&amp;b=2">链接</a>', "链接"),
    ('<span class="tg-spoiler">秘</span><tg-spoiler>密</tg-spoiler>', "秘密"),
    ('<pre><code class="language-sql">x &lt;&gt; 1</code></pre>', "x <> 1"),
    ("&quot;&#39;&#x4e2d;&#25991;\n<blockquote>引</blockquote>", "\"'中文\n引"),
])
def test_parse_html_visible_text(html: str, visible: str) -> None:
    assert parse_html(html) == visible


def test_injected_429_surfaces_as_retry_after(fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # else PTB 22 warns while building RetryAfter (see next test)
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)

    async def scenario(bot: Bot) -> None:
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(1001, "答案")
        assert info.value.retry_after == dtm.timedelta(seconds=3)
        await bot.send_message(1001, "答案")  # times=1: the next call goes through

    run(fake, scenario)
    assert len(fake.calls("sendMessage")) == 2
    assert len(fake.sent()) == 1
    assert fake.errors == []  # injected failures are not the bot's fault


def test_retry_after_warns_without_ptb_timedelta(fake: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22.8 builds RetryAfter via a deprecated int accessor: under filterwarnings=error the 429 becomes a warning."""
    monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    async def scenario(bot: Bot) -> None:
        with pytest.raises(RetryAfter):
            await bot.send_message(1001, "答案")

    with pytest.warns(PTBDeprecationWarning, match="retry_after"):
        run(fake, scenario)


@pytest.mark.parametrize(("method", "status", "description", "exception"), [
    ("getUpdates", 409, "Conflict: terminated by other getUpdates request", Conflict),
    ("sendMessage", 403, "Forbidden: bot was blocked by the user", Forbidden),
    ("sendMessage", 502, "Bad Gateway", NetworkError),
])
def test_injected_failures(fake: FakeBotAPI, method: str, status: int, description: str,
                           exception: type[TelegramError]) -> None:
    fake.fail(method, status, description, times=2)

    async def scenario(bot: Bot) -> None:
        call = bot.get_updates if method == "getUpdates" else functools.partial(bot.send_message, 1001, "答案")
        for _ in range(2):
            with pytest.raises(exception, match=description.split(":")[0]):
                await call()
        await call()  # times=2: the third call goes through

    run(fake, scenario)
    assert fake.errors == []


def test_get_file_and_download(fake: FakeBotAPI) -> None:
    data = b"%PDF-1.4\n" + bytes(range(256)) * 10
    fake.send_document(data, "简报.pdf", mime_type="application/pdf")

    async def scenario(bot: Bot) -> None:
        [update] = await bot.get_updates(timeout=0)
        assert update.message is not None
        assert update.message.document is not None
        file = await update.message.document.get_file()
        assert file.file_size == len(data)
        assert file.file_path is not None
        assert file.file_path.endswith("/documents/file_1.pdf")
        assert await file.download_as_bytearray() == data
        with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
            await bot.get_file("nonsense")

    run(fake, scenario)
    assert fake.errors == ["getFile: Bad Request: invalid file_id"]


def test_get_file_refuses_a_big_file(fake: FakeBotAPI) -> None:
    fake.send_document(b"%PDF-1.4", "big.pdf", mime_type="application/pdf", declared_size=25 * 1024 * 1024)

    async def scenario(bot: Bot) -> None:
        [update] = await bot.get_updates(timeout=0)
        assert update.message is not None
        assert update.message.document is not None
        assert update.message.document.file_size == 25 * 1024 * 1024
        with pytest.raises(BadRequest, match=r"(?i)too big"):
            await update.message.document.get_file()

    run(fake, scenario)
    assert fake.errors == ["getFile: Bad Request: file is too big"]


def test_unknown_method_is_bad_request_not_invalid_token(fake: FakeBotAPI) -> None:
    async def scenario(bot: Bot) -> None:
        with pytest.raises(BadRequest, match=r"(?i)not found") as info:
            await bot.do_api_request("nosuchMethod")
        assert not isinstance(info.value, InvalidToken)

    run(fake, scenario)
    assert fake.errors == ["nosuchMethod: Bad Request: method not found"]


def test_wrong_token_is_invalid_token(fake: FakeBotAPI) -> None:
    async def scenario(bot: Bot) -> None:
        raise AssertionError("unreachable: initialize must fail")

    with pytest.raises(InvalidToken):
        run(fake, scenario, token="654321:WRONG")
    assert fake.errors == ["getMe: Unauthorized"]


def test_long_poll_waits_then_returns_nothing(fake: FakeBotAPI) -> None:
    async def scenario(bot: Bot) -> None:
        start = time.monotonic()
        assert await bot.get_updates(timeout=5) == ()
        assert 0.9 < time.monotonic() - start < 1.5  # the fake caps long polls at 1 s

    run(fake, scenario)


def test_long_poll_wakes_on_an_update_from_another_thread(fake: FakeBotAPI) -> None:
    async def scenario(bot: Bot) -> None:
        start = time.monotonic()
        timer = threading.Timer(0.1, fake.send_text, args=("青浦有多少套公租房",))
        timer.start()
        [update] = await bot.get_updates(timeout=5)
        timer.join()
        assert time.monotonic() - start < 0.6
        assert update.message is not None
        assert update.message.text == "青浦有多少套公租房"

    run(fake, scenario)


def test_allowed_updates_filters_like_telegram(fake: FakeBotAPI) -> None:
    fake.send_text("被过滤")

    async def scenario(bot: Bot) -> None:
        assert await bot.get_updates(timeout=0, allowed_updates=["callback_query"]) == ()
        fake.send_text("还是被过滤")
        assert await bot.get_updates(timeout=0) == ()  # the setting sticks, as on Telegram
        assert await bot.get_updates(timeout=0, allowed_updates=[]) == ()  # [] restores the default
        fake.send_text("收到")
        [update] = await bot.get_updates(timeout=0)
        assert update.message is not None
        assert update.message.text == "收到"

    run(fake, scenario)


def test_wait_for_reports_recent_requests(fake: FakeBotAPI) -> None:
    async def scenario(bot: Bot) -> None:
        await fake.wait_for(lambda: len(fake.calls("getMe")) == 1, timeout=1)
        with pytest.raises(AssertionError, match=r"(?s)still false after 0.05 s.*getMe"):
            await fake.wait_for(lambda: bool(fake.sent()), timeout=0.05)

    run(fake, scenario)
    with pytest.raises(AssertionError, match="getMe"):
        fake.wait_for_sync(lambda: False, timeout=0.02)


def test_start_and_stop() -> None:
    fake = FakeBotAPI().start()
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.base_url.endswith("/bot")
    assert fake.base_file_url == fake.base_url.replace("/bot", "/file/bot")
    fake.stop()
    fake.stop()  # idempotent
    assert not [t for t in threading.enumerate() if t.name == "FakeBotAPI"]
