"""The features of a candidate figure against a question, on figures found in sentences by the real extractor."""

from __future__ import annotations

import helpers
from bot.features import FEATURES, describe
from bot.question import analyze
from index.figures import extract_figures


def _reasons(question: str, sentence: str, value: float) -> dict[str, float]:
    asked = analyze(question, helpers.segmenter())
    fig = next(f for f in extract_figures(sentence) if f.value == value)
    weights = dict.fromkeys(asked.content, 1.0)
    # the article holds every question word, as a real one about the thing asked does
    row = describe(asked, fig, weights, article=frozenset(weights), period=None, period_fits=None)
    return {name: value for name, value in zip(FEATURES, row, strict=True) if value}


def test_the_asked_place_written_near_a_figure_weighs_for_it() -> None:
    sentence = "澳门市（澳门半岛）再划分为五个堂区，海岛市（氹仔和路环）再划分为两个堂区。"
    near = _reasons("澳门市划分为几个堂区", sentence, 5)["place named near"]
    far = _reasons("澳门市划分为几个堂区", sentence, 2)["place named near"]
    assert near > far > 0


def test_a_row_label_is_near_every_cell_of_its_row() -> None:
    row = "城市低保人数：数量75,616，上期75,916；城市低保户数：数量47,396，上期47,596；"
    own = _reasons("福建上期城市低保户数是多少", row, 47596)["question words near"]
    other = _reasons("福建上期城市低保户数是多少", row, 75916)["question words near"]
    assert own > other


def test_the_one_character_verb_asked_weighs_for_its_figure() -> None:
    sentence = "11月，全市发生各类事故49起、死亡29人、受伤37人。"
    assert _reasons("事故死了多少人", sentence, 29).get("verb before it", 0) > 0
    assert "verb before it" not in _reasons("事故死了多少人", sentence, 37)
