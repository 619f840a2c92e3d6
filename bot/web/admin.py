"""The admin side of the site (web room): the bulletins and their upload, remove, restore and reindex; usage;
login and logout; health."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.ops.health import Unhealthy, check
from bot.ops.refusals import refusal
from bot.ops.settings import read_health_max_age
from bot.web import upload, views
from bot.web.security import Session, csrf_ok
from bot.web.shared import (
    SERVICE,
    SESSION,
    SESSIONS,
    SETTINGS,
    STATE,
    admin_form,
    dumps,
    error,
    is_admin,
    page,
    session_of,
)
from index import BulletinError, Probe, for_log, probe, read_only

log = logging.getLogger("bulletin.web")

CHART_DAYS = 28
LOGINS_PER_MINUTE = 10  # login attempts one address may make: a token is not guessed at this pace


async def api_bulletins(request: web.Request) -> web.Response:
    """GET /api/bulletins: the stored issues as `bulletin list` shows them (?all=1: with the versions replaced by a
    corrected file, as `list --all`)."""
    issues = await request.app[SERVICE].store.issues()
    shown = [i for i in issues if request.query.get("all") == "1" or i.state != "replaced"]
    return web.json_response([views.issue_json(i) for i in shown], dumps=dumps)


async def bulletins_page(request: web.Request) -> web.Response:
    """GET /bulletins: the issues, newest first; admins upload, remove, restore and reindex here."""
    issues = await request.app[SERVICE].store.issues()
    replaced = views.replaced_by_each(issues)
    rows = [views.issue_row(i, replaced.get(i.document, [])) for i in reversed(issues)]
    notice = request.app[STATE].setdefault("notices", {}).pop(session_of(request).sid, "")
    return page(request, "bulletins.html", issues=rows, notice=notice,
                 limit_mb=request.app[SETTINGS].limits.max_bytes / 1e6, suffixes=" ".join(upload.SUFFIXES))


async def api_upload(request: web.Request) -> web.Response:
    """POST /api/bulletins (admins): each file's ingest result, as `bulletin ingest` says it."""
    if refused := admin_form(request, request.headers.get("X-CSRF-Token")):
        return refused  # before a byte of the body is read
    try:
        results = await upload.receive(request, request.app[SERVICE], request.app[SETTINGS].limits)
    except upload.BadUpload as e:
        return error(request, e.status, str(e))
    for result in results:
        log.info("upload %s", for_log(result.line()))
    return web.json_response([views.ingest_json(r) for r in results], dumps=dumps)


async def issue_action(request: web.Request) -> web.StreamResponse:
    """POST /bulletins/N/remove or /restore (admins, from the page's form): then back to the list."""
    if not is_admin(request):
        return error(request, 401, "需要管理员登录。")  # before a byte of the form is read
    form = await request.post()
    csrf = form.get("csrf")
    if refused := admin_form(request, csrf if isinstance(csrf, str) else None):
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
    request.app[STATE].setdefault("notices", {})[session_of(request).sid] = notice
    raise web.HTTPSeeOther("/bulletins")


async def api_reindex(request: web.Request) -> web.Response:
    """POST /api/reindex (admins): start a reindex; GET /api/reindex follows it."""
    if refused := admin_form(request, request.headers.get("X-CSRF-Token")):
        return refused
    state = request.app[STATE]["reindex"]
    if state["running"]:
        return web.json_response(_reindex_view(state), status=409, dumps=dumps)
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
    return web.json_response(_reindex_view(state), status=202, dumps=dumps)


async def api_reindex_state(request: web.Request) -> web.Response:
    """GET /api/reindex: whether a reindex runs, how far it got, and how the last one ended."""
    return web.json_response(_reindex_view(request.app[STATE]["reindex"]), dumps=dumps)


def _reindex_view(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state[k] for k in ("running", "done", "total", "result", "error")}


# -- usage, login, health

async def stats_page(request: web.Request) -> web.StreamResponse:
    """GET /stats (admins): questions per day, the share not found, the unanswered and the downvoted."""
    if not session_of(request).admin:
        raise web.HTTPSeeOther("/login?next=/stats")
    stats, asked, votes = await request.app[SERVICE].usage(top=10, days=CHART_DAYS)
    chart = views.day_chart(asked.per_day, CHART_DAYS, dt.datetime.now(dt.UTC).date())
    share = f"{asked.not_found / asked.asked:.0%}" if asked.asked else "—"
    return page(request, "stats.html", stats=stats, asked=asked, votes=votes, chart=chart, share=share,
                 days=CHART_DAYS)


async def login_page(request: web.Request) -> web.Response:
    """GET /login: the admin token form (or, with no token configured, why the site is read-only)."""
    return page(request, "login.html", failed=False, next=_next(request.query.get("next")))


async def login(request: web.Request) -> web.StreamResponse:
    """POST /login: the admin token, then a fresh signed session (HttpOnly, SameSite=Strict)."""
    form = await request.post()
    csrf, token = form.get("csrf"), form.get("token")
    if not csrf_ok(session_of(request), csrf if isinstance(csrf, str) else None):
        return error(request, 403, "页面已过期，请刷新后重试。")
    if not request.app[STATE]["logins"].allow(request.remote or "-"):
        return error(request, 429, "登录尝试太频繁了，请一分钟后再试。")
    if not request.app[SESSIONS].token_ok(token if isinstance(token, str) else None):
        log.warning("a failed admin login from %s", request.remote)  # the token tried is never logged
        await asyncio.sleep(0.5)  # guessing is slow
        response = page(request, "login.html", failed=True, next=_next(str(form.get("next", ""))))
        response.set_status(401)
        return response
    request[SESSION] = Session.new(admin=True)  # a new id: a session fixed before the login is worth nothing
    raise web.HTTPSeeOther(_next(str(form.get("next", ""))))


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /logout: back to an anonymous session."""
    form = await request.post()
    csrf = form.get("csrf")
    if not csrf_ok(session_of(request), csrf if isinstance(csrf, str) else None):
        return error(request, 403, "页面已过期，请刷新后重试。")
    request.app[SESSIONS].end(session_of(request))
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
        return web.json_response({"ok": False, "error": str(e)}, status=503, dumps=dumps)
    # the Telegram bot's state is told, but a stuck bot (or one in another container) does not take the site down
    try:
        bot = (await asyncio.to_thread(check, service.store.path, read_health_max_age())).line()
    except Unhealthy as e:
        bot = f"unhealthy: {e}"
    return web.json_response({"ok": True, "issues": found.issues, "chunks": found.chunks, "bot": bot}, dumps=dumps)


def _probe(db: Path) -> Probe:
    """Open the database read-only and query it, as `bulletin health` does; raises BulletinError."""
    with read_only(db) as connection:
        return probe(connection, db)
