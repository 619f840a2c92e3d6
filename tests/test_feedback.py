"""👍/👎 on answers: through the real bot and the fake Bot API, stored once per person per answer, shown in /stats."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.ops import usage
from bot.ops.usage import FeedbackStats, Vote
from bot.telegram.feedback import EXPIRED, THANKS
from fakebot import FakeBotAPI
from helpers import NOT_FOUND, SAMPLE_NAME, counts, query, run_cli
from index import Store
from index.storage.schema import MIGRATIONS
from test_telegram import ADMIN, USER, buttons, reply, run

OTHER = 1002
GROUP = -500
QUESTION = "青浦有多少套公租房"


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(sample_db, tmp_path / "bot.db"))


def vote(key: str, user: str, up: bool, *, question: str = "青浦有多少套公租房", answer: str = "青浦：共100套",
         document: str | None = SAMPLE_NAME, at: str = "2024-05-01T08:00:00+00:00") -> Vote:
    return Vote(voted_at=at, answer_key=key, user_hash=user, up=up, question=question, answer=answer,
                document=document, chunk_id=3 if document else None)


def record(db: Path, *votes: Vote) -> FeedbackStats:
    async def run() -> FeedbackStats:
        async with await Store.open(db) as store:
            for v in votes:
                await usage.record_vote(store, v)
            return await usage.feedback_stats(store, top=3)

    return asyncio.run(run())


def test_a_second_vote_by_the_same_person_on_the_same_answer_replaces_the_first(tmp_path: Path) -> None:
    db = tmp_path / "votes.db"
    stats = record(db, vote("k1", "alice", True), vote("k1", "bob", False),
                   vote("k1", "alice", False, at="2024-05-01T08:01:00+00:00"),
                   vote("k2", "alice", True))  # the same person on another answer: a vote of its own
    assert query(db, "SELECT answer_key, user_hash, vote, voted_at, question, answer, document, chunk_id"
                     " FROM feedback ORDER BY id") == [
        ("k1", "alice", -1, "2024-05-01T08:01:00+00:00", "青浦有多少套公租房", "青浦：共100套", SAMPLE_NAME, 3),
        ("k1", "bob", -1, "2024-05-01T08:00:00+00:00", "青浦有多少套公租房", "青浦：共100套", SAMPLE_NAME, 3),
        ("k2", "alice", 1, "2024-05-01T08:00:00+00:00", "青浦有多少套公租房", "青浦：共100套", SAMPLE_NAME, 3),
    ]
    assert (stats.votes, stats.up, stats.down) == (3, 1, 2)
    with sqlite3.connect(db) as conn, pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("INSERT INTO feedback (voted_at, answer_key, user_hash, vote, question, answer)"
                     " VALUES ('2024', 'k3', 'carol', 0, 'q', 'a')")  # a vote is +1 or -1, nothing else
    conn.close()


def test_the_most_downvoted_answers_come_first_then_the_newest(tmp_path: Path) -> None:
    oldest, old, new = "2024-04-30T08:00:00+00:00", "2024-05-01T08:00:00+00:00", "2024-05-02T08:00:00+00:00"
    city = {"question": "全市有多少个快递网点", "answer": "共1800个", "document": None}
    pudong = {"question": "浦东哪天召开专题会议", "answer": "3月7日"}
    stats = record(
        tmp_path / "votes.db",
        # the same question, answer and source, shown twice (two keys): one line with both answers' votes
        vote("k1", "alice", False), vote("k1", "bob", True), vote("k2", "carol", False),
        vote("k3", "alice", False, at=old, **city),
        vote("k4", "alice", False, at=new, **pudong),
        vote("k5", "alice", True, question="青浦2022年新增多少套公租房", answer="15套"),  # never 👎: not listed
        vote("k6", "bob", False, at=oldest, question="奉贤的驿站叫什么", answer="骑乐融融"))  # 4th: over top=3
    assert (stats.votes, stats.up, stats.down) == (7, 2, 5)
    assert [(d.question, d.answer, d.document, d.downs, d.ups) for d in stats.most_down] == [
        ("青浦有多少套公租房", "青浦：共100套", SAMPLE_NAME, 2, 1),
        ("浦东哪天召开专题会议", "3月7日", SAMPLE_NAME, 1, 0),
        ("全市有多少个快递网点", "共1800个", None, 1, 0),
    ]


def test_feedback_stats_on_a_database_without_votes_are_zero(tmp_path: Path) -> None:
    assert record(tmp_path / "empty.db") == FeedbackStats(votes=0, up=0, down=0, most_down=())


def test_a_database_of_the_previous_schema_gains_the_feedback_table(db: Path) -> None:
    before = counts(db)
    with sqlite3.connect(db) as conn:  # take it back to schema 4, as the release before votes left it
        conn.execute("DROP TABLE feedback")
        conn.execute("DROP INDEX bulletins_derived")  # migration 8
        conn.execute("DROP INDEX bulletins_state")
        conn.execute("ALTER TABLE bulletins DROP COLUMN issue_period")  # migration 6
        for column in ("sentence_start", "sentence_end"):  # migration 7
            conn.execute(f"ALTER TABLE figures DROP COLUMN {column}")
        conn.execute("ALTER TABLE figures ADD COLUMN sentence TEXT NOT NULL DEFAULT ''")
        conn.execute("DELETE FROM _migrations WHERE version >= 5")
    conn.close()
    stats = record(db, vote("k1", "alice", False))
    assert [r[0] for r in query(db, "SELECT version FROM _migrations")] == list(range(1, len(MIGRATIONS) + 1))
    assert (stats.votes, stats.down) == (1, 1)
    assert counts(db) == before  # the bulletins are kept
    columns = [r[1] for r in query(db, "PRAGMA table_info(feedback)")]
    assert columns == ["id", "voted_at", "answer_key", "user_hash", "vote", "question", "answer", "document",
                       "chunk_id"]


def test_bulletin_stats_prints_the_votes_and_the_most_downvoted_answers(db: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run_cli(capsys, "--db", db, "stats")
    assert rc == 0
    assert "feedback  0 votes, 0 up, 0 down" in out.splitlines()
    record(db, vote("k1", "alice", False), vote("k1", "bob", False), vote("k2", "alice", True),
           vote("k3", "carol", False, question="全市有多少个快递网点", answer="共1800个", document=None))
    rc, out, err = run_cli(capsys, "--db", db, "stats")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert "feedback  4 votes, 1 up, 3 down (75% down)" in lines
    assert lines[-2:] == [f"  down 2×  青浦有多少套公租房 → 青浦：共100套 ({SAMPLE_NAME})",
                          "  down 1×  全市有多少个快递网点 → 共1800个"]


# ---- through the bot ----------------------------------------------------------------------------------------------


def rows(message: dict[str, Any]) -> list[list[str]]:
    """The message's buttons as shown, row by row."""
    return [[b["text"] for b in row] for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])]


def shown(fake: FakeBotAPI, message: dict[str, Any]) -> dict[str, Any]:
    """The message as it stands now (after edits)."""
    return next(m for m in fake.sent(message["chat"]["id"]) if m["message_id"] == message["message_id"])


def toasts(fake: FakeBotAPI) -> list[tuple[str | None, bool]]:
    return [(c.get("text"), bool(c.get("show_alert"))) for c in fake.calls("answerCallbackQuery")]


async def press(fake: FakeBotAPI, message: dict[str, Any], data: str, *, user_id: int = USER) -> None:
    """Press a button as user_id and wait until the bot has answered the press."""
    pressed = len(fake.calls("answerCallbackQuery"))
    fake.press(data, message_id=message["message_id"], user_id=user_id, chat_id=message["chat"]["id"])
    await fake.wait_for(lambda: len(fake.calls("answerCallbackQuery")) > pressed)


def stored(db: Path) -> list[tuple[Any, ...]]:
    return query(db, "SELECT answer_key, user_hash, vote, question, answer, document, chunk_id FROM feedback"
                     " ORDER BY id")


def test_a_found_answer_has_vote_buttons_and_a_not_found_one_has_none(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.send_text(QUESTION)
        [found] = await reply(fake, USER)
        assert rows(found) == [["原文", "更多"], ["👍", "👎"]]
        keys = buttons(found)
        key = keys["原文"].removeprefix("src:")
        assert (keys["👍"], keys["👎"]) == (f"vote:{key}:up", f"vote:{key}:down")
        assert all(len(data.encode()) <= 64 for data in keys.values())
        fake.send_text(NOT_FOUND[0])
        _, missing = await reply(fake, USER, 2)
        assert "reply_markup" not in missing

    run(fake, db, scenario)


def test_votes_of_two_people_and_a_changed_vote_are_stored_and_shown(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.send_text(f"/ask {QUESTION}", chat_id=GROUP, chat_type="group")
        [answer] = await reply(fake, GROUP)
        up, down = buttons(answer)["👍"], buttons(answer)["👎"]
        key = up.split(":")[1]
        await press(fake, answer, up)
        await fake.wait_for(lambda: rows(shown(fake, answer)) == [["原文", "更多"], ["👍 ✓", "👎"]])
        await press(fake, answer, down, user_id=OTHER)
        await fake.wait_for(lambda: rows(shown(fake, answer)) == [["原文", "更多"], ["👍", "👎 ✓"]])
        await press(fake, answer, down)  # changed its mind: the same row, now 👎
        await fake.wait_for(lambda: [r[2] for r in stored(db)] == [-1, -1])
        assert toasts(fake) == [(THANKS[True], False), (THANKS[False], False), (THANKS[False], False)]
        assert buttons(shown(fake, answer)) == {"原文": f"src:{key}", "更多": f"more:{key}:1",
                                                "👍": up, "👎 ✓": down}  # the same buttons, the choice marked

    run(fake, db, scenario)
    headline = fake.sent(GROUP)[0]["text"].split("\n")[0]
    assert headline.startswith("青浦：共100套")
    votes = stored(db)
    assert len(votes) == 2
    assert {r[0] for r in votes} == {buttons(fake.sent(GROUP)[0])["原文"].removeprefix("src:")}  # one answer
    assert len({r[1] for r in votes}) == 2  # two people, hashed
    assert all(r[1] not in (str(USER), str(OTHER)) for r in votes)
    assert {r[3:6] for r in votes} == {(QUESTION, headline, SAMPLE_NAME)}
    [(chunk_id,)] = {r[6:] for r in votes}
    assert query(db, "SELECT text LIKE '%100套%' FROM chunks WHERE id = ?", chunk_id) == [(1,)]
    assert len(fake.calls("editMessageReplyMarkup")) == 2  # the third press changed nothing to show


def test_the_source_button_keeps_the_vote_row_and_a_vote_after_it_keeps_more(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        fake.send_text(QUESTION)
        [answer] = await reply(fake, USER)
        keys = buttons(answer)
        await press(fake, answer, keys["👎"])
        await fake.wait_for(lambda: rows(shown(fake, answer)) == [["原文", "更多"], ["👍", "👎 ✓"]])
        await press(fake, answer, keys["原文"])
        await fake.wait_for(lambda: len(fake.edits()) == 1)
        assert "<blockquote>" in shown(fake, answer)["html"]
        assert rows(shown(fake, answer)) == [["更多"], ["👍", "👎 ✓"]]
        await press(fake, answer, keys["👍"])
        await fake.wait_for(lambda: rows(shown(fake, answer)) == [["更多"], ["👍 ✓", "👎"]])
        await press(fake, answer, keys["👍"])  # the same again: thanked, nothing to edit
        assert "<blockquote>" in shown(fake, answer)["html"]  # the passage stays

    run(fake, db, scenario)
    assert [r[2] for r in stored(db)] == [1]
    assert toasts(fake)[-1] == (THANKS[True], False)


def test_an_expired_or_junk_vote_stores_nothing_and_logs_no_error(fake: FakeBotAPI, db: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    answers: list[dict[str, Any]] = []

    async def ask(app: Application) -> None:
        fake.send_text(QUESTION)
        answers.extend(await reply(fake, USER))
        key = buttons(answers[0])["原文"].removeprefix("src:")
        for junk in (f"vote:{key}:sideways", f"vote:{key}", f"vote:{key}:up:up", "vote:", "vote:abc:sideways",
                     "vote:" + "x" * 40 + ":up", "vote:../../etc:down"):
            await press(fake, answers[0], junk)

    async def after_a_restart(app: Application) -> None:  # a new bot: it remembers no answers
        await press(fake, answers[0], buttons(answers[0])["👍"])

    with caplog.at_level(logging.INFO):
        run(fake, db, ask)
        run(fake, db, after_a_restart)
    assert toasts(fake) == [(EXPIRED, True)] * 8
    assert stored(db) == []
    assert fake.calls("editMessageReplyMarkup") == []
    assert rows(fake.sent(USER)[0]) == [["原文", "更多"], ["👍", "👎"]]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Traceback" not in caplog.text


def test_a_vote_the_database_refuses_is_still_thanked_and_logged_as_a_warning(
        fake: FakeBotAPI, db: Path, caplog: pytest.LogCaptureFixture) -> None:
    with sqlite3.connect(db) as conn:  # a real failing write, as from a full disk
        conn.execute("CREATE TRIGGER full BEFORE INSERT ON feedback BEGIN SELECT RAISE(ABORT, 'disk is full'); END")
    conn.close()

    async def scenario(app: Application) -> None:
        fake.send_text(QUESTION)
        [answer] = await reply(fake, USER)
        await press(fake, answer, buttons(answer)["👎"])
        await fake.wait_for(lambda: any("could not store a vote" in r.getMessage() for r in caplog.records))
        fake.send_text(QUESTION)  # and the bot answers on
        assert (await reply(fake, USER, 2))[-1]["text"].startswith("青浦：共100套")

    with caplog.at_level(logging.INFO):
        run(fake, db, scenario)
    assert toasts(fake) == [(THANKS[False], False)]
    assert stored(db) == []
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.levelno == logging.WARNING
    assert "disk is full" in warning.getMessage()
    assert "Traceback" not in caplog.text


def test_stats_show_the_share_of_downvotes_and_the_most_downvoted_answer(
        fake: FakeBotAPI, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario(app: Application) -> None:
        fake.send_text(QUESTION)
        fake.send_text("浦东邮政管理局哪天与区总工会召开专题会议")
        qingpu, pudong = await reply(fake, USER, 2)
        fake.send_text(QUESTION, user_id=OTHER)
        [other] = await reply(fake, OTHER)
        for message, choice, user in ((qingpu, "👎", USER), (pudong, "👍", USER), (other, "👎", OTHER)):
            await press(fake, message, buttons(message)[choice], user_id=user)
            await fake.wait_for(lambda m=message, c=choice: f"{c} ✓" in buttons(shown(fake, m)))  # stored by then
        fake.send_text("/stats", user_id=ADMIN)
        [report] = await reply(fake, ADMIN)
        headline = qingpu["text"].split("\n")[0]
        lines = report["text"].split("\n")
        assert "反馈 3 次：👍 1，👎 2（👎 占 67%）。" in lines
        assert lines[-2:] == ["被点 👎 最多的回答：", f"2 次 👎 · {QUESTION} → {headline}（{SAMPLE_NAME}）"]

    run(fake, db, scenario)
    rc, out, _ = run_cli(capsys, "--db", db, "stats")
    assert rc == 0
    assert "feedback  3 votes, 1 up, 2 down (67% down)" in out.splitlines()
    assert f"  down 2×  {QUESTION} → " in out
