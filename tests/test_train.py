"""Training the figure chooser: labelled candidates from the real engine, the fit, folds and the threshold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import helpers
from bot.answering.features import FEATURES
from bot.tools import train
from bot.tools.dataset import Dataset, collect, jsonl_set, squad_set
from bot.tools.fitting import best_of, fit, fit_threshold, folds, out_of_fold, outcomes, rates


def _synthetic(questions: int = 60, seed: int = 7) -> Dataset:
    """Questions of four candidates; the right one has feature 0 set, and feature 1 is noise."""
    rng = np.random.default_rng(seed)
    rows, labels, owner = [], [], []
    for q in range(questions):
        right = rng.integers(4)
        for c in range(4):
            row = np.zeros(len(FEATURES))
            row[0] = float(c == right)
            row[1] = rng.random()
            rows.append(row)
            labels.append(c == right)
            owner.append(q)
    return Dataset(np.array(rows), np.array(labels), np.array(owner), ["s"] * questions,
                   [f"doc{q % 12}" for q in range(questions)], ["figure"] * questions, [False] * questions)


def test_the_fit_learns_which_feature_tells_the_answer() -> None:
    data = _synthetic()
    model = fit(data, np.arange(len(data.labels)))
    assert model.weights[0] > 1.0
    assert abs(model.weights[1]) < model.weights[0] / 4
    assert outcomes(data, out_of_fold(data, 4), 0.0).all()  # out of fold, every question still right


def test_folds_never_split_a_document() -> None:
    data = _synthetic()
    fold = folds(data, 5)
    for group in set(data.groups):
        assert len({f for f, g in zip(fold, data.groups, strict=True) if g == group}) == 1
    assert len(set(fold.tolist())) > 1


def test_the_threshold_withholds_doubtful_answers_only_when_that_makes_more_answers_right() -> None:
    # two figure questions answered surely and rightly, two traps whose best candidate is doubtful
    features = np.zeros((4, len(FEATURES)))
    data = Dataset(features, np.array([True, True, False, False]), np.arange(4), ["s"] * 4, ["a", "b", "c", "d"],
                   ["figure", "figure", "not_found", "not_found"], [False] * 4)
    scores = np.array([3.0, 2.0, -2.0, -3.0])
    threshold = fit_threshold(data, scores)
    assert 1 / (1 + np.exp(2.0)) < threshold <= 1 / (1 + np.exp(-2.0))
    assert outcomes(data, scores, threshold).all()
    assert rates(data, scores, threshold) == {"withheld": 2, "precision": 1.0, "traps": 2, "recall": 1.0}
    top, right = best_of(data, scores)
    assert top.tolist() == scores.tolist()
    assert right.tolist() == [True, True, False, False]


def test_collect_labels_the_real_engines_candidates(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    lines = [{"q": q, "kind": "figure", "value": value, **({"value_max": top} if top else {})}
             for q, (value, top, _) in helpers.FIGURE_ANSWERS.items()]
    lines += [{"q": q, "kind": "not_found"} for q in helpers.NOT_FOUND]
    questions.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    data = collect(jsonl_set("sample", questions, [helpers.SAMPLE]))
    assert len(data.sets) == len(lines)
    assert data.features.shape == (len(data.labels), len(FEATURES))
    right = np.zeros(len(lines), dtype=bool)
    np.logical_or.at(right, data.question, data.labels)
    assert right[:len(helpers.FIGURE_ANSWERS)].all()  # every figure question has its answer among the candidates
    assert not right[len(helpers.FIGURE_ANSWERS):].any()  # a trap has no right candidate
    assert all(data.fixed[len(helpers.FIGURE_ANSWERS):])  # the sample's traps are not found before any model
    data.save(tmp_path / "d.npz")
    again = Dataset.load(tmp_path / "d.npz")
    assert again.sets == data.sets
    assert (again.features == data.features).all()


def test_the_training_command_writes_a_model_with_out_of_sample_scores(tmp_path: Path) -> None:
    bench = tmp_path / "bench"
    bench.mkdir()
    lines = [{"q": q, "kind": "figure", "value": value} for q, (value, _, _) in helpers.FIGURE_ANSWERS.items()]
    (bench / "sample_qa.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines),
                                           encoding="utf-8")
    out = tmp_path / "model.json"
    status = train.main(["--bench", str(bench), "--real", str(tmp_path / "none"), "--sample",
                         str(helpers.SAMPLE.parent), "--cache", str(tmp_path / "cache"), "--out", str(out),
                         "--folds", "2", "--only", "sample"])
    assert status == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["features"] == list(FEATURES)
    assert set(written["trained"]["out_of_fold"]) == {"sample"}
    assert written["trained"]["questions"] == len(lines)


def test_a_squad_set_becomes_one_document_per_paragraph_and_its_number_questions(tmp_path: Path) -> None:
    squad = {"data": [{"paragraphs": [{"context": "某铁路全长364.6公里，共有47个车站。", "qas": [
        {"question": "某铁路全长多少公里？", "answers": [{"text": "364.6公里"}]},
        {"question": "某铁路叫什么？", "answers": [{"text": "某铁路"}]},
        {"question": "有多少个车站和几条支线？", "answers": [{"text": "47个车站和2条"}]}]}]}]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    labelled = squad_set("mini", path, tmp_path / "docs")
    assert [q["q"] for q in labelled.questions] == ["某铁路全长多少公里？"]  # asks a number, one in its gold
    assert labelled.questions[0]["doc"] == "mini-0001.txt"
    assert (tmp_path / "docs" / "mini-0001.txt").read_text(encoding="utf-8") == squad["data"][0]["paragraphs"][0]["context"]
