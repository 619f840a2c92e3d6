"""The web adapter (web room): `bulletin web` serves the question page, the bulletins page, usage and the JSON API
over the same Service the Telegram bot uses; the answering core never learns that the web exists."""

from __future__ import annotations

import logging
from pathlib import Path

import jinja2
from aiohttp import web

from bot.answering.recent import Recent
from bot.ops.service import Service
from bot.ops.settings import WebSettings
from bot.web import admin, asking
from bot.web.security import COOKIE, Pace, Session, Sessions
from bot.web.shared import CSP, SERVICE, SESSION, SESSIONS, SETTINGS, STATE, Handler, error

log = logging.getLogger("bulletin.web")
STATIC = Path(__file__).with_name("static")


def build_app(db: Path, settings: WebSettings) -> web.Application:
    """The site over the database at db: the Service is opened at start-up and closed at shutdown."""
    app = web.Application(middlewares=[_guard], client_max_size=1024 * 64)  # forms are small; uploads stream
    app[SETTINGS] = settings
    app[SESSIONS] = Sessions(settings.admin_token)
    app[STATE] = {"recent": Recent(), "pace": Pace(settings.ask_per_minute), "logins": Pace(admin.LOGINS_PER_MINUTE),
                  "examples": (None, []),
                  "reindex": {"running": False, "done": 0, "total": 0, "result": "", "error": ""},
                  "templates": jinja2.Environment(loader=jinja2.PackageLoader("bot.web", "templates"),
                                                  autoescape=True, trim_blocks=True, lstrip_blocks=True)}

    async def open_service(app: web.Application) -> None:
        app[SERVICE] = await Service.open(db, settings.limits)

    async def close_service(app: web.Application) -> None:
        await app[SERVICE].close()

    app.on_startup.append(open_service)
    app.on_cleanup.append(close_service)
    app.router.add_get("/", asking.ask_page)
    app.router.add_get("/card", asking.card_fragment)
    app.router.add_get("/api/ask", asking.api_ask)
    app.router.add_post("/api/vote", asking.api_vote)
    app.router.add_get("/bulletins", admin.bulletins_page)
    app.router.add_get("/api/bulletins", admin.api_bulletins)
    app.router.add_post("/api/bulletins", admin.api_upload)
    app.router.add_post("/bulletins/{id:[0-9]+}/{action:remove|restore}", admin.issue_action)
    app.router.add_post("/api/reindex", admin.api_reindex)
    app.router.add_get("/api/reindex", admin.api_reindex_state)
    app.router.add_get("/stats", admin.stats_page)
    app.router.add_get("/login", admin.login_page)
    app.router.add_post("/login", admin.login)
    app.router.add_post("/logout", admin.logout)
    app.router.add_get("/healthz", admin.healthz)
    app.router.add_static("/static", STATIC, name="static", append_version=True)
    return app


def serve(db: Path, settings: WebSettings, host: str, port: int) -> int:
    """Run the site until Ctrl-C or SIGTERM; the service closes cleanly either way."""
    log.info("serving %s on http://%s:%d/ (%s)", db, host, port,
             "admin login enabled" if settings.admin_token else "read-only: BULLETIN_WEB_ADMIN_TOKEN is not set")
    web.run_app(build_app(db, settings), host=host, port=port, print=None, access_log=None, shutdown_timeout=5)
    return 0


# -- the guard: session, CSRF, headers, and no traceback for anyone

@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.app[SETTINGS].proxied:
        request = _forwarded(request)
    sessions = request.app[SESSIONS]
    session = sessions.load(request.cookies.get(COOKIE))
    fresh = session is None
    request[SESSION] = session = session or Session.new()
    try:
        response = await handler(request)
    except web.HTTPException as e:  # a redirect: answered here, so a login's new session cookie goes with it
        response = web.Response(status=e.status, headers=e.headers, text=e.text)
    except Exception:  # a bug: one line for the person, the traceback for the log
        log.exception("%s %s failed", request.method, request.path)
        response = error(request, 500, "服务器内部错误，请稍后再试。")
    if fresh or request.get(SESSION) is not session:  # a login or logout replaces the session
        response.set_cookie(COOKIE, sessions.dump(request[SESSION]), httponly=True, samesite="Strict",
                            secure=request.secure, path="/", max_age=None)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _forwarded(request: web.Request) -> web.Request:
    """The request as the client made it, behind a trusted proxy: its address (the last one the proxy added: any
    before it the client may have written) and its scheme (for the cookie's Secure flag)."""
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    scheme = request.headers.get("X-Forwarded-Proto", "").strip().lower()
    return request.clone(remote=hops[-1] if hops else request.remote or "-",
                         scheme=scheme if scheme in ("http", "https") else request.scheme)
