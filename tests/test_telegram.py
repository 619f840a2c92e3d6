"""The real python-telegram-bot Application, polling the fake Bot API over real sockets."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

import index.ingest as ingest_module
from bot.ops.health import heartbeat_path
from bot.telegram.messages import ANSWER_CHARS, utf16_len
from bot.telegram.throttle import BURST, SLOW_DOWN, WAITING
from fakebot import TOKEN, FakeBotAPI
from helpers import (
    JIADING_FIGURE,
    JIADING_NAME,
    JIADING_QUESTION,
    JIADING_TEXT,
    SAMPLE_NAME,
    counts,
    query,
    running_bot,
)

ADMIN = 7001
USER = 1001


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(sample_db, tmp_path / "bot.db"))


def running(fake: FakeBotAPI, db: Path, admins: frozenset[int] = frozenset({ADMIN})) -> Any:
    """The bot, started as run_polling would start it (post_init included), stopped cleanly afterwards."""
    return running_bot(fake, db, admins)


def run(fake: FakeBotAPI, db: Path, scenario: Callable[[Application], Any], **kwargs: Any) -> None:
    async def main() -> None:
        async with running(fake, db, **kwargs) as app:
            await scenario(app)

    asyncio.run(main())
    assert fake.errors == [], fake.errors  # the bot never sent anything Telegram would refuse


async def reply(fake: FakeBotAPI, chat_id: int, count: int = 1) -> list[dict[str, Any]]:
    """Wait until the chat holds count messages from the bot; return them."""
    await fake.wait_for(lambda: len(fake.sent(chat_id)) >= count)
    return fake.sent(chat_id)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    markup = message.get("reply_markup") or {}
    return {b["text"]: b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row}


def test_a_question_gets_the_figure_its_sentence_and_buttons(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.send_text("青浦有多少套公租房")
        [answer] = await reply(fake, USER)
        assert answer["parse_mode"] == "HTML"
        assert answer["html"].startswith("<b>")
        assert "100套" in answer["html"].split("\n")[0]
        assert "“" in answer["text"]
        assert "000_1fd2e1b186c74ed6.txt" in answer["text"]
        keys = buttons(answer)
        assert set(keys) == {"原文", "更多", "👍", "👎"}
        assert all(len(data.encode()) <= 64 for data in keys.values())

        fake.press(keys["原文"], message_id=answer["message_id"])  # the answer grows its whole passage
        await fake.wait_for(lambda: len(fake.edits()) == 1)
        [expanded] = fake.sent(USER)
        assert "<blockquote>" in expanded["html"]
        assert "合计租赁面积6044.86平方米" in expanded["text"]
        assert set(buttons(expanded)) == {"更多", "👍", "👎"}

        fake.press(keys["更多"], message_id=answer["message_id"])
        _, more = await reply(fake, USER, 2)
        assert "其他候选" in more["text"]
        assert "15套" in more["text"]  # the 2022 新增 figure is among the others
        await fake.wait_for(lambda: len(fake.calls("answerCallbackQuery")) == 2)

    run(fake, db, scenario)


def test_start_says_what_the_bot_knows_and_offers_examples_that_work(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.send_text("/start")
        [welcome] = await reply(fake, USER)
        assert "1 期工作简报" in welcome["text"]
        examples = buttons(welcome)
        assert 1 <= len(examples) <= 3
        question, data = next(iter(examples.items()))
        assert data == f"ask:{question}"
        fake.press(data, message_id=welcome["message_id"])
        _, answer = await reply(fake, USER, 2)
        assert answer["html"].startswith("<b>")  # the example is answered with a figure
        assert "原文" in buttons(answer)
        fake.send_text("/help")
        await reply(fake, USER, 3)

    run(fake, db, scenario)


def test_admins_upload_then_anyone_asks_what_only_the_upload_says(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.send_text(JIADING_QUESTION, user_id=USER)
        [before] = await reply(fake, USER)
        assert JIADING_FIGURE not in before["text"]
        fake.send_document(JIADING_TEXT.encode(), JIADING_NAME, mime_type="text/plain", user_id=ADMIN)
        messages = await reply(fake, ADMIN, 2)
        assert "正在收录" in messages[0]["text"]
        assert "已收录 jiading-05.txt" in messages[1]["text"]
        assert "第5期" in messages[1]["text"]
        fake.send_text(JIADING_QUESTION, user_id=USER)
        _, after = await reply(fake, USER, 2)
        assert JIADING_FIGURE in after["text"].split("\n")[0]
        fake.send_document(JIADING_TEXT.encode(), "again.txt", user_id=ADMIN)
        assert "未重复收录" in (await reply(fake, ADMIN, 4))[-1]["text"]
        fake.send_text("/start", user_id=USER)
        welcome = (await reply(fake, USER, 3))[-1]["text"]
        assert "2 期工作简报" in welcome
        assert "最新一期是 2023-05-20" in welcome
        # a corrected file of the same issue replaces it: the answer changes, the old file stays stored
        fake.send_document(JIADING_TEXT.replace("累计建成45个", "累计建成47个").encode(), "jiading-05-v2.txt",
                           user_id=ADMIN)
        update = (await reply(fake, ADMIN, 6))[-1]["text"]
        assert "已更新 jiading-05-v2.txt" in update
        assert f"替换了 {JIADING_NAME}" in update
        fake.send_text(JIADING_QUESTION, user_id=USER)
        assert "47个" in (await reply(fake, USER, 4))[-1]["text"].split("\n")[0]

    run(fake, db, scenario)
    assert counts(db)["bulletins"] == 3
    assert query(db, "SELECT state FROM bulletins WHERE document = ?", JIADING_NAME) == [("replaced",)]


@pytest.mark.parametrize("admins", [frozenset({ADMIN}), frozenset()])
def test_non_admins_cannot_upload_or_reindex_and_nothing_is_downloaded(fake: FakeBotAPI, db: Path,
                                                                      admins: frozenset[int]) -> None:
    before = counts(db)
    user = USER if admins else ADMIN  # with no admins configured, nobody is one

    async def scenario(app: Application) -> None:
        fake.send_document(JIADING_TEXT.encode(), JIADING_NAME, user_id=user)
        fake.send_text("/reindex", user_id=user)
        fake.send_text("/stats", user_id=user)
        fake.send_text("/issues", user_id=user)
        fake.send_text("/remove 第3期", user_id=user)
        refusals = await reply(fake, user, 5)
        assert all("只对管理员开放" in m["text"] for m in refusals)

    run(fake, db, scenario, admins=admins)
    assert fake.calls("getFile") == []
    assert counts(db) == before
    assert query(db, "SELECT DISTINCT state FROM bulletins") == [("indexed",)]


def test_admins_list_issues_and_remove_one_which_then_no_longer_answers(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.send_document(JIADING_TEXT.encode(), JIADING_NAME, user_id=ADMIN)
        await reply(fake, ADMIN, 2)
        fake.send_text("/issues", user_id=ADMIN)
        listed = (await reply(fake, ADMIN, 3))[-1]["text"]
        assert "已保存的简报（2 份）" in listed
        assert f"#2 2023-05-20 邮政管理工作简报 第5期 · {JIADING_NAME} · 1 篇 3 个数字 · 在用" in listed
        fake.send_text("/remove", user_id=ADMIN)
        assert "请写明要移出的简报" in (await reply(fake, ADMIN, 4))[-1]["text"]
        fake.send_text("/remove 第9期", user_id=ADMIN)
        assert "未移出：没有与「第9期」对应的简报" in (await reply(fake, ADMIN, 5))[-1]["text"]
        fake.send_text("/remove 第5期", user_id=ADMIN)
        removed = (await reply(fake, ADMIN, 6))[-1]["text"]
        assert f"已移出索引：#2 {JIADING_NAME}" in removed
        assert "重新发送同一文件即可恢复" in removed
        fake.send_text(JIADING_QUESTION, user_id=USER)
        assert JIADING_FIGURE not in (await reply(fake, USER, 1))[-1]["text"]
        fake.send_text("/issues", user_id=ADMIN)
        assert f"{JIADING_NAME} · 1 篇 3 个数字 · 已移出索引" in (await reply(fake, ADMIN, 7))[-1]["text"]

    run(fake, db, scenario)
    assert query(db, "SELECT state FROM bulletins WHERE document = ?", JIADING_NAME) == [("removed",)]


@pytest.mark.parametrize(("name", "data", "declared", "reason"), [
    ("big.pdf", b"%PDF-1.4", 25_000_000, "文件过大"),
    ("virus.exe", b"MZ", None, "只收"),
    ("fake.pdf", b"PK\x03\x04 a zip, not a pdf", None, "文件无法读取"),
    ("empty.txt", b"", None, "文件无法读取"),
])
def test_bad_uploads_are_refused_with_a_reason(fake: FakeBotAPI, db: Path, name: str, data: bytes,
                                                declared: int | None, reason: str) -> None:
    before = counts(db)

    async def scenario(app: Application) -> None:
        fake.send_document(data, name, user_id=ADMIN, declared_size=declared)
        await fake.wait_for(lambda: any("未收录" in m["text"] for m in fake.sent(ADMIN)))
        assert reason in fake.sent(ADMIN)[-1]["text"]

    run(fake, db, scenario)
    assert counts(db) == before
    if declared or name.endswith(".exe"):
        assert fake.calls("getFile") == []  # refused before downloading


def test_questions_during_a_reindex_are_answered_before_it_reports(fake: FakeBotAPI, db: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    before = counts(db)
    release = threading.Event()
    real = ingest_module._reparse

    def held(*args: Any) -> Any:  # the reindex parses until the test lets it go
        release.wait(10)
        return real(*args)

    monkeypatch.setattr(ingest_module, "_reparse", held)

    async def scenario(app: Application) -> None:
        fake.send_text("/reindex", user_id=ADMIN)
        await reply(fake, ADMIN)
        for user in range(2001, 2006):
            fake.send_text("青浦有多少套公租房", user_id=user)
        for user in range(2001, 2006):
            assert "100套" in (await reply(fake, user))[0]["text"]
        assert len(fake.sent(ADMIN)) == 1  # still rebuilding: the questions did not wait for it
        release.set()
        report = (await reply(fake, ADMIN, 2))[-1]["text"]
        assert "索引已重建" in report
        assert f"简报 {before['bulletins']} 期" in report
        assert f"数字 {before['figures']} 个" in report
        fake.send_text("/stats", user_id=ADMIN)
        assert "共提问 5 次" in (await reply(fake, ADMIN, 3))[-1]["text"]

    run(fake, db, scenario)
    assert counts(db) == before


JUNK = ["   ", "😀😀😀", "\u200b", "\x07\u202e", "？？？"]


def test_junk_gets_a_short_reply_or_none_and_the_bot_keeps_answering(fake: FakeBotAPI, db: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(app: Application) -> None:
        for text in JUNK:
            fake.send_text(text)
        fake.send_sticker()
        fake.send_text("/nosuchcommand")
        fake.send_text("青浦" + "的公租房" * 1250)  # 5,000 characters
        await reply(fake, USER, len(JUNK) + 3)
        first = fake.sent(USER)[0]
        fake.edit_text(first["message_id"] - 1, "青浦有多少套公租房")  # an edit: no second answer
        fake.send_text("/ask@other_bot 青浦有多少套公租房", chat_id=-500, chat_type="group")  # not for us
        fake.send_text("青浦有多少套公租房", chat_id=-500, chat_type="group")  # a group chat without a mention
        fake.send_text("青浦有多少套公租房")
        replies = await reply(fake, USER, len(JUNK) + 4)
        assert "100套" in replies[-1]["text"]
        fake.send_text("/help")  # a last message: by its reply, a reply to anything before it would be in
        await reply(fake, USER, len(JUNK) + 5)
        assert len(fake.sent(USER)) == len(JUNK) + 5
        assert fake.sent(-500) == []

    with caplog.at_level(logging.INFO):
        run(fake, db, scenario)
    texts = [m["text"] for m in fake.sent(USER)]
    assert all(len(t) < 1000 for t in texts)
    assert not any("的公租房" * 5 in t for t in texts)  # the 5,000-character question is not echoed
    assert not any("Traceback" in t or "error" in t.lower() for t in texts)
    assert "请用文字提问" in texts[0]
    assert "没有这个命令" in "".join(texts)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert TOKEN not in caplog.text


def test_groups_answer_ask_commands_and_mentions(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.send_text("/ask 青浦有多少套公租房", chat_id=-500, chat_type="group")
        fake.send_text("@fake_bot 青浦2022年新增多少套公租房", chat_id=-500, chat_type="group", user_id=1002)
        fake.send_text("/ask@fake_bot", chat_id=-500, chat_type="group", user_id=1003)
        replies = await reply(fake, -500, 3)
        texts = sorted(m["text"] for m in replies)
        assert any("100套" in t for t in texts)
        assert any(t.startswith("青浦：") and "15套" in t.split("\n")[0] for t in texts)
        assert any("请用文字提问" in t for t in texts)

    run(fake, db, scenario)
    answers = [c for c in fake.calls("sendMessage") if c["chat_id"] == -500 and "请用文字提问" not in c["text"]]
    assert len(answers) == 2
    assert all(c["reply_parameters"]["message_id"] > 0 for c in answers)  # each quotes its question


def test_a_429_is_waited_out_and_the_answer_still_arrives(fake: FakeBotAPI, db: Path,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(app: Application) -> None:
        fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        started = time.monotonic()
        fake.send_text("青浦有多少套公租房")
        [answer] = await reply(fake, USER)
        assert "100套" in answer["text"]
        assert time.monotonic() - started >= 1  # it waited as told
        assert len(fake.calls("sendMessage")) == 2

    with caplog.at_level(logging.ERROR):
        run(fake, db, scenario)
    assert not caplog.records  # the error handler never saw it


def test_a_failing_handler_is_logged_with_its_traceback_and_the_user_told(fake: FakeBotAPI, db: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(app: Application) -> None:
        fake.fail("sendMessage", 400, "Bad Request: chat not found")
        fake.send_text("青浦有多少套公租房")
        [sorry] = await reply(fake, USER)
        assert "出了点问题" in sorry["text"]
        fake.send_text("青浦有多少套公租房")
        assert "100套" in (await reply(fake, USER, 2))[-1]["text"]

    with caplog.at_level(logging.ERROR):
        run(fake, db, scenario)
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None
    assert TOKEN not in caplog.text


def test_a_burst_of_sixty_questions_from_twelve_users_is_all_answered(fake: FakeBotAPI, db: Path) -> None:
    questions = ["青浦有多少套公租房", "青浦2022年新增多少套公租房", "青浦的公租房一共租赁了多少平方米",
                 "浦东邮政管理局哪天与区总工会召开专题会议", "松江有多少套公租房"]
    users = range(3001, 3013)

    async def scenario(app: Application) -> None:
        started = time.monotonic()
        for question in questions:
            for user in users:
                fake.send_text(question, user_id=user)
        await fake.wait_for(lambda: len(fake.sent()) == 60, timeout=30)
        waits = sorted(m["sent_at"] - started for m in fake.sent())
        p50, p95 = statistics.median(waits), waits[int(0.95 * len(waits)) - 1]
        print(f"\nburst of 60 questions from 12 users: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
              f"30th {waits[29] * 1000:.0f} ms, last {waits[-1] * 1000:.0f} ms (Telegram allows 30 messages a second)")
        answers = {user: sorted(m["text"] for m in fake.sent(user)) for user in users}
        assert all(len(texts) == 5 for texts in answers.values())
        assert len({tuple(texts) for texts in answers.values()}) == 1  # everyone got the same five answers
        assert any(t.startswith("青浦：共100套") for t in answers[users[0]])
        assert any("松江" in t for t in answers[users[0]])

    run(fake, db, scenario)
    assert len(fake.calls("sendMessage")) == 60


@pytest.mark.parametrize(("stop", "level"), [(signal.SIGTERM, ""), (signal.SIGINT, "warning")])
def test_bulletin_serve_polls_answers_and_stops_cleanly_on_a_signal(fake: FakeBotAPI, db: Path, tmp_path: Path,
                                                                    stop: signal.Signals, level: str) -> None:
    script = Path(sys.executable).parent / "bulletin"
    env = {**os.environ, "BULLETIN_LOG_LEVEL": level, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": fake.base_url,
           "TELEGRAM_BASE_FILE_URL": fake.base_file_url, "BULLETIN_DB": str(db), "BULLETIN_ADMIN_IDS": str(ADMIN)}
    proc = subprocess.Popen([str(script), "serve"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        fake.wait_for_sync(lambda: bool(fake.calls("getUpdates")), timeout=60)
        fake.send_text("青浦有多少套公租房")
        fake.wait_for_sync(lambda: len(fake.sent(USER)) == 1, timeout=30)
        health = subprocess.run([str(script), "health"], env=env, capture_output=True, text=True, timeout=60,
                                check=False)
        assert health.returncode == 0, health.stderr
        assert f"bot pid {proc.pid} polled Telegram" in health.stdout
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "100套" in fake.sent(USER)[0]["text"]
    # one structured line per question: time, hashed user, length, outcome, latency, document; never the token
    lines = [line for line in err.splitlines() if " question " in line]
    if level == "warning":  # BULLETIN_LOG_LEVEL=warning: no line per question, nothing at INFO
        assert lines == []
        assert " INFO " not in err
    else:
        [line] = lines
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO bulletin\.telegram: question user=[0-9a-f]{12} "
                            rf"chars=9 outcome=answered latency_ms=\d+\.\d\d document={SAMPLE_NAME}", line), line
        assert str(USER) not in line
    assert TOKEN not in out + err
    assert not heartbeat_path(db).exists()  # a clean stop takes the heartbeat away
    assert "Traceback" not in err
    assert fake.errors == []
    assert query(db, "SELECT found FROM questions") == [(1,)]  # logged before it stopped


def test_each_successful_poll_beats_the_heartbeat_and_a_clean_stop_removes_it(fake: FakeBotAPI, db: Path) -> None:
    path = heartbeat_path(db)

    async def scenario(app: Application) -> None:
        assert json.loads(path.read_text(encoding="utf-8"))["pid"] == os.getpid()
        old = time.time() - 1000
        os.utime(path, (old, old))
        fake.fail("getUpdates", 502, "Bad Gateway", times=2)  # Telegram trouble: no beat
        polls = len(fake.calls("getUpdates"))
        await fake.wait_for(lambda: len(fake.calls("getUpdates")) >= polls + 2, timeout=20)
        assert path.stat().st_mtime == old
        await fake.wait_for(lambda: path.stat().st_mtime > old, timeout=20)  # the next good poll
        assert time.time() - path.stat().st_mtime < 20

    run(fake, db, scenario)
    assert not path.exists()


def test_a_refused_token_stops_serve_with_one_line_and_is_never_printed(fake: FakeBotAPI, db: Path,
                                                                        tmp_path: Path) -> None:
    wrong = "999999:WRONG-TOKEN"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_BASE_URL": fake.base_url, "BULLETIN_DB": str(db)}
    result = subprocess.run([str(Path(sys.executable).parent / "bulletin"), "serve"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "error: Telegram refused the bot token (check TELEGRAM_BOT_TOKEN)"
    assert wrong not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


FLOODER = 4001


def test_one_user_flooding_the_bot_does_not_delay_anyone_elses_answer(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        for _ in range(300):
            fake.send_text("青浦有多少套公租房", user_id=FLOODER)
        asked = time.monotonic()
        other = fake.send_text("青浦2022年新增多少套公租房", user_id=USER)
        await fake.wait_for(lambda: len(fake.sent(USER)) == 1, timeout=30)
        [answer] = fake.sent(USER)
        latency = answer["sent_at"] - fake.delivered_at(other)
        print(f"\none user flooding 300 messages: another user's answer {latency * 1000:.0f} ms after its update was "
              f"delivered ({(answer['sent_at'] - asked) * 1000:.0f} ms after it was sent); the flooder had "
              f"{len(fake.sent(FLOODER))} replies by then")
        assert "15套" in answer["text"].split("\n")[0]
        assert latency < 1.0
        # the flooder: a burst answered at once, a few more in their turn, the rest dropped and said so (once, or
        # once more if a slow machine hands the updates over across a turn: counts are bounds, not exact)
        await fake.wait_for(lambda: len(fake.sent(FLOODER)) >= BURST + WAITING + 1, timeout=WAITING + 5)
        await asyncio.sleep(1.5)  # a turn or so more: nothing else may come
        replies = [m["text"] for m in fake.sent(FLOODER)]
        assert 1 <= replies.count(SLOW_DOWN) <= 2
        assert BURST + WAITING <= sum("100套" in t for t in replies) <= BURST + WAITING + 3

    run(fake, db, scenario)


def test_a_chat_with_a_backlog_of_sends_does_not_hold_up_another_chat(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        backlog = [asyncio.create_task(app.bot.send_message(5001, f"第{i}条")) for i in range(90)]
        await asyncio.sleep(0)  # one turn of the loop: the backlog is in the limiter (Telegram allows 30 a second)
        started = time.monotonic()
        await app.bot.send_message(5002, "另一个聊天")
        waited = fake.sent(5002)[0]["sent_at"] - started
        print(f"\nbehind another chat's 90 queued sends, a message went out after {waited * 1000:.0f} ms")
        assert waited < 0.5
        assert len(fake.sent(5001)) < 90  # the backlog was still being sent
        for task in backlog:
            task.cancel()
        await asyncio.gather(*backlog, return_exceptions=True)

    run(fake, db, scenario)


GROUP = -500


@pytest.mark.parametrize("command", ["/stats", "/issues"])
def test_an_admin_report_asked_in_a_group_goes_to_the_admin_privately(fake: FakeBotAPI, db: Path, command: str) -> None:
    async def scenario(app: Application) -> None:
        fake.send_text("松江有多少套公租房", user_id=USER)  # someone's unanswered question: /stats lists those
        await reply(fake, USER)
        fake.send_text(command, user_id=ADMIN, chat_id=GROUP, chat_type="group")
        [note] = await reply(fake, GROUP)
        [report] = await reply(fake, ADMIN)
        assert "私聊" in note["text"]
        assert "\n" not in note["text"]
        assert "松江" not in note["text"]
        assert ("最常问却没找到的问题" if command == "/stats" else "已保存的简报") in report["text"]
        if command == "/stats":
            assert "松江有多少套公租房" in report["text"]
        fake.send_text(command, user_id=ADMIN)  # in the private chat: the report itself, as before
        assert (await reply(fake, ADMIN, 2))[-1]["text"] == report["text"]

    run(fake, db, scenario)
    assert len(fake.sent(GROUP)) == 1


def test_an_admin_report_asked_in_a_group_is_never_posted_there_even_if_it_cannot_go_privately(
        fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.fail("sendMessage", 403, "Forbidden: bot can't initiate conversation with a user")  # never /start-ed
        fake.send_text("/stats", user_id=ADMIN, chat_id=GROUP, chat_type="group")
        [note] = await reply(fake, GROUP)
        assert "私聊" in note["text"]
        assert "\n" not in note["text"]
        assert "使用情况" not in note["text"]

    run(fake, db, scenario)
    assert fake.sent(ADMIN) == []


LONG_NAME = "songjiang-06.txt"
LONG_TEXT = ("邮政管理工作简报\n第6期\n上海市邮政管理局办公室                2023年6月20日\n\n松江局推进快递驿站建设\n"
             "今年以来，松江局联合区总工会在全区开展“暖心驿站”建设，"
             + "".join(f"第{i}个街镇的快递网点有序运行，快递员服务意识持续提升，" for i in range(330))
             + "取得良好成效。\n")  # one paragraph of 9,500 characters, one sentence


def test_a_word_answer_from_a_very_long_paragraph_is_one_message_with_the_passage_behind_its_button(
        fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.send_document(LONG_TEXT.encode(), LONG_NAME, user_id=ADMIN)
        assert f"已收录 {LONG_NAME}" in (await reply(fake, ADMIN, 2))[-1]["text"]
        fake.send_text("松江局联合区总工会开展了什么建设", user_id=USER)
        [answer] = await reply(fake, USER)
        await asyncio.sleep(0.3)  # time for any further part to arrive
        assert len([c for c in fake.calls("sendMessage") if c["chat_id"] == USER]) == 1
        assert "松江局联合区总工会在全区开展“暖心驿站”建设" in answer["text"]
        assert utf16_len(answer["text"]) <= ANSWER_CHARS + 300
        keys = buttons(answer)
        assert "原文" in keys
        fake.press(keys["原文"], message_id=answer["message_id"])
        await fake.wait_for(lambda: bool(fake.edits()) or len(fake.sent(USER)) > 1)
        shown = "".join(m["text"] for m in fake.sent(USER))
        assert "今年以来，松江局联合区总工会在全区开展“暖心驿站”建设，第0个街镇" in shown

    run(fake, db, scenario)


def test_with_nothing_indexed_the_bot_says_so_and_start_tells_admins_to_send_a_file(
        fake: FakeBotAPI, tmp_path: Path) -> None:
    db = tmp_path / "new.db"

    async def scenario(app: Application) -> None:
        fake.send_text("/start", user_id=USER)
        [welcome] = await reply(fake, USER)
        assert "还没有收录任何简报" in welcome["text"]
        assert "请等管理员收录简报" in welcome["text"]
        assert buttons(welcome) == {}  # no examples to offer
        fake.send_text("/start", user_id=ADMIN)
        [admin_welcome] = await reply(fake, ADMIN)
        assert "还没有收录任何简报" in admin_welcome["text"]
        assert "把简报文件（.txt .pdf .docx，20 MB 以内）直接发给我" in admin_welcome["text"]
        fake.send_text("青浦有多少套公租房", user_id=USER)
        [_, answer] = await reply(fake, USER, 2)
        assert answer["text"].startswith("还没有收录任何简报，暂时无法回答。")
        fake.send_document(JIADING_TEXT.encode(), JIADING_NAME, user_id=ADMIN)
        assert "已收录" in (await reply(fake, ADMIN, 3))[-1]["text"]
        fake.send_text(JIADING_QUESTION, user_id=USER)
        assert JIADING_FIGURE in (await reply(fake, USER, 3))[-1]["text"]

    run(fake, db, scenario)
    assert query(db, "SELECT document FROM bulletins") == [(JIADING_NAME,)]  # no sample put in


def test_after_the_database_is_deleted_an_upload_is_refused_not_acknowledged(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        os.unlink(db)  # an operator's mistake while the bot runs
        fake.send_document(JIADING_TEXT.encode(), JIADING_NAME, user_id=ADMIN)
        texts = [m["text"] for m in await reply(fake, ADMIN, 2)]
        assert texts[-1].startswith("数据库文件在机器人运行期间被删除或替换，这次操作没有保存。")
        assert not any("已收录" in t for t in texts)
        fake.send_text("/remove 第5期", user_id=ADMIN)
        assert (await reply(fake, ADMIN, 3))[-1]["text"].startswith("数据库文件在机器人运行期间被删除或替换")
        fake.send_text("青浦有多少套公租房", user_id=USER)
        assert "100套" in (await reply(fake, USER))[-1]["text"]  # answers go on from the index loaded

    run(fake, db, scenario)
    assert not db.exists()  # and the next start finds no database rather than one quietly refilled


def test_a_question_that_names_nothing_is_told_so(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.send_text("有多少个")  # words, but nothing to look for: not "ask in words"
        [answer] = await reply(fake, USER, 1)
        assert answer["text"].startswith("没看懂这个问题")

    run(fake, db, scenario)
