"""Follow-up questions: 松江呢, 2021年呢, 新增多少 said after a question are read as that question, with real jieba."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import helpers
from bot.answering.followup import elliptical, expand
from bot.answering.question import Question, analyze
from index import Segmenter
from index.analysis.places import place_words

FAST = settings(max_examples=150, deadline=None, database=None)
# questions that ask a figure of a measure, with and without a period and a qualifier, one place or two
FIGURE_QUESTIONS = ("青浦有多少套公租房", "青浦2022年新增多少套公租房", "徐汇和长宁一共有多少个快递网点",
                    "嘉定建成了多少个快递驿站", "上海市青浦区的公租房有多少套")
# every question of the evaluation sets: complete questions, each asked on its own
REAL_QUESTIONS = tuple(json.loads(line)["q"] for path in sorted((helpers.ROOT / "tests" / "qa").glob("*.jsonl"))
                       for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
PLACE_NAMES = tuple(place_words())


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    seg: Segmenter = helpers.segmenter()
    return seg


@pytest.mark.parametrize(("previous", "text", "full"), [
    ("青浦有多少套公租房", "松江呢", "松江有多少套公租房"),
    ("青浦有多少套公租房", "那松江区的呢？", "松江区有多少套公租房"),
    ("青浦有多少套公租房", "徐汇和长宁呢", "徐汇和长宁有多少套公租房"),
    ("青浦有多少套公租房", "全市呢", "全市有多少套公租房"),
    ("青浦有多少套公租房", "2021年呢", "青浦2021年有多少套公租房"),
    ("青浦2022年新增多少套公租房", "2021年呢", "青浦2021年新增多少套公租房"),
    ("青浦2022年新增多少套公租房", "去年呢", "青浦去年新增多少套公租房"),
    ("青浦有多少套公租房", "新增多少", "青浦新增多少套公租房"),
    ("青浦有多少套公租房", "新增多少套", "青浦新增多少套公租房"),
    ("青浦2022年新增多少套公租房", "一共多少", "青浦2022年一共多少套公租房"),
    ("青浦新增公租房多少套", "一共多少", "青浦公租房一共多少套"),  # the 新增 said elsewhere goes
    ("青浦有多少套公租房", "松江2021年新增多少", "松江2021年新增多少套公租房"),
    ("公租房有多少套", "青浦呢", "青浦公租房有多少套"),  # a place where the question named none
    ("徐汇和长宁一共有多少个快递网点", "松江呢", "松江一共有多少个快递网点"),
    # a body named by its place (浦东邮政管理局): the place changes, the body stays
    ("浦东邮政管理局哪天与区总工会召开专题会议", "松江呢", "松江邮政管理局哪天与区总工会召开专题会议"),
    ("浦东邮政管理局哪天与区总工会召开专题会议", "2023年呢", "浦东邮政管理局2023年哪天与区总工会召开专题会议"),
])
def test_an_elliptical_text_is_the_previous_question_with_what_it_changes(
        seg: Segmenter, previous: str, text: str, full: str) -> None:
    assert expand(previous, text, seg) == full
    assert expand(analyze(previous, seg), text, seg) == full  # the analysed question does as well as its text
    assert elliptical(text, seg)


@pytest.mark.parametrize("text", [
    "快递驿站呢",  # names what to count
    "松江鱼呢",  # a single character the analysis leaves out is still something named
    "宝山的快递员有多少人",
    "松江区有几个部门",  # 部门 is counted, a noun of its own
    "那么松江的情况呢",
    "市监局呢",  # a body, not a place
    "你好",
    "原文",
    "谢谢",
])
def test_a_text_that_names_something_of_its_own_is_left_alone(seg: Segmenter, text: str) -> None:
    for previous in FIGURE_QUESTIONS:
        assert expand(previous, text, seg) == text
    assert not elliptical(text, seg)


@pytest.mark.parametrize("text", REAL_QUESTIONS)
def test_a_real_question_is_never_rewritten(seg: Segmenter, text: str) -> None:
    for previous in (*FIGURE_QUESTIONS, "浦东邮政管理局哪天与区总工会召开专题会议"):
        assert expand(previous, text, seg) == text


def test_nothing_is_carried_over_without_a_question_to_carry(seg: Segmenter) -> None:
    assert expand(None, "松江呢", seg) == "松江呢"
    assert expand("青浦呢", "松江呢", seg) == "松江呢"  # the question before named nothing to ask of 松江
    # 新增多少 after a question asking no figure: there is no 多少 to give 新增 to
    assert expand("浦东邮政管理局哪天与区总工会召开专题会议", "新增多少", seg) == "新增多少"


def _carried(previous: Question, full: Question) -> None:
    """What asks the question stays: its measure, unit and the kind of answer wanted."""
    assert (full.measure, full.unit, full.unit_kind, full.wants) == \
        (previous.measure, previous.unit, previous.unit_kind, previous.wants), full.text


@FAST
@given(st.sampled_from(PLACE_NAMES), st.sampled_from(FIGURE_QUESTIONS), st.sampled_from(["", "那", "那么", "还有"]),
       st.sampled_from(["呢", "的呢", "呢？", "怎么样"]))
def test_any_place_the_gazetteer_knows_replaces_the_place_asked(name: str, question: str, lead: str,
                                                                tail: str) -> None:
    seg = helpers.segmenter()  # (a fixture would be function-scoped to hypothesis)
    text = f"{lead}{name}{tail}"
    asked = analyze(f"{name}呢", seg).places
    assume(asked and name in seg.words(text))  # not 那天|等 (天等 swallowed by the word 那天)
    previous = analyze(question, seg)
    full = analyze(expand(question, text, seg), seg)
    assert full.places == asked
    _carried(previous, full)
    assert (full.period, full.qualifier) == (previous.period, previous.qualifier)
    assert expand(question, full.text, seg) == full.text  # the whole question is a question of its own


@FAST
@given(st.integers(1990, 2035), st.sampled_from(["", "1月", "12月", "上半年", "一季度"]),
       st.sampled_from(FIGURE_QUESTIONS), st.sampled_from(["呢", "的呢", "呢？"]))
def test_any_period_replaces_or_joins_the_period_asked(year: int, part: str, question: str, tail: str) -> None:
    seg = helpers.segmenter()  # (a fixture would be function-scoped to hypothesis)
    period = f"{year}年{part}"
    previous = analyze(question, seg)
    full = analyze(expand(question, f"{period}{tail}", seg), seg)
    assert period in full.text
    assert previous.period is None or previous.period in period or previous.period not in full.text
    assert full.asked_period is not None
    assert full.asked_period.text == period
    assert full.places == previous.places
    _carried(previous, full)
    assert full.qualifier == previous.qualifier


@pytest.mark.parametrize("text", ["新增多少", "新增了多少", "新增多少呢", "那新增呢", "新增的呢"])
@pytest.mark.parametrize("question", [q for q in FIGURE_QUESTIONS if "新增" not in q])
def test_xinzeng_asks_what_was_added_of_the_same_measure(seg: Segmenter, question: str, text: str) -> None:
    previous = analyze(question, seg)
    full = analyze(expand(question, text, seg), seg)
    assert full.qualifier == "新增"
    assert (full.places, full.period) == (previous.places, previous.period)
    _carried(previous, full)


def test_a_unit_said_changes_what_is_asked(seg: Segmenter) -> None:
    full = analyze(expand("青浦有多少套公租房", "多少平方米", seg), seg)
    assert (full.unit, full.unit_kind, full.places) == ("平方米", "measure", ("青浦",))


@pytest.mark.parametrize(("previous", "text", "expected"), [
    ("徐汇有多少个快递网点", "长宁多少钱", "长宁多少钱"),  # money asked now: not the count carried over
    ("青浦的公租房一共租赁了多少平方米", "浦东和松江一共多少", "浦东和松江的公租房一共租赁了多少平方米"),  # 一共 once
    ("嘉定累计建成多少个快递驿站", "新增多少", "嘉定新增建成多少个快递驿站"),  # the whole's word gives way
    ("青浦有多少套公租房", "广元市呢", "广元市有多少套公租房"),  # 元 in 广元 asks no money
])
def test_a_follow_up_never_garbles_what_it_carries(previous: str, text: str, expected: str, seg: Segmenter) -> None:
    assert expand(previous, text, seg) == expected


def test_a_long_text_is_a_question_of_its_own(seg: Segmenter) -> None:
    long = "徐汇和长宁" * 800  # read as places and periods, this took a minute (the work grew with its square)
    assert expand("徐汇有多少个快递网点", long, seg) == long
    assert not elliptical(long, seg)
