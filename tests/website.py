"""The real `bulletin web` app on 127.0.0.1 in a thread of its own, and a small HTTP client with cookies."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.ops.settings import WebSettings
from bot.web.app import build_app

TOKEN = "test-admin-token-0123456789"


class Site:
    """`bulletin web` over a database, served until the block ends (its Service closed cleanly)."""

    def __init__(self, db: Path, *, token: str | None = TOKEN, per_minute: int = 6000, proxied: bool = False) -> None:
        self.db = db
        self.settings = WebSettings(admin_token=token, ask_per_minute=per_minute, proxied=proxied)
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="Site", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Site:
        self._thread.start()
        if not self._ready.wait(60) or self._error is not None:
            raise RuntimeError("the site did not start") from self._error
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve())
        except BaseException as e:
            self._error = e
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        runner = web.AppRunner(build_app(self.db, self.settings), access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self.port = runner.addresses[0][1]
            self._ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Client:
    """A browser-like client: keeps the session cookie, follows no redirect (so a test sees each one)."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def request(self, method: str, path: str, *, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with opener.open(req, timeout=60) as r:
                return Reply(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Reply(e.code, dict(e.headers), e.read())

    def get(self, path: str, **params: str) -> Reply:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return self.request("GET", path + query)

    def post_form(self, path: str, fields: dict[str, str]) -> Reply:
        return self.request("POST", path, data=urllib.parse.urlencode(fields).encode(),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def csrf(self) -> str:
        """The CSRF token the question page carries for this session."""
        page = self.get("/").text
        marker = '<meta name="csrf-token" content="'
        return page[page.index(marker) + len(marker):].split('"', 1)[0]

    def login(self, token: str = TOKEN) -> Reply:
        return self.post_form("/login", {"csrf": self.csrf(), "token": token, "next": "/bulletins"})

    def upload(self, files: list[tuple[str, bytes]], headers: dict[str, str] | None = None) -> Reply:
        body, content_type = multipart(files)
        return self.request("POST", "/api/bulletins", data=body,
                            headers={"Content-Type": content_type, **(headers or {})})


def multipart(files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body with each file in a `file` field."""
    boundary = secrets.token_hex(12)
    parts = []
    for name, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
