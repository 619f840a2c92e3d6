"""The web adapter (web room): `bulletin web` serves the question page, the bulletins page, usage and the JSON API
over the same Service the Telegram bot uses; the answering core never learns that the web exists."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.answering.engine import EmptyQuestion, Engine
from bot.answering.examples import example_questions
from bot.answering.recent import Recent
from bot.answering.render import to_json
from bot.ops.health import Unhealthy, check
from bot.ops.refusals import refusal
from bot.ops.service import Service
from bot.ops.settings import WebSettings, read_health_max_age
from bot.web import upload, views
from bot.web.security import COOKIE, Pace, Session, Sessions, csrf_ok
from index import BulletinError, Probe, for_log, probe, read_only

log = logging.getLogger("bulletin.web")

STATIC = Path(__file__).with_name("static")
CHART_DAYS = 28
LOGINS_PER_MINUTE = 10  # login attempts one address may make: a token is not guessed at this pace
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# no inline script or style anywhere: an answer quoting a hostile bulletin cannot run in the page
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

SERVICE = web.AppKey("service", Service)
SETTINGS = web.AppKey("settings", WebSettings)
SESSIONS = web.AppKey("sessions", Sessions)
STATE = web.AppKey("state", dict)
SESSION = web.RequestKey("session", Session)


def build_app(db: Path, settings: WebSettings) -> web.Application:
    """The site over the database at db: the Service is opened at start-up and closed at shutdown."""
    app = web.Application(middlewares=[_guard], client_max_size=1024 * 64)  # forms are small; uploads stream
    app[SETTINGS] = settings
    app[SESSIONS] = Sessions(settings.admin_token)
    app[STATE] = {"recent": Recent(), "pace": Pace(settings.ask_per_minute), "logins": Pace(LOGINS_PER_MINUTE),
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
    app.router.add_get("/", ask_page)
    app.router.add_get("/card", card_fragment)
    app.router.add_get("/api/ask", api_ask)
    app.router.add_post("/api/vote", api_vote)
    app.router.add_get("/bulletins", bulletins_page)
    app.router.add_get("/api/bulletins", api_bulletins)
    app.router.add_post("/api/bulletins", api_upload)
    app.router.add_post("/bulletins/{id:[0-9]+}/{action:remove|restore}", issue_action)
    app.router.add_post("/api/reindex", api_reindex)
    app.router.add_get("/api/reindex", api_reindex_state)
    app.router.add_get("/stats", stats_page)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/healthz", healthz)
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
        response = _error(request, 500, "服务器内部错误，请稍后再试。")
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


def _session(request: web.Request) -> Session:
    found: Session = request[SESSION]
    return found


def _error(request: web.Request, status: int, message: str) -> web.Response:
    """One line, in JSON for the API and as plain text for a page's script or form."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return web.json_response({"error": message}, status=status, dumps=_dumps)
    return web.Response(status=status, text=message, content_type="text/plain")


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _is_admin(request: web.Request) -> bool:
    """An admin: the Bearer token (scripts), or a logged-in session (the page)."""
    return request.app[SESSIONS].bearer_ok(request.headers.get("Authorization")) or _session(request).admin


def _admin_form(request: web.Request, given_csrf: str | None) -> web.Response | None:
    """Refuse (401/403) a change by a non-admin, or by a page without the session's CSRF token; None when allowed."""
    if request.app[SESSIONS].bearer_ok(request.headers.get("Authorization")):
        return None  # a script's token is not sent by a browser on its own: no CSRF to fear
    if not _session(request).admin:
        return _error(request, 401, "需要管理员登录。")
    if not csrf_ok(_session(request), given_csrf):
        return _error(request, 403, "页面已过期，请刷新后重试。")
    return None


def _page(request: web.Request, template: str, **values: Any) -> web.Response:
    session = _session(request)
    env: jinja2.Environment = request.app[STATE]["templates"]
    html = env.get_template(template).render(
        csrf=session.csrf, admin=session.admin, read_only=request.app[SETTINGS].admin_token is None,
        path=request.path, static=lambda name: request.app.router["static"].url_for(filename=name), **values)
    return web.Response(text=html, content_type="text/html", charset="utf-8")


# -- asking

def _asked(request: web.Request) -> tuple[Any, str] | web.Response:
    """Answer the q parameter, paced per address; the answer and its key, or the refusal."""
    state = request.app[STATE]
    if not state["pace"].allow(request.remote or "-"):
        return _error(request, 429, "提问太频繁了，请稍等一会儿再问。")
    try:
        asked = request.app[SERVICE].ask(request.query.get("q", ""), _session(request).user_id)
    except EmptyQuestion as e:  # (or one that names nothing to look for: it says which)
        return _error(request, 400, f"{e}。")
    except BulletinError as e:
        return _error(request, 400, refusal(e))
    log.info("question outcome=%s latency_ms=%.2f", "found" if asked.answer.found else "not_found", asked.latency_ms)
    return asked.answer, state["recent"].add(asked.answer)


async def api_ask(request: web.Request) -> web.Response:
    """GET /api/ask?q=…: exactly the object `bulletin ask --json` prints."""
    found = _asked(request)
    if isinstance(found, web.Response):
        return found
    answer, key = found
    return web.json_response(to_json(answer), dumps=_dumps, headers={"X-Answer-Key": key})


async def card_fragment(request: web.Request) -> web.Response:
    """GET /card?q=…: the answer as the page shows it (a card, HTML), for the page's script."""
    found = _asked(request)
    if isinstance(found, web.Response):
        return found
    answer, key = found
    return _page(request, "card.html", card=views.card(answer, key))


async def ask_page(request: web.Request) -> web.Response:
    """GET /: the question page (with ?q=, its answer too: the page works without its script)."""
    service = request.app[SERVICE]
    card = None
    if request.query.get("q", "").strip():
        found = _asked(request)
        if isinstance(found, web.Response):
            return found
        card = views.card(*found)
    return _page(request, "ask.html", card=card, question=request.query.get("q", ""),
                 examples=await _examples(request.app, service.engine), empty=service.engine.empty)


async def _examples(app: web.Application, engine: Engine) -> list[str]:
    """Example questions of the current index (asked and checked once per index, off the event loop)."""
    state = app[STATE]
    made_for, examples = state["examples"]
    if made_for is not engine:
        examples = [] if engine.empty else await asyncio.to_thread(example_questions, engine)
        state["examples"] = (engine, examples)
    return list(examples)


async def api_vote(request: web.Request) -> web.Response:
    """POST /api/vote {key, up}: a 👍 or 👎 on an answer this page showed, stored as the bot's votes are."""
    if not csrf_ok(_session(request), request.headers.get("X-CSRF-Token")):
        return _error(request, 403, "页面已过期，请刷新后重试。")
    if not request.app[STATE]["pace"].allow(request.remote or "-"):
        return _error(request, 429, "操作太频繁了，请稍等一会儿。")  # votes count as asks: no flood of 👎
    try:
        body = await request.json()
        key, up = str(body["key"]), body["up"]
    except (ValueError, KeyError, TypeError):
        return _error(request, 400, "投票格式不对。")
    answer = request.app[STATE]["recent"].get(key)
    if answer is None or not isinstance(up, bool):
        return _error(request, 404, "这个回答已过期，请重新提问。")
    await request.app[SERVICE].vote(key, answer, _session(request).user_id, up)
    return web.json_response({"ok": True, "message": "谢谢反馈！"}, dumps=_dumps)


# -- bulletins

async def api_bulletins(request: web.Request) -> web.Response:
    """GET /api/bulletins: every stored issue as `bulletin list` shows it."""
    issues = await request.app[SERVICE].store.issues()
    return web.json_response([views.issue_json(i) for i in issues], dumps=_dumps)


async def bulletins_page(request: web.Request) -> web.Response:
    """GET /bulletins: the issues, newest first; admins upload, remove, restore and reindex here."""
    issues = await request.app[SERVICE].store.issues()
    replaced = views.replaced_by_each(issues)
    rows = [views.issue_row(i, replaced.get(i.document, [])) for i in reversed(issues)]
    notice = request.app[STATE].setdefault("notices", {}).pop(_session(request).sid, "")
    return _page(request, "bulletins.html", issues=rows, notice=notice,
                 limit_mb=request.app[SETTINGS].limits.max_bytes / 1e6, suffixes=" ".join(upload.SUFFIXES))


async def api_upload(request: web.Request) -> web.Response:
    """POST /api/bulletins (admins): each file's ingest result, as `bulletin ingest` says it."""
    if refused := _admin_form(request, request.headers.get("X-CSRF-Token")):
        return refused  # before a byte of the body is read
    try:
        results = await upload.receive(request, request.app[SERVICE], request.app[SETTINGS].limits)
    except upload.BadUpload as e:
        return _error(request, e.status, str(e))
    for result in results:
        log.info("upload %s", for_log(result.line()))
    return web.json_response([views.ingest_json(r) for r in results], dumps=_dumps)


async def issue_action(request: web.Request) -> web.StreamResponse:
    """POST /bulletins/N/remove or /restore (admins, from the page's form): then back to the list."""
    if not _is_admin(request):
        return _error(request, 401, "需要管理员登录。")  # before a byte of the form is read
    form = await request.post()
    csrf = form.get("csrf")
    if refused := _admin_form(request, csrf if isinstance(csrf, str) else None):
        return refused
    service, name = request.app[SERVICE], f"#{request.match_info['id']}"
    try:
        if request.match_info["action"] == "remove":
            done = await service.remove(name)
            notice = f"已移出索引：{done.issue.document}（仍保存在数据库中，可随时恢复）。"
        else:
            back = await service.restore(name)
            notice = f"已恢复收录：{back.issue.document}" + (
                f"（替换了 {'、'.join(back.replaced)}）。" if back.replaced else "。")
    except BulletinError as e:
        notice = f"未能完成：{refusal(e)}"
    request.app[STATE].setdefault("notices", {})[_session(request).sid] = notice
    raise web.HTTPSeeOther("/bulletins")


async def api_reindex(request: web.Request) -> web.Response:
    """POST /api/reindex (admins): start a reindex; GET /api/reindex follows it."""
    if refused := _admin_form(request, request.headers.get("X-CSRF-Token")):
        return refused
    state = request.app[STATE]["reindex"]
    if state["running"]:
        return web.json_response(_reindex_view(state), status=409, dumps=_dumps)
    state.update(running=True, done=0, total=0, result="", error="", started=time.time())

    def told(done: int, total: int) -> None:
        state.update(done=done, total=total)

    async def run() -> None:
        try:
            result = await request.app[SERVICE].reindex(told)
            state["result"] = (f"索引已重建：简报 {result.issues} 期，段落 {result.chunks} 段，数字 {result.figures} 个，"
                               f"用时 {result.seconds:.1f} 秒。")
        except BulletinError as e:
            state["error"] = f"重建失败：{refusal(e)}"
        except Exception:
            log.exception("reindex failed")
            state["error"] = "重建失败：服务器内部错误。"
        finally:
            state["running"] = False

    state["task"] = asyncio.get_running_loop().create_task(run())  # kept: a task nobody holds may be collected
    return web.json_response(_reindex_view(state), status=202, dumps=_dumps)


async def api_reindex_state(request: web.Request) -> web.Response:
    """GET /api/reindex: whether a reindex runs, how far it got, and how the last one ended."""
    return web.json_response(_reindex_view(request.app[STATE]["reindex"]), dumps=_dumps)


def _reindex_view(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state[k] for k in ("running", "done", "total", "result", "error")}


# -- usage, login, health

async def stats_page(request: web.Request) -> web.StreamResponse:
    """GET /stats (admins): questions per day, the share not found, the unanswered and the downvoted."""
    if not _session(request).admin:
        raise web.HTTPSeeOther("/login?next=/stats")
    stats, asked, votes = await request.app[SERVICE].usage(top=10, days=CHART_DAYS)
    chart = views.day_chart(asked.per_day, CHART_DAYS, dt.datetime.now(dt.UTC).date())
    share = f"{asked.not_found / asked.asked:.0%}" if asked.asked else "—"
    return _page(request, "stats.html", stats=stats, asked=asked, votes=votes, chart=chart, share=share,
                 days=CHART_DAYS)


async def login_page(request: web.Request) -> web.Response:
    """GET /login: the admin token form (or, with no token configured, why the site is read-only)."""
    return _page(request, "login.html", failed=False, next=_next(request.query.get("next")))


async def login(request: web.Request) -> web.StreamResponse:
    """POST /login: the admin token, then a fresh signed session (HttpOnly, SameSite=Strict)."""
    form = await request.post()
    csrf, token = form.get("csrf"), form.get("token")
    if not csrf_ok(_session(request), csrf if isinstance(csrf, str) else None):
        return _error(request, 403, "页面已过期，请刷新后重试。")
    if not request.app[STATE]["logins"].allow(request.remote or "-"):
        return _error(request, 429, "登录尝试太频繁了，请一分钟后再试。")
    if not request.app[SESSIONS].token_ok(token if isinstance(token, str) else None):
        log.warning("a failed admin login from %s", request.remote)  # the token tried is never logged
        await asyncio.sleep(0.5)  # guessing is slow
        response = _page(request, "login.html", failed=True, next=_next(str(form.get("next", ""))))
        response.set_status(401)
        return response
    request[SESSION] = Session.new(admin=True)  # a new id: a session fixed before the login is worth nothing
    raise web.HTTPSeeOther(_next(str(form.get("next", ""))))


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /logout: back to an anonymous session."""
    form = await request.post()
    csrf = form.get("csrf")
    if not csrf_ok(_session(request), csrf if isinstance(csrf, str) else None):
        return _error(request, 403, "页面已过期，请刷新后重试。")
    request.app[SESSIONS].end(_session(request))
    request[SESSION] = Session.new()
    raise web.HTTPSeeOther("/")


def _next(path: str | None) -> str:
    """Where to go after logging in: a path of this site only (never another site's address)."""
    return path if path in ("/", "/bulletins", "/stats") else "/bulletins"


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: what `bulletin health` checks (the database answers; a bot, if one runs, polls)."""
    service = request.app[SERVICE]
    try:
        service.check_file()
        found = await asyncio.to_thread(_probe, service.store.path)
    except BulletinError as e:
        return web.json_response({"ok": False, "error": str(e)}, status=503, dumps=_dumps)
    # the Telegram bot's state is told, but a stuck bot (or one in another container) does not take the site down
    try:
        bot = (await asyncio.to_thread(check, service.store.path, read_health_max_age())).line()
    except Unhealthy as e:
        bot = f"unhealthy: {e}"
    return web.json_response({"ok": True, "issues": found.issues, "chunks": found.chunks, "bot": bot}, dumps=_dumps)


def _probe(db: Path) -> Probe:
    """Open the database read-only and query it, as `bulletin health` does; raises BulletinError."""
    with read_only(db) as connection:
        return probe(connection, db)
