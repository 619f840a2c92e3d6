"""The question page and its API (web room): asking, the answer card, example questions, votes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from bot.answering.engine import EmptyQuestion, Engine
from bot.answering.examples import example_questions
from bot.answering.render import to_json
from bot.ops.refusals import refusal
from bot.web import views
from bot.web.security import csrf_ok
from bot.web.shared import SERVICE, STATE, dumps, error, page, session_of
from index import BulletinError

log = logging.getLogger("bulletin.web")


def _asked(request: web.Request) -> tuple[Any, str] | web.Response:
    """Answer the q parameter, paced per address; the answer and its key, or the refusal."""
    state = request.app[STATE]
    if not state["pace"].allow(request.remote or "-"):
        return error(request, 429, "提问太频繁了，请稍等一会儿再问。")
    try:
        asked = request.app[SERVICE].ask(request.query.get("q", ""), session_of(request).user_id)
    except EmptyQuestion as e:  # (or one that names nothing to look for: it says which)
        return error(request, 400, f"{e}。")
    except BulletinError as e:
        return error(request, 400, refusal(e))
    log.info("question outcome=%s latency_ms=%.2f", "found" if asked.answer.found else "not_found", asked.latency_ms)
    return asked.answer, state["recent"].add(asked.answer)


async def api_ask(request: web.Request) -> web.Response:
    """GET /api/ask?q=…: exactly the object `bulletin ask --json` prints."""
    found = _asked(request)
    if isinstance(found, web.Response):
        return found
    answer, key = found
    return web.json_response(to_json(answer), dumps=dumps, headers={"X-Answer-Key": key})


async def card_fragment(request: web.Request) -> web.Response:
    """GET /card?q=…: the answer as the page shows it (a card, HTML), for the page's script."""
    found = _asked(request)
    if isinstance(found, web.Response):
        return found
    answer, key = found
    return page(request, "card.html", card=views.card(answer, key))


async def ask_page(request: web.Request) -> web.Response:
    """GET /: the question page (with ?q=, its answer too: the page works without its script)."""
    service = request.app[SERVICE]
    card = None
    if request.query.get("q", "").strip():
        found = _asked(request)
        if isinstance(found, web.Response):
            return found
        card = views.card(*found)
    return page(request, "ask.html", card=card, question=request.query.get("q", ""),
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
    if not csrf_ok(session_of(request), request.headers.get("X-CSRF-Token")):
        return error(request, 403, "页面已过期，请刷新后重试。")
    if not request.app[STATE]["pace"].allow(request.remote or "-"):
        return error(request, 429, "操作太频繁了，请稍等一会儿。")  # votes count as asks: no flood of 👎
    try:
        body = await request.json()
        key, up = str(body["key"]), body["up"]
    except (ValueError, KeyError, TypeError):
        return error(request, 400, "投票格式不对。")
    answer = request.app[STATE]["recent"].get(key)
    if answer is None or not isinstance(up, bool):
        return error(request, 404, "这个回答已过期，请重新提问。")
    await request.app[SERVICE].vote(key, answer, session_of(request).user_id, up)
    return web.json_response({"ok": True, "message": "谢谢反馈！"}, dumps=dumps)
