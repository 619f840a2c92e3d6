"""The figure chooser's fitted weights: loaded from a small JSON file, applied to all candidates in one product."""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.answering.features import FEATURES
from index import BulletinError, data_path

FORMAT = "bulletin-figure-model"
VERSION = 1
MODEL_FILE = "figure_model.json"


class ModelError(BulletinError):
    """The model file cannot be read, or was trained on other features than this version computes."""


@dataclass(frozen=True, slots=True)
class Model:
    """Logistic weights over FEATURES: a candidate's score is its log-odds of being the answer."""

    weights: np.ndarray  # one per feature, in FEATURES order
    bias: float
    threshold: float  # below this probability the best candidate is not given as the answer
    trained: dict[str, Any]  # how and on what it was fitted, with its out-of-fold scores (for people, not the bot)

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Return every candidate's log-odds: features is (candidates × FEATURES)."""
        return features @ self.weights + self.bias

    def probability(self, score: float) -> float:
        """Return the probability that a candidate of this score is the answer."""
        return 1.0 / (1.0 + math.exp(-max(min(score, 50.0), -50.0)))

    def to_json(self) -> dict[str, Any]:
        """Return the file's content."""
        return {"format": FORMAT, "version": VERSION, "features": list(FEATURES),
                "weights": [round(float(w), 6) for w in self.weights], "bias": round(self.bias, 6),
                "threshold": round(self.threshold, 6), "trained": self.trained}


def parse(content: Any, where: str = "model") -> Model:
    """Build a model from a file's parsed JSON; raise ModelError saying what is wrong."""
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise ModelError(f"{where}: not a {FORMAT} file")
    if content.get("version") != VERSION:
        raise ModelError(f"{where}: version {content.get('version')!r}, this program reads version {VERSION}")
    names, weights = content.get("features"), content.get("weights")
    if names != list(FEATURES):
        names = names if isinstance(names, list) else []
        differ = sorted(set(FEATURES) ^ {str(n) for n in names}) or ["their order"]
        raise ModelError(f"{where}: trained on other features ({', '.join(differ[:3])} differ);"
                         " retrain it with `python -m bot.tools.train`")
    if not isinstance(weights, list) or len(weights) != len(FEATURES) or not all(
            _finite(x) for x in (*weights, content.get("bias"), content.get("threshold"))):
        raise ModelError(f"{where}: weights, bias and threshold must be finite numbers, one weight per feature")
    return Model(np.asarray(weights, dtype=np.float64), float(content["bias"]), float(content["threshold"]),
                 dict(content.get("trained") or {}))


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def read(path: Path) -> Model:
    """Read a model file; raise ModelError for a missing, unreadable or wrong one."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ModelError(f"{path}: cannot read the model file ({e.strerror or e})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"{path}: not a JSON model file ({e})") from None
    return parse(content, str(path))


def write(model: Model, path: Path) -> None:
    """Write a model file (weights rounded to 6 places: small, and stable under diff)."""
    path.write_text(json.dumps(model.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@functools.lru_cache(maxsize=4)
def _load(path: str) -> Model:
    return read(Path(path))


def model_path() -> Path:
    """Return the model file in use: BULLETIN_MODEL's, else the bundled one."""
    chosen = os.environ.get("BULLETIN_MODEL")
    return Path(chosen) if chosen else _bundled()


@functools.lru_cache(maxsize=1)
def _bundled() -> Path:
    return data_path(MODEL_FILE)  # looked up once: importlib.resources costs a tenth of a millisecond


def current() -> Model:
    """Return the model in use (read once per file)."""
    return _load(str(model_path()))


def contributions(model: Model, row: Sequence[float]) -> tuple[tuple[str, float, float], ...]:
    """Return a candidate's non-zero features as (name, value, weight), for --explain."""
    return tuple((name, round(float(x), 3), round(float(w), 3))
                 for name, x, w in zip(FEATURES, row, model.weights, strict=True) if x)
