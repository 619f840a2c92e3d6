"""The usage log (operations room): the questions people asked and their 👍/👎, kept beside the corpus in the same
database file but no part of it — written and read through the store's generic doors, never the corpus's own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from index import Store


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    """One question the bot answered: who (hashed), what, whether it was found, how fast, from where."""

    asked_at: str
    user_hash: str
    question: str
    found: bool
    latency_ms: float
    document: str | None


@dataclass(frozen=True, slots=True)
class QuestionStats:
    """How the asking went: counts and the most-asked questions nothing was found for."""

    asked: int
    answered: int
    not_found: int
    top_not_found: tuple[tuple[str, int], ...]
    per_day: tuple[tuple[str, int, int], ...] = ()  # (day, asked, not found), oldest first: the last days asked


@dataclass(frozen=True, slots=True)
class Vote:
    """One person's 👍 or 👎 on an answer: who (hashed), which answer, what it said and where it came from."""

    voted_at: str
    answer_key: str
    user_hash: str
    up: bool
    question: str
    answer: str  # the headline shown
    document: str | None
    chunk_id: int | None


@dataclass(frozen=True, slots=True)
class Downvoted:
    """An answer people voted 👎 on: the question, the headline, its source, and the votes it got."""

    question: str
    answer: str
    document: str | None
    downs: int
    ups: int


@dataclass(frozen=True, slots=True)
class FeedbackStats:
    """How the answers were voted on: counts and the most-downvoted answers."""

    votes: int
    up: int
    down: int
    most_down: tuple[Downvoted, ...]


async def record_questions(store: Store, asked: Sequence[AskedQuestion]) -> None:
    """Log answered questions, many in one transaction."""
    await store.write_rows(
        "INSERT INTO questions (asked_at, user_hash, question, found, latency_ms, document) VALUES (?, ?, ?, ?, ?, ?)",
        [(q.asked_at, q.user_hash, q.question, int(q.found), q.latency_ms, q.document) for q in asked])


async def question_stats(store: Store, *, top: int = 5, days: int = 0) -> QuestionStats:
    """Count questions asked, answered and not found, and list the most-asked unanswered ones (and with days,
    each of the last so many days' counts)."""
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=max(days, 1) - 1)).date().isoformat()
    # asked_at is an ISO stamp in UTC: its first ten characters are the day
    daily = [("SELECT substr(asked_at, 1, 10) AS day, count(*), coalesce(sum(NOT found), 0) FROM questions"
              " WHERE asked_at >= ? GROUP BY day ORDER BY day", (since,))] if days > 0 else []
    totals, missing, *per_day = await store.read_rows(
        ("SELECT count(*), coalesce(sum(found), 0) FROM questions", ()),
        ("SELECT question, count(*) AS n FROM questions WHERE NOT found"
         " GROUP BY question ORDER BY n DESC, max(id) DESC LIMIT ?", (top,)), *daily)
    asked, answered = (int(totals[0][0]), int(totals[0][1])) if totals else (0, 0)
    return QuestionStats(asked=asked, answered=answered, not_found=asked - answered,
                         top_not_found=tuple((str(r[0]), int(r[1])) for r in missing),
                         per_day=tuple((str(r[0]), int(r[1]), int(r[2])) for rows in per_day for r in rows))


async def record_vote(store: Store, vote: Vote) -> None:
    """Store a 👍 or 👎 at once; the same person's second vote on the same answer replaces the first."""
    await store.write_rows(
        "INSERT INTO feedback (voted_at, answer_key, user_hash, vote, question, answer, document, chunk_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (answer_key, user_hash)"
        " DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
        [(vote.voted_at, vote.answer_key, vote.user_hash, 1 if vote.up else -1, vote.question, vote.answer,
          vote.document, vote.chunk_id)])


async def feedback_stats(store: Store, *, top: int = 5) -> FeedbackStats:
    """Count the votes, and list the answers voted 👎 most (the same question, answer and source together)."""
    totals, worst = await store.read_rows(
        ("SELECT count(*), coalesce(sum(vote > 0), 0) FROM feedback", ()),
        ("SELECT question, answer, document, sum(vote < 0) AS downs, sum(vote > 0) FROM feedback"
         " GROUP BY question, answer, document HAVING downs > 0"
         " ORDER BY downs DESC, max(voted_at) DESC, max(id) DESC LIMIT ?", (top,)))
    votes, up = (int(totals[0][0]), int(totals[0][1])) if totals else (0, 0)
    return FeedbackStats(votes=votes, up=up, down=votes - up, most_down=tuple(
        Downvoted(str(r[0]), str(r[1]), r[2], int(r[3]), int(r[4])) for r in worst))
