"""The figure chooser's weights file: loading, refusing a wrong one, scoring, and the not-found threshold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import helpers
from bot.answering import model as model_module
from bot.answering.features import FEATURES
from bot.answering.model import Model, ModelError, current, model_path, parse, read, write
from index import data_path


def _content(**change: object) -> dict[str, object]:
    content = json.loads(data_path("figure_model.json").read_text(encoding="utf-8"))
    content.update(change)
    return content


def test_the_bundled_model_loads_with_a_weight_per_feature_and_its_out_of_sample_scores() -> None:
    model = read(data_path("figure_model.json"))
    assert model.weights.shape == (len(FEATURES),)
    assert 0.0 <= model.threshold < 1.0
    assert set(model.trained["out_of_fold"]) >= {"cmrc", "drcd", "real"}  # trained on the open sets, out of fold
    assert set(model.trained["leave_one_set_out"]) == set(model.trained["out_of_fold"])


@pytest.mark.parametrize(("change", "said"), [
    ({"format": "something-else"}, "not a bulletin-figure-model file"),
    ({"version": 99}, "version 99"),
    ({"features": list(FEATURES)[:-1]}, "trained on other features"),
    ({"weights": [0.0] * (len(FEATURES) - 1)}, "one weight per feature"),
    ({"threshold": "high"}, "finite numbers"),
    ({"bias": None}, "finite numbers"),
])
def test_a_wrong_model_file_is_refused_in_one_line(change: dict[str, object], said: str) -> None:
    with pytest.raises(ModelError, match=said) as error:
        parse(_content(**change), "m.json")
    assert "\n" not in str(error.value)


def test_an_unreadable_model_file_is_refused_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "m.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="not a JSON model file"):
        read(broken)
    with pytest.raises(ModelError, match="cannot read"):
        read(tmp_path / "missing.json")


def test_scores_are_one_product_of_features_and_weights(tmp_path: Path) -> None:
    weights = np.arange(len(FEATURES), dtype=np.float64) / 10
    model = Model(weights, -1.0, 0.25, {"by": "test"})
    features = np.eye(len(FEATURES))[:3]
    assert model.scores(features).tolist() == pytest.approx([-1.0, -0.9, -0.8])
    assert model.probability(0.0) == pytest.approx(0.5)
    write(model, tmp_path / "m.json")
    again = read(tmp_path / "m.json")
    assert again.weights.tolist() == pytest.approx(weights.tolist())
    assert (again.bias, again.threshold, again.trained) == (-1.0, 0.25, {"by": "test"})


def test_bulletin_model_chooses_the_file_the_engine_uses(tmp_path: Path, sample_db: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    question = "青浦有多少套公租房"
    code, out, _ = helpers.run_cli(capsys, "--db", sample_db, "ask", "--json", question)
    assert json.loads(out)["found"] is True
    # a model that doubts every candidate (threshold 1.0) says "not found" for the same question
    doubting = tmp_path / "doubting.json"
    write(Model(read(model_path()).weights, 0.0, 1.0, {}), doubting)
    monkeypatch.setenv("BULLETIN_MODEL", str(doubting))
    assert model_path() == doubting
    assert current().threshold == 1.0
    code, out, _ = helpers.run_cli(capsys, "--db", sample_db, "ask", "--json", question)
    answer = json.loads(out)
    assert code == 0
    assert answer["found"] is False
    assert "公租房" in answer["answer"]  # the figure of the asked measure offered for reference only
    model_module._load.cache_clear()


def test_a_broken_model_file_stops_the_command_with_one_line(tmp_path: Path, sample_db: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(_content(version=0)), encoding="utf-8")
    monkeypatch.setenv("BULLETIN_MODEL", str(broken))
    code, _, err = helpers.run_cli(capsys, "--db", sample_db, "ask", "青浦有多少套公租房")
    assert code != 0
    helpers.assert_one_line_error(err)
    assert "version 0" in err
