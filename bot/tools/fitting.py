"""Fit the figure chooser's weights (logistic regression by Newton's method) and measure it out of sample."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from bot.tools.dataset import Dataset

L2 = 30.0  # the penalty on the (standardised) weights' squares: train.py chooses it by cross-validation
NEWTON_STEPS = 50


@dataclass(frozen=True, slots=True)
class Fit:
    """Fitted weights and bias (log-odds that a candidate is the answer)."""

    weights: np.ndarray
    bias: float


def fit(data: Dataset, rows: np.ndarray, *, l2: float = L2) -> Fit:
    """Fit logistic regression on the given candidate rows, each candidate one sample (weighing each question's
    candidates to 1 in all was tried: it scored lower out of fold on every set).

    Features are standardised before the penalty, so that a rare one (新增 asked and given: 15 candidates of 6,700)
    is shrunk no more than a common one for the same evidence; the weights returned apply to raw features.
    """
    x, y = data.features[rows], data.labels[rows].astype(np.float64)
    if len(x) == 0:
        return Fit(np.zeros(data.features.shape[1]), 0.0)
    mean, spread = x.mean(axis=0), x.std(axis=0)
    spread[spread < 1e-9] = 1.0  # a feature never seen varies not at all: its weight stays 0
    beta = _newton((x - mean) / spread, y, l2)
    weights = beta[:-1] / spread
    return Fit(weights, float(beta[-1] - weights @ mean))


def _newton(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Return the penalised logistic fit's coefficients, the bias last (not penalised)."""
    design = np.hstack([x, np.ones((len(x), 1))])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    for _ in range(NEWTON_STEPS):
        p = probability(design @ beta)
        gradient = design.T @ (p - y) + penalty * beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def probability(log_odds: np.ndarray) -> np.ndarray:
    """Return the probabilities of log-odds (clipped: exp overflows past about 700)."""
    return 1.0 / (1.0 + np.exp(-np.clip(log_odds, -50, 50)))


def folds(data: Dataset, k: int) -> np.ndarray:
    """Return each question's fold, 0..k-1, by a hash of its document: no paragraph's questions on both sides."""
    return np.array([zlib.crc32(g.encode()) % k for g in data.groups], dtype=np.int64)


def scores(data: Dataset, model: Fit) -> np.ndarray:
    """Return every candidate's log-odds under a fit."""
    return data.features @ model.weights + model.bias


def best_of(data: Dataset, candidate_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, per question, the best candidate's score (-inf with none) and whether it is right."""
    n = len(data.sets)
    top = np.full(n, -np.inf)
    right = np.zeros(n, dtype=bool)
    for i in np.argsort(candidate_scores, kind="stable"):  # ascending: each question's best is written last
        top[data.question[i]] = candidate_scores[i]
        right[data.question[i]] = data.labels[i]
    return top, right


def out_of_fold(data: Dataset, k: int, *, l2: float = L2, held: np.ndarray | None = None) -> np.ndarray:
    """Return every candidate's score from a model fitted without its fold (held: a fold per question to use)."""
    question_fold = folds(data, k) if held is None else held
    candidate_fold = question_fold[data.question]
    out = np.zeros(len(data.labels))
    for fold in np.unique(question_fold):
        train = np.flatnonzero(candidate_fold != fold)
        test = np.flatnonzero(candidate_fold == fold)
        out[test] = scores(data, fit(data, train, l2=l2))[test]
    return out


def outcomes(data: Dataset, candidate_scores: np.ndarray, threshold: float) -> np.ndarray:
    """Return, per question, whether its answer is right: the best candidate given when its probability reaches
    the threshold; not found (right for a trap) otherwise; a question with no candidate keeps its fixed outcome."""
    top, right = best_of(data, candidate_scores)
    given = probability(top) >= threshold
    has = np.isfinite(top)
    kinds = np.array(data.kinds)
    figure = np.where(has, right & given, np.array(data.fixed))  # a figure or date question
    trap = np.where(has, ~given, np.array(data.fixed))
    return np.where(kinds != "not_found", figure, trap)


def fit_threshold(data: Dataset, candidate_scores: np.ndarray) -> float:
    """Return the probability below which to say "not found": the one that makes most answers right, the lowest
    of equals (a trap caught is worth one right answer, a right figure withheld costs one)."""
    top, _ = best_of(data, candidate_scores)
    probabilities = probability(top[np.isfinite(top)])
    choices = np.unique(np.concatenate([[0.0], probabilities + 1e-9]))
    rights = [int(outcomes(data, candidate_scores, t).sum()) for t in choices]
    return float(choices[int(np.argmax(rights))])


def rates(data: Dataset, candidate_scores: np.ndarray, threshold: float) -> dict[str, float]:
    """Return how the not-found threshold does: its precision (of the answers it withholds, those that were wrong
    or traps) and recall (of the traps with candidates, those it catches)."""
    top, right = best_of(data, candidate_scores)
    has = np.isfinite(top)
    withheld = has & (probability(top) < threshold)
    traps = has & (np.array(data.kinds) == "not_found")
    deserved = withheld & (traps | ~right)
    return {"withheld": int(withheld.sum()), "precision": float(deserved.sum() / max(withheld.sum(), 1)),
            "traps": int(traps.sum()), "recall": float((withheld & traps).sum() / max(traps.sum(), 1))}


def per_set(data: Dataset, right: np.ndarray) -> dict[str, dict[str, float]]:
    """Return each set's share of right answers, for figure questions and for all it has."""
    sets, kinds = np.array(data.sets), np.array(data.kinds)
    out = {}
    for name in dict.fromkeys(data.sets):
        mine = sets == name
        figure = mine & (kinds == "figure")
        out[name] = {"fig@1": round(100 * float(right[figure].mean()), 1) if figure.any() else float("nan"),
                     "all": round(100 * float(right[mine].mean()), 1), "questions": int(mine.sum())}
    return out
