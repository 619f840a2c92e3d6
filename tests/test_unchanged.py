"""Speed work must not move a choice: every answer of the project's own sets is as recorded, and a repeated
question is answered from the cache with what asking again would give."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from typing import Any

import pytest

import bot.answering.engine as engine_module
import helpers
from bot.answering.engine import Engine
from bot.tools.answer_dump import dump, golden_sets, record
from index import Store

GOLDEN = Path(__file__).parent / "data" / "answers.jsonl"
TOLERANCE = 1e-6  # scores summed in another order (or by another BLAS) move in the last bits, not a choice


def _same(a: Any, b: Any) -> bool:
    """Compare two records: exactly, except floats, which may differ by rounding."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Engine, list[str]]]:
    return list(golden_sets(tmp_path_factory.mktemp("golden")))


def test_every_answer_is_as_recorded(sets: list[tuple[str, Engine, list[str]]]) -> None:
    expected = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines()]
    got = [r for name, engine, asked in sets for r in dump(engine, name, asked)]
    assert [(r["set"], r["q"]) for r in got] == [(r["set"], r["q"]) for r in expected]
    moved = [f"{r['set']}: {r['q']}: {r.get('headline')!r} (was {e.get('headline')!r})"
             for r, e in zip(got, expected, strict=True) if not _same(r, e)]
    # every shape is in the record: one place, several, 全市/各区, words, not found
    assert sum(r["found"] for r in expected if "found" in r) > 250
    assert any("全市" in r["q"] for r in expected)
    assert not moved, f"{len(moved)} answers moved (python -m bot.tools.answer_dump --golden rewrites the record " \
                      "when a change is meant):\n" + "\n".join(moved[:20])


def test_a_repeated_question_is_answered_from_the_cache(sets: list[tuple[str, Engine, list[str]]]) -> None:
    _, engine, asked = sets[1]
    question = next(q for q in asked if "全市" in q)
    first = engine.ask(question)
    assert engine.ask(f"  {question} ") is first  # the same after normalising: not asked again
    fresh = Engine(engine.segmenter, engine.library)  # a new engine (as after a reindex) asks again, alike
    again = fresh.ask(question)
    assert again is not first
    assert record(again) == record(first)


def test_the_cache_keeps_the_newest_questions_only(sample_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "CACHED_ANSWERS", 8)

    async def load() -> Engine:
        async with await Store.open(sample_db) as store:
            return await Engine.load(store, helpers.segmenter())

    engine = asyncio.run(load())
    first = engine.ask("青浦有多少套公租房")
    for i in range(8):
        engine.ask(f"青浦第{i}号有多少套公租房")
    again = engine.ask("青浦有多少套公租房")
    assert again is not first
    assert record(again) == record(first)
    assert engine.ask("青浦有多少套公租房") is again


def test_the_places_a_measure_is_reported_for_are_read_from_the_figure_index(
        sets: list[tuple[str, Engine, list[str]]]) -> None:
    library = sets[1][1].library
    words = {m[i:i + n] for m in library.corpus.measures for n in (2, 4) for i in range(0, max(len(m) - n, 0) + 1, 2)}
    assert len(words) > 20
    for word in [*sorted(words), "没有这个量"]:
        figures = [f for _, f in library.measuring([word])]
        expected = {f.places[0] for f in figures if f.places} if figures else None
        assert library.first_places_measuring(word) == expected, word
