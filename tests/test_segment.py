"""Segmenter: jieba with the project dictionary; index terms and reading-order words."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import helpers
from index.places import DISTRICTS
from index.segment import Segmenter

FAST = settings(max_examples=150, deadline=None, database=None)


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    # one Segmenter for the whole session (helpers.segmenter is cached)
    seg: Segmenter = helpers.segmenter()
    return seg


def test_gongzufang_is_one_word(seg: Segmenter) -> None:
    # the dictionary keeps 公租房 whole: no 套公 / 租房 split of the words themselves
    assert seg.words("多少套公租房") == ["多少", "套", "公租房"]
    terms = seg.terms("多少套公租房")
    assert "公租房" in terms
    assert "套" in terms


def test_gongzufang_in_running_text(seg: Segmenter) -> None:
    words = seg.words("青浦局共推动青浦区内100套公租房租赁给快递企业一线员工")
    assert "公租房" in words
    assert "套公" not in words
    assert "100" in words


@pytest.mark.parametrize("text", ["青浦区内100套公租房", "青浦局共推动青浦区内100套公租房", "青浦邮政管理局快递员"])
def test_short_place_terms_within_long_forms(seg: Segmenter, text: str) -> None:
    assert set(seg.terms("青浦")) <= set(seg.terms(text))


@pytest.mark.parametrize(("short", "full"), sorted(DISTRICTS.items()))
def test_every_district_alias_yields_the_short_name(seg: Segmenter, short: str, full: str) -> None:
    assert set(seg.terms(short)) == {short}
    for form in (full, f"{short}局", f"{short}邮政管理局", f"{full}内100套公租房"):
        assert set(seg.terms(short)) <= set(seg.terms(form)), form


def test_place_names_stay_whole_in_precise_mode(seg: Segmenter) -> None:
    assert "南桥镇" in seg.words("会同奉贤区委组织部、金海街道、南桥镇和奉城镇政府等部门")
    assert "青浦局" in seg.words("至此，青浦局共推动")


@pytest.mark.parametrize("word", ["多少", "什么", "哪些", "请问", "的"])
def test_question_words_are_not_terms(seg: Segmenter, word: str) -> None:
    assert word in seg.stopwords
    assert word not in seg.terms(f"青浦有{word}公租房")


def test_words_keep_question_words(seg: Segmenter) -> None:
    # words() is reading order, for question analysis: 多少 is still there
    assert "多少" in seg.words("青浦有多少套公租房")


def test_terms_lowercase_and_no_punctuation(seg: Segmenter) -> None:
    terms = seg.terms("Hello World，青浦！6044.86平方米。")
    assert "hello" in terms
    assert "world" in terms
    assert "6044.86" in terms
    assert not any(t in "，！。" for t in terms)


def test_add_words(seg: Segmenter) -> None:
    # a made-up name, so teaching the shared tokenizer changes nothing for other tests
    assert "蓝鲸快送队" not in seg.words("成立蓝鲸快送队")
    seg.add_words(["蓝鲸快送队"])
    assert "蓝鲸快送队" in seg.words("成立蓝鲸快送队")
    assert "蓝鲸快送队" in seg.terms("成立蓝鲸快送队")


text_strategy = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("青浦区内公租房套多少的了是新增合计，。！？、“”（）　 \t\n.-%")),
        st.characters(codec="utf-8", categories=("L", "N", "P", "Z", "S")),
    ),
    max_size=40,
)


@FAST
@given(text_strategy)
def test_no_empty_or_whitespace_tokens(seg: Segmenter, text: str) -> None:
    for token in [*seg.terms(text), *seg.words(text)]:
        assert token
        assert token.strip() == token
        assert not any(c.isspace() for c in token)


@FAST
@given(text_strategy)
def test_terms_never_stopwords(seg: Segmenter, text: str) -> None:
    terms = seg.terms(text)
    assert not set(terms) & seg.stopwords
    assert all(t == t.lower() for t in terms)
