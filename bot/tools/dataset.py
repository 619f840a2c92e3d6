"""Labelled candidates: every figure and not-found question of a set asked, each candidate figure marked right or wrong."""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.answering.engine import Engine
from bot.answering.features import FEATURES
from bot.answering.render import error_answer, to_json
from bot.tools.evaluate import figure_ok, judge, load_questions, numbers
from index import BulletinError, Segmenter, Store, ingest_paths, open_library

ASKED = ("figure", "date", "not_found")  # the kinds whose answer the figure chooser decides


@dataclass(frozen=True, slots=True)
class LabelledSet:
    """A question set and the bulletin files (or folders) its questions are asked over."""

    name: str
    questions: list[dict[str, Any]]
    corpus: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class Dataset:
    """Candidates as rows: features, right or wrong, and the question each belongs to; questions as lists."""

    features: np.ndarray  # candidates × FEATURES
    labels: np.ndarray  # bool per candidate: it carries the gold number
    question: np.ndarray  # int per candidate: its question's position
    sets: list[str]  # per question: its set's name
    groups: list[str]  # per question: the document it is about (folds never split one)
    kinds: list[str]  # per question: figure | not_found
    fixed: list[bool]  # per question with no modelled candidate: whether its answer was right anyway

    def save(self, path: Path) -> None:
        """Write the dataset as one .npz file (a cache: asking every question again takes minutes)."""
        meta = json.dumps({"features": list(FEATURES), "sets": self.sets, "groups": self.groups,
                           "kinds": self.kinds, "fixed": self.fixed}, ensure_ascii=False)
        np.savez_compressed(path, features=self.features, labels=self.labels, question=self.question,
                            meta=np.array(meta))

    @classmethod
    def load(cls, path: Path) -> Dataset:
        """Read a saved dataset; refuse one computed with other features."""
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            if meta["features"] != list(FEATURES):
                raise BulletinError(f"{path}: computed with other features; collect it again (--refresh)")
            return cls(data["features"], data["labels"], data["question"], meta["sets"], meta["groups"],
                       meta["kinds"], meta["fixed"])

    @classmethod
    def join(cls, parts: list[Dataset]) -> Dataset:
        """Put several sets' datasets together (question positions renumbered)."""
        offsets = np.cumsum([0, *(len(p.sets) for p in parts[:-1])])
        return cls(np.vstack([p.features for p in parts]) if parts else np.zeros((0, len(FEATURES))),
                   np.concatenate([p.labels for p in parts]), np.concatenate(
                       [p.question + o for p, o in zip(parts, offsets, strict=True)]),
                   [s for p in parts for s in p.sets], [g for p in parts for g in p.groups],
                   [k for p in parts for k in p.kinds], [f for p in parts for f in p.fixed])


def jsonl_set(name: str, questions: Path, corpus: list[Path]) -> LabelledSet:
    """A JSON Lines question set (bulletin eval's format) over bulletin files or folders."""
    return LabelledSet(name, load_questions(questions), tuple(corpus))


def squad_set(name: str, path: Path, folder: Path) -> LabelledSet:
    """A SQuAD-format set as qa_eval.py reads it: each paragraph a document, 多少/几 questions with one number figures."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    folder.mkdir(parents=True, exist_ok=True)
    questions, n = [], 0
    for article in data:
        for paragraph in article["paragraphs"]:
            n += 1
            doc = f"{name}-{n:04d}.txt"
            (folder / doc).write_text(paragraph["context"], encoding="utf-8")
            for qa in paragraph["qas"]:
                gold = qa["answers"][0]["text"]
                found = numbers(gold)
                if qa["question"].strip() and re.search(r"多少|几", qa["question"]) and len(found) == 1:
                    questions.append({"q": qa["question"], "doc": doc, "kind": "figure", "value": found[0][1],
                                      "value_scaled": found[0][0]})
    return LabelledSet(name, questions, (folder,))


def collect(labelled: LabelledSet) -> Dataset:
    """Ingest a set's corpus into a fresh database, ask its questions, and label every candidate figure."""
    with tempfile.TemporaryDirectory(prefix="bulletin-train-") as work:
        engine = asyncio.run(_engine(Path(work) / "train.db", labelled.corpus))
        rows: list[list[float]] = []
        labels: list[bool] = []
        owner: list[int] = []
        sets: list[str] = []
        groups: list[str] = []
        kinds: list[str] = []
        fixed: list[bool] = []
        for question in (q for q in labelled.questions if q["kind"] in ASKED):
            try:
                answer = engine.ask(question["q"].replace("\n", " "))
            except BulletinError:
                answer = None
            candidates = [f for f in answer.figures if f.features] if answer and answer.found else []
            if answer is not None and answer.figures and len(candidates) < len(answer.figures):
                candidates = []  # a sum over places: not one chooser's pick
            position = len(sets)
            for item in candidates:
                rows.append(list(item.features))
                labels.append(_right(question, item.figure.value, item.figure.value_max, item.figure.text))
                owner.append(position)
            sets.append(labelled.name)
            groups.append(group_of(labelled, question))
            kinds.append(question["kind"])
            fixed.append(dict(judge(question, to_json(answer)))["all"] if answer else question["kind"] == "not_found")
    return Dataset(np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES)), np.array(labels, dtype=bool),
                   np.array(owner, dtype=np.int64), sets, groups, kinds, fixed)


def group_of(labelled: LabelledSet, question: dict[str, Any]) -> str:
    """Return what a question's fold is drawn by: its document (its text when it names none)."""
    return f"{labelled.name}:{question.get('doc') or question['q']}"


def judged(labelled: LabelledSet, model_of: Callable[[dict[str, Any]], Path]) -> list[dict[str, Any]]:
    """Ask a set's questions through the whole engine, each under the model file model_of names for it, and mark
    every answer by the outside benchmark's rules (fig@1, all …), with the answer's text."""
    marks = []
    with tempfile.TemporaryDirectory(prefix="bulletin-judge-") as work:
        engine = asyncio.run(_engine(Path(work) / "judge.db", labelled.corpus))
        before = os.environ.get("BULLETIN_MODEL")
        try:
            for question in labelled.questions:
                os.environ["BULLETIN_MODEL"] = str(model_of(question))
                text = question["q"].replace("\n", " ")
                try:
                    shown = to_json(engine.ask(text))
                except BulletinError as e:
                    shown = error_answer(text, str(e))
                marks.append({**dict(judge(question, shown)), "answer": shown["answer"]})
        finally:
            if before is None:
                os.environ.pop("BULLETIN_MODEL", None)
            else:
                os.environ["BULLETIN_MODEL"] = before
    return marks


def _right(question: dict[str, Any], value: float, value_max: float | None, text: str) -> bool:
    if question["kind"] == "date":  # a date figure's value is yyyymmdd
        return (int(value) // 100 % 100, int(value) % 100) == (int(question["month"]), int(question["day"]))
    if question["kind"] != "figure":
        return False
    shown = {"value": value, "value_max": value_max, "text": text}
    return any(figure_ok(shown, want, question.get("value_max"))
               for want in (question["value"], question.get("value_scaled", question["value"])))


async def _engine(db: Path, corpus: tuple[Path, ...]) -> Engine:
    paths = [p for folder in corpus for p in (sorted(folder.iterdir()) if folder.is_dir() else [folder])
             if p.suffix.lower() in (".txt", ".md", ".pdf", ".docx")]
    segmenter = Segmenter()
    async with await Store.open(db, create=True) as store:
        await ingest_paths(store, segmenter, paths)
        return Engine(segmenter, (await open_library(store))[1])
