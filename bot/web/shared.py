"""What the site's handlers share (web room): the app's keys, the session of a request, one-line errors, the
admin checks and page rendering."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import jinja2
from aiohttp import web

from bot.ops.service import Service
from bot.ops.settings import WebSettings
from bot.web.security import Session, Sessions, csrf_ok

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# no inline script or style anywhere: an answer quoting a hostile bulletin cannot run in the page
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

SERVICE = web.AppKey("service", Service)
SETTINGS = web.AppKey("settings", WebSettings)
SESSIONS = web.AppKey("sessions", Sessions)
STATE = web.AppKey("state", dict)
SESSION = web.RequestKey("session", Session)


def session_of(request: web.Request) -> Session:
    """The request's session (the guard gives every request one)."""
    found: Session = request[SESSION]
    return found


def error(request: web.Request, status: int, message: str) -> web.Response:
    """One line, in JSON for the API and as plain text for a page's script or form."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return web.json_response({"error": message}, status=status, dumps=dumps)
    return web.Response(status=status, text=message, content_type="text/plain")


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def is_admin(request: web.Request) -> bool:
    """An admin: the Bearer token (scripts), or a logged-in session (the page)."""
    return request.app[SESSIONS].bearer_ok(request.headers.get("Authorization")) or session_of(request).admin


def admin_form(request: web.Request, given_csrf: str | None) -> web.Response | None:
    """Refuse (401/403) a change by a non-admin, or by a page without the session's CSRF token; None when allowed."""
    if request.app[SESSIONS].bearer_ok(request.headers.get("Authorization")):
        return None  # a script's token is not sent by a browser on its own: no CSRF to fear
    if not session_of(request).admin:
        return error(request, 401, "需要管理员登录。")
    if not csrf_ok(session_of(request), given_csrf):
        return error(request, 403, "页面已过期，请刷新后重试。")
    return None


def page(request: web.Request, template: str, **values: Any) -> web.Response:
    session = session_of(request)
    env: jinja2.Environment = request.app[STATE]["templates"]
    html = env.get_template(template).render(
        csrf=session.csrf, admin=session.admin, read_only=request.app[SETTINGS].admin_token is None,
        path=request.path, static=lambda name: request.app.router["static"].url_for(filename=name), **values)
    return web.Response(text=html, content_type="text/html", charset="utf-8")
