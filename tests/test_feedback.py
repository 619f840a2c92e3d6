"""👍/👎 on answers: stored once per person per answer in a real SQLite file, counted for /stats."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest

from helpers import SAMPLE_NAME, counts, query, run_cli
from index import FeedbackStats, Store, Vote
from index.schema import MIGRATIONS


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
                await store.record_vote(v)
            return await store.feedback_stats(top=3)

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
        conn.execute("DELETE FROM _migrations WHERE version = 5")
    conn.close()
    assert len(MIGRATIONS) == 5
    stats = record(db, vote("k1", "alice", False))
    assert [r[0] for r in query(db, "SELECT version FROM _migrations")] == [1, 2, 3, 4, 5]
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
