"""`bulletin web`'s contract, route by route, over a real database and the real app on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ops import usage
from helpers import (
    FIGURE_ANSWERS,
    JIADING_FIGURE,
    JIADING_NAME,
    JIADING_QUESTION,
    JIADING_TEXT,
    NOT_FOUND,
    SAMPLE,
    run_cli,
)
from index import Store
from website import TOKEN, Client, Site

BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(sample_db, tmp_path / "web.db"))


@pytest.fixture
def site(db: Path) -> Iterator[Site]:
    with Site(db) as running:
        yield running


def _issues(db: Path) -> list[tuple[int, str, str]]:
    async def read() -> list[tuple[int, str, str]]:
        async with await Store.open(db, create=False) as store:
            return [(i.id, i.document, i.state) for i in await store.issues()]
    return asyncio.run(read())


def _generation(db: Path) -> int:
    async def read() -> int:
        async with await Store.open(db, create=False) as store:
            return await store.generation()
    return asyncio.run(read())


def test_api_ask_is_what_ask_json_prints(site: Site, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = Client(site.url)
    for question in [*FIGURE_ANSWERS, *NOT_FOUND]:
        reply = client.get("/api/ask", q=question)
        assert reply.status == 200, reply.text
        assert reply.headers["Content-Type"].startswith("application/json")
        status, out, _ = run_cli(capsys, "ask", "--json", question, "--db", db)
        assert status == 0
        # the same fields in the same order, the same figures and sources in the same order
        assert list(reply.json().items()) == list(json.loads(out).items())


def test_an_empty_question_is_one_line_and_logs_nothing(site: Site, db: Path) -> None:
    client = Client(site.url)
    for blank in ("", "   ", "\u200b"):
        reply = client.get("/api/ask", q=blank)
        assert reply.status == 400
        assert reply.json() == {"error": "问题是空的，请输入要问的内容。"}
    understood = client.get("/api/ask", q="有多少个")  # words, but nothing to look for: said so, not "empty"
    assert understood.status == 400
    assert understood.json()["error"].startswith("没看懂这个问题")
    assert client.get("/card", q=" ").status == 400


def test_asking_is_paced_per_address(db: Path) -> None:
    with Site(db, per_minute=20) as site:  # a burst of two, then one every three seconds
        client = Client(site.url)
        statuses = [client.get("/api/ask", q="青浦有多少套公租房").status for _ in range(5)]
    assert statuses[:2] == [200, 200]
    assert 429 in statuses[2:]


def test_api_bulletins_lists_the_issues_as_list_does(site: Site, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = Client(site.url).get("/api/bulletins").json()
    assert [(i["id"], i["document"], i["state"]) for i in listed] == _issues(db)
    _, out, _ = run_cli(capsys, "list", "--db", db)
    row = out.splitlines()[1].split()
    assert row[0] == str(listed[0]["id"])  # the number `bulletin remove` takes
    assert listed[0]["document"] in row
    assert set(listed[0]) >= {"date", "series", "number", "period", "articles", "figures", "ingested", "state"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789"},
                                     {"Authorization": TOKEN}])
def test_upload_without_the_token_is_401_and_stores_nothing(site: Site, db: Path, headers: dict[str, str]) -> None:
    before, generation = _issues(db), _generation(db)
    reply = Client(site.url).upload([(JIADING_NAME, JIADING_TEXT.encode())], headers)
    assert reply.status == 401
    assert reply.json() == {"error": "需要管理员登录。"}
    assert (_issues(db), _generation(db)) == (before, generation)


def test_an_upload_is_answered_as_soon_as_it_returns(site: Site) -> None:
    client = Client(site.url)
    assert not client.get("/api/ask", q=JIADING_QUESTION).json()["found"]
    reply = client.upload([(JIADING_NAME, JIADING_TEXT.encode()), ("notes.exe", b"MZ\x90\x00"),
                           (SAMPLE.name, SAMPLE.read_bytes())], BEARER)
    assert reply.status == 200, reply.text
    results = reply.json()
    assert [r["status"] for r in results] == ["added", "refused", "unchanged"]
    assert results[0]["line"].startswith(f"added     {JIADING_NAME}")
    assert results[0]["figures"] > 0
    assert results[1]["reason"]
    assert "只收" in results[1]["message"]
    answer = client.get("/api/ask", q=JIADING_QUESTION).json()
    assert answer["found"]
    assert answer["figures"][0]["text"] == JIADING_FIGURE


def test_a_file_over_the_limit_is_refused_unread(db: Path) -> None:
    with Site(db) as site:
        limit = site.settings.limits.max_bytes
        reply = Client(site.url).upload([("big.txt", b"a" * (limit + 1))], BEARER)
    assert reply.status == 200
    [result] = reply.json()
    assert result["status"] == "refused"
    assert "文件过大" in result["message"]


def test_a_logged_in_page_needs_its_csrf_token(site: Site, db: Path) -> None:
    client = Client(site.url)
    assert client.login().status == 303
    before = _issues(db)
    assert client.upload([(JIADING_NAME, JIADING_TEXT.encode())]).status == 403  # no X-CSRF-Token
    assert client.upload([(JIADING_NAME, JIADING_TEXT.encode())], {"X-CSRF-Token": "forged"}).status == 403
    assert _issues(db) == before
    reply = client.upload([(JIADING_NAME, JIADING_TEXT.encode())], {"X-CSRF-Token": client.csrf()})
    assert [r["status"] for r in reply.json()] == ["added"]


def test_login_gives_a_strict_httponly_session_and_logout_ends_it(site: Site) -> None:
    client = Client(site.url)
    assert client.get("/stats").status == 303  # not an admin yet
    wrong = client.login("not-the-token-at-all-000")
    assert wrong.status == 401
    assert "令牌不对" in wrong.text
    assert "not-the-token" not in wrong.text
    reply = client.login()
    assert reply.status == 303
    assert reply.headers["Location"] == "/bulletins"
    cookie = reply.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    stats = client.get("/stats")
    assert stats.status == 200
    assert "<svg" in stats.text
    assert "每天的提问" in stats.text
    assert client.post_form("/logout", {"csrf": "forged"}).status == 403
    assert client.post_form("/logout", {"csrf": client.csrf()}).status == 303
    assert client.get("/stats").status == 303


def test_a_forged_or_tampered_cookie_is_no_session(site: Site) -> None:
    client = Client(site.url)
    client.login()
    for cookie in client.jar:
        cookie.value = cookie.value[:-2] + ("AA" if not cookie.value.endswith("AA") else "BB")
    assert client.get("/stats").status == 303


def test_without_a_token_the_site_is_read_only(db: Path) -> None:
    with Site(db, token=None) as site:
        client = Client(site.url)
        assert "只读模式" in client.get("/login").text
        assert client.login("anything-at-all-0123456").status == 401
        assert client.upload([(JIADING_NAME, JIADING_TEXT.encode())], BEARER).status == 401
        assert client.get("/api/ask", q="青浦有多少套公租房").json()["found"]


def test_healthz_says_what_health_checks(site: Site, db: Path) -> None:
    client = Client(site.url)
    reply = client.get("/healthz")
    assert reply.status == 200
    assert reply.json()["ok"]
    assert reply.json()["issues"] == 1
    assert reply.json()["bot"] == "ok: 1 issues, 14 chunks; no bot running"
    db.unlink()
    reply = client.get("/healthz")
    assert reply.status == 503
    assert not reply.json()["ok"]
    assert "deleted" in reply.json()["error"]


def test_pages_are_escaped_and_carry_a_strict_policy(site: Site) -> None:
    client = Client(site.url)
    hostile = '青浦"><script>alert(1)</script>有多少套公租房'
    page = client.get("/", q=hostile)
    assert page.status == 200
    assert "<script>alert" not in page.text
    assert 'value="青浦&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;有多少套公租房"' in page.text  # the box keeps it
    # a bulletin's own text is the reader's too: one quoting markup shows it as text
    bulletin = ("<b>嘉定</b>简报\n\n嘉定局推进快递驿站建设\n嘉定区<img src=x onerror=alert(1)>累计建成45个快递驿站。\n")
    client.upload([("hostile.txt", bulletin.encode())], BEARER)
    card = client.get("/card", q="嘉定建成了多少个快递驿站")
    assert card.status == 200
    assert "45个" in card.text
    assert "<img src=x" not in card.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in card.text
    for reply in (page, card):
        policy = reply.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert reply.headers["X-Frame-Options"] == "DENY"


def test_remove_and_restore_from_the_page(site: Site, db: Path) -> None:
    client = Client(site.url)
    [(issue_id, _, _)] = _issues(db)
    assert client.post_form(f"/bulletins/{issue_id}/remove", {"csrf": client.csrf()}).status == 401  # not admin
    client.login()
    assert client.post_form(f"/bulletins/{issue_id}/remove", {"csrf": "forged"}).status == 403
    assert _issues(db)[0][2] == "indexed"
    reply = client.post_form(f"/bulletins/{issue_id}/remove", {"csrf": client.csrf()})
    assert reply.status == 303
    assert _issues(db)[0][2] == "removed"
    assert not client.get("/api/ask", q="青浦有多少套公租房").json()["found"]
    assert "已移出索引" in client.get("/bulletins").text
    client.post_form(f"/bulletins/{issue_id}/restore", {"csrf": client.csrf()})
    assert _issues(db)[0][2] == "indexed"
    assert client.get("/api/ask", q="青浦有多少套公租房").json()["found"]


def test_reindex_runs_and_reports_its_progress(site: Site) -> None:
    client = Client(site.url)
    assert client.request("POST", "/api/reindex").status == 401
    started = client.request("POST", "/api/reindex", headers=BEARER)
    assert started.status == 202
    deadline = time.monotonic() + 60
    while (state := client.get("/api/reindex").json())["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not state["running"], state
    assert state["total"] == 1
    assert "索引已重建" in state["result"]


def test_a_vote_is_stored_as_the_bots_are(site: Site, db: Path) -> None:
    client = Client(site.url)
    key = client.get("/api/ask", q="青浦有多少套公租房").headers["X-Answer-Key"]
    body = json.dumps({"key": key, "up": False}).encode()
    assert client.request("POST", "/api/vote", data=body, headers={"Content-Type": "application/json"}).status == 403
    reply = client.request("POST", "/api/vote", data=body,
                           headers={"Content-Type": "application/json", "X-CSRF-Token": client.csrf()})
    assert reply.status == 200

    async def votes() -> tuple[int, int]:
        async with await Store.open(db, create=False) as store:
            found = await usage.feedback_stats(store)
            return found.votes, found.down
    assert asyncio.run(votes()) == (1, 1)
    stale = json.dumps({"key": "nope", "up": True}).encode()
    assert client.request("POST", "/api/vote", data=stale, headers={
        "Content-Type": "application/json", "X-CSRF-Token": client.csrf()}).status == 404


def test_the_stats_page_counts_questions_per_day(site: Site) -> None:
    client = Client(site.url)
    for question in ("青浦有多少套公租房", *NOT_FOUND):
        client.get("/api/ask", q=question)
    client.login()
    page = client.get("/stats").text
    assert f"共提问 {1 + len(NOT_FOUND)} 次" in page
    assert f"未找到 {len(NOT_FOUND)} 次" in page
    assert f"{len(NOT_FOUND) + 1} 次提问，{len(NOT_FOUND)} 次未找到" in page  # today's bar
    assert NOT_FOUND[0] in page


def test_behind_a_proxy_each_client_is_paced_by_its_own_address(db: Path) -> None:
    with Site(db, per_minute=20, proxied=True) as site:  # a burst of two, then one every three seconds
        client = Client(site.url)

        def ask(address: str) -> int:
            return client.request("GET", "/api/ask?q=%E9%9D%92%E6%B5%A6", headers={
                "X-Forwarded-For": f"10.9.9.9, {address}"}).status  # the first hop is the client's to write

        assert 429 in [ask("10.0.0.1") for _ in range(4)]
        assert ask("10.0.0.2") == 200  # another client behind the same proxy has its own allowance
        fresh = Client(site.url).request("GET", "/", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in fresh.headers["Set-Cookie"]


def test_guessing_the_token_is_paced(site: Site) -> None:
    client = Client(site.url)
    statuses = [client.login(f"guess-number-{n:02d}-0123456789").status for n in range(4)]
    assert statuses[0] == 401
    assert 429 in statuses  # a burst of one, then one every six seconds
    assert client.login().status == 429  # the right token too, until the pace allows it


def test_an_upload_of_too_many_files_stores_the_first_and_says_so_of_the_rest(site: Site, db: Path) -> None:
    from bot.web.upload import MAX_FILES

    files = [(f"note-{n:02d}.txt", f"某区简报\n\n第{n}篇\n某区今年新建{n + 1}个快递网点。\n".encode())
             for n in range(MAX_FILES + 2)]
    reply = Client(site.url).upload(files, BEARER)
    assert reply.status == 200
    statuses = [r["status"] for r in reply.json()]
    assert statuses[:MAX_FILES] == ["added"] * MAX_FILES
    assert statuses[MAX_FILES:] == ["refused", "refused"]
    assert "一次最多上传" in reply.json()[-1]["message"]
    assert len(_issues(db)) == 1 + MAX_FILES


def test_logout_ends_the_session_everywhere(site: Site) -> None:
    client = Client(site.url)
    client.login()
    kept = [(c.name, c.value) for c in client.jar]  # a copy of the admin cookie, kept elsewhere
    assert client.post_form("/logout", {"csrf": client.csrf()}).status == 303
    thief = Client(site.url)
    cookie = "; ".join(f"{name}={value}" for name, value in kept)
    assert thief.request("GET", "/stats", headers={"Cookie": cookie}).status == 303  # not an admin any more
    assert thief.request("POST", "/api/reindex", headers={"Cookie": cookie}).status == 401


def test_a_second_reindex_while_one_runs_is_409(site: Site) -> None:
    client = Client(site.url)
    first = client.request("POST", "/api/reindex", headers=BEARER)
    second = client.request("POST", "/api/reindex", headers=BEARER)
    assert first.status == 202
    assert second.status in (409, 202)  # 202 only if the first finished in between (a one-issue corpus is quick)
    assert set(second.json()) == {"running", "done", "total", "result", "error"}


def test_the_cookie_does_not_betray_the_token(db: Path) -> None:
    """A visitor's cookie is signed with a key of the run's own, not one derived from the token alone: holding a
    cookie, nobody can test guesses of the token offline."""
    import base64
    import hashlib
    import hmac

    with Site(db) as site:
        value = Client(site.url).get("/healthz").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    body, mac = value.split(".")
    guessed = hashlib.sha256(f"bulletin-web-session\0{TOKEN}".encode()).digest()  # the right token, guessed
    forged = base64.urlsafe_b64encode(hmac.new(guessed, body.encode(), hashlib.sha256).digest()[:18]).decode()
    assert forged != mac


def test_api_bulletins_hides_replaced_versions_as_list_does(site: Site, db: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    client = Client(site.url)
    client.upload([(JIADING_NAME, JIADING_TEXT.encode())], BEARER)
    client.upload([("jiading-05-fixed.txt", JIADING_TEXT.replace("45个", "46个").encode())], BEARER)
    shown = [i["document"] for i in client.get("/api/bulletins").json()]
    everything = [i["document"] for i in client.get("/api/bulletins", all="1").json()]
    assert JIADING_NAME not in shown
    assert JIADING_NAME in everything
    _, listed, _ = run_cli(capsys, "list", "--db", db)
    _, listed_all, _ = run_cli(capsys, "list", "--all", "--db", db)
    assert [d for d in everything if d in listed] == shown  # the same issues as `list`, and `list --all`
    assert all(d in listed_all for d in everything)
