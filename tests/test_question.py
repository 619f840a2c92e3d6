"""Question analysis: what a question wants, its unit, qualifier, period and places."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import helpers
from bot.answering.question import Question, analyze
from index.analysis.figures import unit_kind
from index.analysis.segment import Segmenter

Ask = Callable[[str], Question]


@pytest.fixture(scope="module")
def seg() -> Segmenter:
    # one Segmenter for the whole session (helpers.segmenter is cached)
    seg: Segmenter = helpers.segmenter()
    return seg


@pytest.fixture(scope="module")
def ask(seg: Segmenter) -> Ask:
    def _ask(text: str) -> Question:
        return analyze(text, seg)
    return _ask


@pytest.mark.parametrize(("text", "wants"), [
    ("青浦有多少套公租房", "figure"),
    ("2022年青浦新增多少套公租房", "figure"),
    ("公租房月租金多少钱", "figure"),
    ("松江区有几个部门", "figure"),
    ("浦东局哪天召开专题会议", "date"),
    ("浦东局什么时候召开专题会议", "date"),
    ("驿站叫什么名字", "name"),
    ("奉贤成立的驿站是什么", "text"),
    ("奉贤在哪些地方成立了驿站", "list"),
    ("驿站由哪几部分组成", "list"),
    ("浦东局与谁召开专题会议", "text"),
    ("青浦公租房", "passage"),
    ("福建7月农村低保户数", "figure"),  # a query that ends in its measure (户数, 办件量, 金额) asks for the figure
    ("高安10月市直单位办件量", "figure"),
    ("少数民族", "passage"),
    ("该寺西元几年建成", "year"),
    ("该寺建于公元多少年", "year"),
    ("该寺建于何年", "year"),
    ("球队排第几", "ordinal"),
    ("红军于几月开始征兵", "month"),
    ("哪个月雨水最多", "month"),
    ("几月几日开始", "date"),
])
def test_wants(ask: Ask, text: str, wants: str) -> None:
    assert ask(text).wants == wants


def test_spoken_unit(ask: Ask) -> None:
    q = ask("青浦有多少套公租房")
    assert q.unit == "套"
    assert q.unit_spoken is True
    assert q.unit_kind == unit_kind("套") == "count"


def test_spoken_unit_after_ji(ask: Ask) -> None:
    q = ask("松江区有几个驿站")
    assert q.unit == "个"
    assert q.unit_spoken is True


def test_ji_ge_before_a_unit_word_counts_that_unit(ask: Ask) -> None:
    # 几个部门: bulletins write 7部门 or 八部门, never 7个部门
    q = ask("松江区有几个部门")
    assert q.unit == "部门"
    assert q.unit_spoken is True


def test_money_implied_by_duoshaoqian(ask: Ask) -> None:
    q = ask("公租房月租金多少钱")
    assert q.unit_kind == "money"
    assert q.unit == "元"
    assert q.unit_spoken is False


def test_area_question_wants_an_area(ask: Ask) -> None:
    # 面积 asks for an area; the 房租 inside 公租房租赁 is not a question about rent
    q = ask("青浦公租房租赁面积是多少")
    assert q.unit_kind == "measure"
    assert q.unit == "平方米"
    assert q.unit_spoken is False


def test_no_unit_for_passage_question(ask: Ask) -> None:
    q = ask("青浦公租房")
    assert (q.unit, q.unit_kind, q.unit_spoken) == (None, None, False)


def test_qualifier_new(ask: Ask) -> None:
    assert ask("2022年青浦新增多少套公租房").qualifier == "新增"


@pytest.mark.parametrize("text", ["青浦一共有多少套公租房", "青浦有多少套公租房", "青浦总共推动了多少套公租房",
                                  "青浦累计租赁多少套公租房"])
def test_qualifier_total(ask: Ask, text: str) -> None:
    assert ask(text).qualifier == "total"


@pytest.mark.parametrize("text", ["公租房月租金多少钱", "浦东局哪天召开专题会议"])
def test_no_qualifier(ask: Ask, text: str) -> None:
    assert ask(text).qualifier is None


def test_period(ask: Ask) -> None:
    assert ask("2022年青浦新增多少套公租房").period == "2022年"
    assert ask("今年青浦新增多少套公租房").period == "今年"
    assert ask("青浦有多少套公租房").period is None


@pytest.mark.parametrize("text", ["青浦有多少套公租房", "青浦区有多少套公租房", "青浦局有多少套公租房",
                                  "青浦邮政管理局有多少套公租房", "朱家角镇有多少套公租房"])
def test_places_of_qingpu_forms(ask: Ask, text: str) -> None:
    assert ask(text).places == ("青浦",)


def test_several_places_in_order(ask: Ask) -> None:
    assert ask("奉贤和青浦各有多少套公租房").places == ("奉贤", "青浦")


def test_no_place(ask: Ask) -> None:
    assert ask("公租房月租金多少钱").places == ()


def test_content_drops_asking_words_places_and_units(ask: Ask) -> None:
    q = ask("青浦有多少套公租房")
    assert "公租房" in q.content
    for word in ("多少", "青浦", "套", "有"):
        assert word not in q.content
    assert len(set(q.content)) == len(q.content)


def test_terms_come_from_the_segmenter(ask: Ask, seg: Segmenter) -> None:
    text = "青浦区有多少套公租房"
    q = ask(text)
    assert q.terms == tuple(dict.fromkeys(seg.terms(text)))  # each once: a repeated term would count twice
    assert "青浦" in q.terms
    assert "公租房" in q.terms
    assert "多少" not in q.terms
    assert q.text == text


@pytest.mark.parametrize(("text", "measure"), [
    ("澳门市划分为几个堂区", "堂区"),
    ("青浦有多少套公租房", "公租房"),
    ("国际消费者联会成员一共有多少个", None),
])
def test_measure_is_the_noun_after_the_asked_unit(ask: Ask, text: str, measure: str | None) -> None:
    question = ask(text)
    assert question.measure == measure
    assert not any(word.startswith("个") for word in question.content)


def test_rank_question_wants_an_ordinal(ask: Ask) -> None:
    assert ask("丘姓在百家姓里排多少位").wants == "ordinal"


def test_thickness_wants_a_length(ask: Ask) -> None:
    assert ask("火山灰厚度约为多少").unit_kind == "measure"


@pytest.mark.parametrize(("text", "unit", "spoken"), [
    ("青浦有多少户外职工驿站", None, False),  # 户 is a unit, but not here: 户外 is one word
    ("体长是体高的多少倍", "倍", True),  # jieba keeps 多少倍 as one word
    ("澳门市划分为几个堂区", "个", True),
])
def test_a_spoken_unit_is_a_whole_word(ask: Ask, text: str, unit: str | None, spoken: bool) -> None:
    question = ask(text)
    assert question.unit_spoken is spoken
    if spoken:
        assert question.unit == unit


def test_asking_words_go_only_as_whole_words(ask: Ask) -> None:
    question = ask("国有企业有多少家")
    assert "国有企业" in question.content
    assert ask("几乎所有企业都参加了吗").wants != "figure"


@pytest.mark.parametrize(("text", "verb"), [
    ("广州2019年11月事故死了多少人", "死"),
    ("合肥8月拆了几处违建", "拆"),
    ("高安10月市监局办结多少件", None),  # a verb of two characters is a content word already
    ("青浦有多少套公租房", None),
])
def test_a_one_character_verb_before_the_asking_word(ask: Ask, text: str, verb: str | None) -> None:
    assert ask(text).verb == verb


@pytest.mark.parametrize(("text", "unit", "kind"), [
    ("占有多少百分比的产值", "%", "percent"),  # not 平方米 from a 面积 elsewhere in the question
    ("占全市多少的百分比", "%", "percent"),
    ("新生儿一天要睡超过多少个小时", "小时", "time"),  # 个 before a unit is no count of 个
])
def test_the_unit_is_the_one_attached_to_the_asking_word(ask: Ask, text: str, unit: str, kind: str) -> None:
    question = ask(text)
    assert (question.unit, question.unit_kind) == (unit, kind)


def test_young_people_are_no_length_of_time(ask: Ask) -> None:
    assert ask("有多少年轻人参加").unit_kind != "time"
