"""A small, strict fake of the Telegram Bot API for end-to-end tests of the bot.

The server is aiohttp on 127.0.0.1 (a free port), running in its own daemon thread with its own event loop, so one fake
serves a bot in the test's own asyncio loop as well as a ``bulletin serve`` subprocess. Point PTB at it with
``base_url=fake.base_url, base_file_url=fake.base_file_url``. It is strict where Telegram is (empty or over-long text,
malformed HTML, over-long callback data, big files) and stricter about a bare ``&``, so that missing escapes fail tests.
Every 4xx it answers because the bot sent something invalid lands in ``errors``; tests assert that it stays empty.
"""

from __future__ import annotations

import asyncio
import copy
import html.parser
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-TOKEN"
BOT_ID = 123456
BOT_USERNAME = "fake_bot"
BOT_USER: dict[str, Any] = {"id": BOT_ID, "is_bot": True, "first_name": "Fake", "username": BOT_USERNAME}
ME: dict[str, Any] = {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                      "supports_inline_queries": False}
MAX_TEXT = 4096  # UTF-16 code units, after entity parsing
MAX_CALLBACK_DATA = 64  # bytes of UTF-8
MAX_DOWNLOAD = 20_000_000  # bytes: getFile refuses bigger files on the cloud Bot API
JSON_KEYS = frozenset({
    "chat_id", "message_id", "reply_markup", "offset", "limit", "timeout", "allowed_updates", "show_alert", "entities",
    "reply_parameters", "link_preview_options", "disable_notification", "protect_content", "cache_time",
    "drop_pending_updates", "max_connections", "commands", "scope"})
HTML_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler",
                       "span", "blockquote", "tg-emoji"})
NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})  # need allowed_updates
_TAG = re.compile(r"<(/?)([^\s<>/]*)[^<>]*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_COMMAND = re.compile(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are exactly "
                 "the same as a current content and reply markup of the message")
Params = dict[str, Any]


class ApiError(Exception):
    """An error answer: HTTP status and Telegram's description."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _bad_html(text: str, char_offset: int, message: str) -> ApiError:
    offset = len(text[:char_offset].encode())
    return ApiError(400, f"Bad Request: can't parse entities: {message} at byte offset {offset}")


class _HTMLChecker(html.parser.HTMLParser):
    """Checks nesting and collects the visible text; the raw '<' and '&' are checked before it runs."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.stack: list[str] = []
        self.parts: list[str] = []
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def _error(self, message: str) -> ApiError:
        line, column = self.getpos()
        return _bad_html(self.source, self.line_starts[line - 1] + column, message)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "span" and ("class", "tg-spoiler") not in attrs:
            raise self._error('Tag "span" must have class "tg-spoiler"')
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise self._error(f'Unsupported self-closing tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            raise self._error("Unexpected end tag")
        if (open_tag := self.stack.pop()) != tag:
            raise self._error(f'Unmatched end tag, expected "</{open_tag}>", found "</{tag}>"')

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def parse_html(text: str) -> str:
    """Check text as Telegram's parse_mode=HTML would and return the visible text; raise ApiError if malformed."""
    for match in re.finditer("[<&]", text):
        at = match.start()
        if text[at] == "&" and not _ENTITY.match(text, at):
            raise _bad_html(text, at, "Unsupported HTML entity (escape '&' as &amp;)")
        if text[at] == "<":
            if (tag := _TAG.match(text, at)) is None:
                raise _bad_html(text, at, "Unclosed start tag (escape '<' as &lt;)")
            if tag[2].lower() not in HTML_TAGS:
                kind = "end" if tag[1] else "start"
                raise _bad_html(text, at, f'Unsupported {kind} tag "{tag[2]}"')
    checker = _HTMLChecker(text)
    checker.feed(text)
    checker.close()
    if checker.stack:
        raise ApiError(400, f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
                            f"{checker.stack[-1]}")
    return "".join(checker.parts)


def _decode(key: str, value: Any) -> Any:
    if key in JSON_KEYS and isinstance(value, str):
        with suppress(ValueError):
            return json.loads(value)
    return value


class FakeBotAPI:
    """The fake server plus helpers to queue updates and to inspect what the bot did. All state is under one lock."""

    def __init__(self, token: str = TOKEN) -> None:
        self._token = token
        self._lock = threading.Lock()
        self._updates: list[Params] = []
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._message_ids: dict[int, int] = {}
        self._chats: dict[int, Params] = {}
        self._bot_messages: dict[tuple[int, int], Params] = {}  # (chat, message_id) -> {"message", "html", ...}
        self._sent_keys: list[tuple[int, int]] = []
        self._edits: list[Params] = []
        self._requests: list[tuple[str, Params]] = []
        self._errors: list[str] = []
        self._dropped: list[Params] = []
        self._delivered: dict[int, float] = {}  # update_id -> when getUpdates first handed it to the bot
        self._failures: dict[str, list[tuple[int, Params]]] = {}
        self._files: dict[str, Params] = {}
        self._paths: dict[str, bytes] = {}
        self._callback_ids: set[str] = set()
        self._allowed: set[str] | None = None
        self._handlers: dict[str, Callable[[Params], Any]] = {
            "getme": lambda p: dict(ME), "sendmessage": self._send_message, "editmessagetext": self._edit_text,
            "editmessagereplymarkup": self._edit_markup, "getfile": self._get_file,
            "answercallbackquery": self._answer_callback, "sendchataction": lambda p: self._chat_id(p) is not None,
            **dict.fromkeys(["deletewebhook", "setmycommands", "deletemycommands"], lambda p: True)}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._port = 0
        self._arrived = asyncio.Event()
        self._stopping = asyncio.Event()

    # ---- life cycle -------------------------------------------------------------------------------------------------
    def start(self) -> FakeBotAPI:
        """Start the server thread and wait until it listens; return self."""
        if self._loop is not None:
            raise RuntimeError("a FakeBotAPI can be started only once")
        self._thread = threading.Thread(target=self._run, name="FakeBotAPI", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._startup_error is not None:
            self.stop()
            raise RuntimeError("FakeBotAPI did not start") from self._startup_error
        return self

    def stop(self) -> None:
        """Stop the server (pending long polls answer []), join the thread and close its loop. Idempotent."""
        thread, loop, self._thread = self._thread, self._loop, None
        if thread is None:
            return
        if loop is not None:
            with suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(self._shut_down)
        thread.join(10)

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported by start()
            self._startup_error = exc
        finally:
            self._ready.set()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _serve(self) -> None:
        self._arrived, self._stopping = asyncio.Event(), asyncio.Event()
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self._port = runner.addresses[0][1]
            self._ready.set()
            await self._stopping.wait()
        finally:
            await runner.cleanup()

    def _shut_down(self) -> None:
        self._stopping.set()
        self._wake()

    def _wake(self) -> None:
        self._arrived.set()
        self._arrived = asyncio.Event()

    @property
    def base_url(self) -> str:
        """Value for PTB's base_url: PTB appends the token, giving /bot<TOKEN>/<method>."""
        if not self._port:
            raise RuntimeError("FakeBotAPI not started")
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for PTB's base_file_url: downloads are GET /file/bot<TOKEN>/<file_path>."""
        return self.base_url.replace("/bot", "/file/bot")

    # ---- building updates -------------------------------------------------------------------------------------------
    def queue_update(self, update: Params) -> int:
        """Queue a raw update (a copy), giving it the next update_id; wake a pending getUpdates. Return the id."""
        with self._lock:
            update = {**copy.deepcopy(update), "update_id": next(self._update_ids)}
            self._updates.append(update)
        if self._loop is not None:
            with suppress(RuntimeError):  # loop closed: nobody is waiting
                self._loop.call_soon_threadsafe(self._wake)
        return int(update["update_id"])

    def _user_message(self, user_id: int, chat_id: int | None, chat_type: str | None = None,
                      first_name: str = "用户", message_id: int | None = None, **fields: Any) -> Params:
        chat_id = user_id if chat_id is None else chat_id
        chat_type = chat_type or ("private" if chat_id > 0 else "group")
        named = {"first_name": first_name} if chat_type == "private" else {"title": "测试群"}
        with self._lock:
            chat = self._chats[chat_id] = {"id": chat_id, "type": chat_type, **named}
            message_id = self._next_message_id(chat_id) if message_id is None else message_id
        return {"message_id": message_id, "date": int(time.time()), "chat": chat,
                "from": {"id": user_id, "is_bot": False, "first_name": first_name}, **fields}

    def send_text(self, text: str, *, user_id: int = 1001, chat_id: int | None = None, chat_type: str = "private",
                  first_name: str = "用户") -> int:
        """A user's text message, with bot_command/mention entities as a Telegram client adds them."""
        message = self._user_message(user_id, chat_id, chat_type, first_name, text=text)
        if entities := text_entities(text):
            message["entities"] = entities
        return self.queue_update({"message": message})

    def send_document(self, data: bytes, file_name: str, *, mime_type: str = "application/octet-stream",
                      user_id: int = 1001, chat_id: int | None = None, caption: str | None = None,
                      declared_size: int | None = None) -> int:
        """A user's document; data is stored for getFile + download; file_size is declared_size or len(data)."""
        with self._lock:
            n = next(self._file_ids)
            size = len(data) if declared_size is None else declared_size
            path = f"documents/file_{n}{PurePosixPath(file_name).suffix}"
            self._files[f"DOC{n}"] = {"file_id": f"DOC{n}", "file_unique_id": f"U{n}", "file_size": size,
                                      "file_path": path}
            self._paths[path] = bytes(data)
        document = {"file_id": f"DOC{n}", "file_unique_id": f"U{n}", "file_name": file_name, "mime_type": mime_type,
                    "file_size": size}
        message = self._user_message(user_id, chat_id, document=document)
        if caption is not None:
            message["caption"] = caption
        return self.queue_update({"message": message})

    def send_sticker(self, *, user_id: int = 1001) -> int:
        """A user's sticker: a message with no text."""
        sticker = {"file_id": "STICKER1", "file_unique_id": "S1", "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False}
        return self.queue_update({"message": self._user_message(user_id, None, sticker=sticker)})

    def edit_text(self, message_id: int, text: str, *, user_id: int = 1001) -> int:
        """The user edited their message message_id to text: an edited_message update."""
        message = self._user_message(user_id, None, message_id=message_id, text=text, edit_date=int(time.time()))
        if entities := text_entities(text):
            message["entities"] = entities
        return self.queue_update({"edited_message": message})

    def press(self, data: str, *, message_id: int, user_id: int = 1001, chat_id: int | None = None) -> int:
        """The user pressed an inline button with callback data on the bot's message message_id."""
        chat_id = user_id if chat_id is None else chat_id
        with self._lock:
            record = self._bot_messages.get((chat_id, message_id))
            if record is None:
                raise KeyError(f"the bot sent no message {message_id} to chat {chat_id}")
            query_id = f"CQ{next(self._query_ids)}"
            self._callback_ids.add(query_id)
            query = {"id": query_id, "from": {"id": user_id, "is_bot": False, "first_name": "用户"},
                     "chat_instance": f"ci{chat_id}", "data": data, "message": copy.deepcopy(record["message"])}
        return self.queue_update({"callback_query": query})

    # ---- what the bot did -------------------------------------------------------------------------------------------
    @property
    def requests(self) -> list[tuple[str, Params]]:
        """Every (method, decoded params) the bot sent, in order (a copy)."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def errors(self) -> list[str]:
        """Every 4xx answered because a request was invalid, as "<method>: <description>" (not injected failures)."""
        with self._lock:
            return list(self._errors)

    def calls(self, method: str) -> list[Params]:
        """The params of every call of method (case-insensitive, as Telegram), failed ones included."""
        return [params for name, params in self.requests if name.lower() == method.lower()]

    def sent(self, chat_id: int | None = None) -> list[Params]:
        """Messages sent by sendMessage, as returned (current state after edits) plus "html", "parse_mode", "sent_at"."""
        with self._lock:
            records = [copy.deepcopy(self._bot_messages[key]) for key in self._sent_keys if chat_id in (None, key[0])]
        given = ("parse_mode", "markup")
        return [{**r["message"], "html": r["html"], "sent_at": r["sent_at"],
                 **{k.replace("markup", "reply_markup"): r[k] for k in given if r[k]}} for r in records]

    def delivered_at(self, update_id: int) -> float:
        """When getUpdates first handed the update to the bot (time.monotonic(), as "sent_at"); KeyError if not yet."""
        with self._lock:
            return self._delivered[update_id]

    def edits(self) -> list[Params]:
        """The params of every successful editMessageText."""
        with self._lock:
            return copy.deepcopy(self._edits)

    def fail(self, method: str, status: int, description: str, *, retry_after: int | None = None,
             times: int = 1) -> None:
        """Make the next `times` calls of method fail with status and description (before any validation)."""
        body: Params = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        with self._lock:
            self._failures.setdefault(method.lower(), []).extend([(status, body)] * times)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Poll predicate every 10 ms in the caller's loop; AssertionError with recent requests on timeout."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_report(predicate, timeout))
            await asyncio.sleep(0.01)

    def wait_for_sync(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Like wait_for, for a synchronous test (e.g. one driving a subprocess bot)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_report(predicate, timeout))
            time.sleep(0.01)

    def _timeout_report(self, predicate: Callable[[], bool], timeout: float) -> str:
        with self._lock:
            recent = [f"  {name} {json.dumps(params, ensure_ascii=False, default=repr)[:300]}"
                      for name, params in self._requests[-12:]]
            state = (f"{len(self._updates)} update(s) not confirmed, {len(self._dropped)} dropped by allowed_updates,"
                     f" errors: {self._errors}")
        name = getattr(predicate, "__name__", repr(predicate))
        return "\n".join([f"{name} still false after {timeout} s; {state}; last requests:", *recent])

    # ---- server -----------------------------------------------------------------------------------------------------
    def _answer_error(self, method: str, status: int, description: str) -> web.Response:
        with self._lock:
            self._errors.append(f"{method}: {description}")
        return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: Params = dict(request.query)
        if request.content_type == "application/json" and request.can_read_body:
            with suppress(ValueError):
                body = await request.json()
                params.update(body if isinstance(body, dict) else {})
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    with value.file:
                        params[key] = value.file.read()
                else:
                    params[key] = value
        params = {key: _decode(key, value) for key, value in params.items()}
        with self._lock:
            self._requests.append((method, params))
        if request.match_info["token"] != self._token:
            return self._answer_error(method, 401, "Unauthorized")
        with self._lock:
            injected = self._failures.get(method.lower())
            failure = injected.pop(0) if injected else None
        if failure is not None:
            return web.json_response(failure[1], status=failure[0])
        try:
            if method.lower() == "getupdates":
                result = await self._get_updates(params)
            elif (handler := self._handlers.get(method.lower())) is None:
                raise ApiError(400, "Bad Request: method not found")
            else:
                with self._lock:
                    result = handler(params)
        except ApiError as exc:
            return self._answer_error(method, exc.status, exc.description)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        with self._lock:
            data = self._paths.get(request.match_info["path"])
        if request.match_info["token"] != self._token:
            return self._answer_error("file", 401, "Unauthorized")
        if data is None:
            return self._answer_error("file", 404, f"Not Found: {request.match_info['path']}")
        return web.Response(body=data, content_type="application/octet-stream")

    async def _get_updates(self, params: Params) -> list[Params]:
        offset, limit, timeout = params.get("offset") or 0, params.get("limit") or 100, params.get("timeout") or 0
        if not all(isinstance(v, int | float) for v in (offset, limit, timeout)):
            raise ApiError(400, "Bad Request: wrong parameter type in getUpdates")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(float(timeout), 1.0)
        while True:
            with self._lock:
                if "allowed_updates" in params:
                    self._allowed = set(params["allowed_updates"] or ()) or None
                if offset:  # confirmed updates are gone for good; a negative offset keeps the last -offset
                    self._updates = (self._updates[int(offset):] if offset < 0
                                     else [u for u in self._updates if u["update_id"] >= offset])
                updates, self._updates = self._updates, []
                for update in updates:
                    (self._updates if self._wanted(update) else self._dropped).append(update)
                batch = copy.deepcopy(self._updates[:int(limit)])
                for update in batch:
                    self._delivered.setdefault(update["update_id"], time.monotonic())
                arrived = self._arrived
            if batch or loop.time() >= deadline or self._stopping.is_set():
                return batch
            with suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), deadline - loop.time())

    # the methods below run with the lock held
    def _wanted(self, update: Params) -> bool:
        kind = next(key for key in update if key != "update_id")
        return kind not in NOT_BY_DEFAULT if self._allowed is None else kind in self._allowed

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    @staticmethod
    def _chat_id(params: Params) -> int:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    @staticmethod
    def _text(params: Params) -> tuple[str, str]:
        raw, parse_mode = str(params.get("text") or ""), str(params.get("parse_mode") or "")
        if parse_mode.lower() not in ("", "html", "markdown", "markdownv2"):
            raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
        text = (parse_html(raw) if parse_mode.lower() == "html" else raw).strip()
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, raw

    @staticmethod
    def _markup(params: Params) -> Params | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else None
        if not isinstance(markup, dict) or not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for button in itertools.chain.from_iterable(rows):
            if not isinstance(button, dict) or not button.get("text") or len(button) < 2:
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in"
                                    " the inline keyboard")
            if len(str(button.get("callback_data", "")).encode()) > MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _find(self, params: Params) -> Params:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        record = None
        if isinstance(chat_id, int) and isinstance(message_id, int):
            record = self._bot_messages.get((chat_id, message_id))
        if record is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return record

    def _send_message(self, params: Params) -> Params:
        chat_id = self._chat_id(params)
        text, raw = self._text(params)
        markup = self._markup(params)
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and not reply.get("allow_sending_without_reply"):
            reply_id, last = reply.get("message_id"), self._message_ids.get(reply.get("chat_id", chat_id), 0)
            if not isinstance(reply_id, int) or not 0 < reply_id <= last:
                raise ApiError(400, "Bad Request: message to be replied not found")
        key = (chat_id, self._next_message_id(chat_id))
        chat = self._chats.get(chat_id, {"id": chat_id, "type": "private" if chat_id > 0 else "group"})
        message = {"message_id": key[1], "date": int(time.time()), "chat": chat, "from": dict(BOT_USER), "text": text}
        if markup and "inline_keyboard" in markup:  # a Message carries only an inline keyboard
            message["reply_markup"] = markup
        self._bot_messages[key] = {"message": message, "html": raw, "parse_mode": params.get("parse_mode"),
                                   "markup": markup, "sent_at": time.monotonic()}
        self._sent_keys.append(key)
        return copy.deepcopy(message)

    def _edit_text(self, params: Params) -> Params:
        record = self._find(params)
        text, raw = self._text(params)
        markup, message = self._markup(params), record["message"]
        if (message["text"], record["html"], message.get("reply_markup")) == (text, raw, markup):
            raise ApiError(400, _NOT_MODIFIED)
        record.update(html=raw, parse_mode=params.get("parse_mode"), markup=markup)
        message.update(text=text, edit_date=int(time.time()), reply_markup=markup)
        if markup is None:  # like Telegram: an edit without reply_markup removes the keyboard
            del message["reply_markup"]
        self._edits.append(copy.deepcopy(params))
        return copy.deepcopy(message)

    def _edit_markup(self, params: Params) -> Params:
        record = self._find(params)
        markup, message = self._markup(params), record["message"]
        if message.get("reply_markup") == markup:
            raise ApiError(400, _NOT_MODIFIED)
        record["markup"] = markup
        message.update(edit_date=int(time.time()), reply_markup=markup)
        if markup is None:
            del message["reply_markup"]
        return copy.deepcopy(message)

    def _get_file(self, params: Params) -> Params:
        file = self._files.get(str(params.get("file_id")))
        if file is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if file["file_size"] > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return dict(file)

    def _answer_callback(self, params: Params) -> bool:
        if params.get("callback_query_id") not in self._callback_ids:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return True


def text_entities(text: str) -> list[Params]:
    """The bot_command (at the start) and @fake_bot mention entities of a user's text, offsets in UTF-16 units."""
    entities: list[Params] = []
    command_end = 0
    if (command := _COMMAND.match(text)) and not re.match(r"[\w/<>]", text[command.end():command.end() + 1]):
        command_end = command.end()
        entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command[0])})
    for mention in re.finditer(rf"(?<![\w@])@{BOT_USERNAME}(?!\w)", text):
        if mention.start() >= command_end:
            entities.append({"type": "mention", "offset": utf16_len(text[:mention.start()]),
                             "length": utf16_len(mention[0])})
    return entities
