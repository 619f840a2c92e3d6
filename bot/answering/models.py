"""The asking side's vocabulary: a candidate figure and an answer (small frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answering.question import Question
from index import Chunk, Figure, Hit

Reasons = tuple[tuple[str, float, float], ...]  # (feature, its value, its weight): the score's parts


@dataclass(frozen=True, slots=True)
class FigureHit:
    """A candidate figure, the chunk it comes from and how well it fits the question."""

    figure: Figure
    chunk: Chunk
    score: float
    reasons: Reasons = ()  # what the score is made of when no model scored it (a sum of places), for --explain
    features: tuple[float, ...] = ()  # its features (bot.answering.features.FEATURES), which the model weighs into score


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply to a question: found or not, the figures best first, the passages best first."""

    question: Question
    found: bool
    headline: str  # the figure (or name, or reason) in one line
    quote: str  # the sentence it comes from ("" when nothing was found)
    chunk: Chunk | None  # where the quote stands
    figures: tuple[FigureHit, ...]
    hits: tuple[Hit, ...]
    series: tuple[FigureHit, ...] = ()  # the same measure of the same place in every issue that reports it, oldest first
    elsewhere: tuple[FigureHit, ...] = ()  # when not found: the measure for other places or years (not the answer)
