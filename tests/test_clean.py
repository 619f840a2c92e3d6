"""Cleaning and parsing bulletin text: titles, paragraphs, masthead, footers, distribution list, spacing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from index.errors import EmptyDocument
from index.models import Bulletin
from index.reading.clean import clean_line, fix_spacing, normalize_chars, parse_bulletin, split_masthead
from index.resources import data_path

SAMPLE = "000_1fd2e1b186c74ed6.txt"
PARAGRAPH_END = "。！？；”」』）"

EXPECTED_TITLES = (
    "浦东邮政管理局与区总工会研讨快递行业建会入会工作",
    "松江邮政管理局推进快递员群体合法权益保障工作",
    "青浦邮政管理局快递员公租房保障工作迎来“开年红”，总量破百",
    "青浦邮政管理局参与青浦区新业态、新就业群体调研工作会",
    "奉贤邮政管理局联合地方党委政府依托行业党建联盟成立“骑乐融融”驿站",
)

FAST = settings(max_examples=150, deadline=None, database=None)


@pytest.fixture(scope="module")
def raw() -> str:
    return data_path("bulletins").joinpath(SAMPLE).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bulletin(raw: str) -> Bulletin:
    return parse_bulletin(raw, SAMPLE)


def _split_raw(raw: str) -> tuple[list[str], list[str]]:
    """Split the sample's raw lines into the body and the 报：/送： list (by the format, not the parser)."""
    lines = raw.split("\n")
    cut = next(i for i, ln in enumerate(lines) if ln.strip().startswith("报："))
    return lines[:cut], lines[cut:]


def _all_text(b: Bulletin) -> str:
    return "\n".join(f"{a.title}\n{a.text}" for a in b.articles)


# --- the sample bulletin -------------------------------------------------------------------------


def test_sample_titles_exact(bulletin: Bulletin) -> None:
    assert tuple(a.title for a in bulletin.articles) == EXPECTED_TITLES


def test_sample_two_line_title_is_joined(raw: str, bulletin: Bulletin) -> None:
    # the 青浦 公租房 title is split over two lines in the extracted text
    assert " 青浦邮政管理局快递员 " in raw.split("\n")
    assert bulletin.articles[2].title.startswith("青浦邮政管理局快递员公租房")


def test_sample_article_places(bulletin: Bulletin) -> None:
    assert [a.place for a in bulletin.articles] == ["浦东", "松江", "青浦", "青浦", "奉贤"]


def test_sample_has_no_masthead(bulletin: Bulletin) -> None:
    # the sample starts directly with an article title
    assert bulletin.meta.number is None
    assert bulletin.meta.date is None
    assert bulletin.articles[0].title == EXPECTED_TITLES[0]


def test_sample_distribution_kept_apart(raw: str, bulletin: Bulletin) -> None:
    _, tail = _split_raw(raw)
    dist_lines = [ln.strip() for ln in tail if ln.strip()]
    assert bulletin.distribution.startswith("报：")
    assert "送：" in bulletin.distribution
    body = _all_text(bulletin)
    for line in dist_lines:
        assert clean_line(line) in bulletin.distribution
    # every full line of the list (short wrap remnants like 企业 are common words) stays out of the articles
    for line in (ln for ln in dist_lines if len(ln) >= 8):
        assert clean_line(line) not in body
    assert "报：" not in body
    assert "送：" not in body


def test_sample_text_neither_lost_nor_duplicated(raw: str, bulletin: Bulletin) -> None:
    head, _ = _split_raw(raw)
    expected = re.sub(r"\s", "", "".join(head))
    got = "".join(a.title + "".join(a.paragraphs) for a in bulletin.articles)
    assert re.sub(r"\s", "", got) == expected


@pytest.mark.parametrize("fragment", ["6044.86平方米", "900-3000元", "3月7日", "100套", "15套", "909.98平方米", "2022年"])
def test_sample_numbers_have_no_stray_spaces(bulletin: Bulletin, fragment: str) -> None:
    assert fragment in _all_text(bulletin)


def test_sample_paragraphs_have_no_spaces(bulletin: Bulletin) -> None:
    # all-Chinese text: every space in the extracted text was an artefact
    for article in bulletin.articles:
        assert " " not in article.title
        for para in article.paragraphs:
            assert " " not in para, para


def test_sample_paragraphs_end_at_sentence_end(bulletin: Bulletin) -> None:
    for article in bulletin.articles:
        assert article.paragraphs
        for para in article.paragraphs:
            assert para[-1] in PARAGRAPH_END, para


def test_sample_paragraph_count_follows_trailing_space_cue(raw: str, bulletin: Bulletin) -> None:
    head, _ = _split_raw(raw)
    # a paragraph ends on a line that ends with sentence punctuation followed by the trailing-space cue
    ends = [ln for ln in head if re.search(f"[{PARAGRAPH_END}] +$", ln)]
    assert sum(len(a.paragraphs) for a in bulletin.articles) == len(ends)


# --- synthetic documents -------------------------------------------------------------------------

MASTHEAD = ["上海邮政快递行业精神文明建设工作简报", "2022年第3期", "上海市邮政管理局  2022年3月15日"]
TITLE = "浦东邮政管理局开展快递员关爱活动"
BODY_PDF = [
    f"{TITLE} ",
    "3 月 7 日，浦东邮政管理局联合区总工会在张江镇开展快递员关爱活动，向一线快递员",
    "发放慰问品 200 份，覆盖快递网点 30 个，受到快递员的普遍欢迎和好评。 ",
    "下一步，浦东局将继续推进关心关爱快递小哥工作，切实提升快递员群体的获得感、",
    "幸福感和安全感，促进行业健康发展。 ",
    "会上，双方还就推进快递行业工会组建工作进行了深入交流，并达成了一致的意见。 ",
]


def _pdf_text(lines: list[str]) -> str:
    """Render lines the way the PDF extractor does: a blank line after every line."""
    return "".join(f"{ln}\n\n" for ln in lines)


def test_masthead_parsed_into_issue_meta() -> None:
    b = parse_bulletin(_pdf_text(MASTHEAD + BODY_PDF), "x.txt")
    assert b.meta.name == "上海邮政快递行业精神文明建设工作简报"
    assert b.meta.number == "第3期"
    assert b.meta.date == dt.date(2022, 3, 15)


def test_masthead_is_not_body_text() -> None:
    b = parse_bulletin(_pdf_text(MASTHEAD + BODY_PDF), "x.txt")
    assert [a.title for a in b.articles] == [TITLE]
    text = _all_text(b)
    for fragment in ("简报", "第3期", "2022年3月15日", "上海市邮政管理局"):
        assert fragment not in text


def test_masthead_with_fullwidth_digits() -> None:
    head = ["上海邮政快递行业精神文明建设工作简报", "２０２２年第３期", "上海市邮政管理局　２０２２年３月１５日"]
    b = parse_bulletin(_pdf_text(head + BODY_PDF), "x.txt")
    assert b.meta.number == "第3期"
    assert b.meta.date == dt.date(2022, 3, 15)


def test_split_masthead_returns_remaining_lines() -> None:
    lines = [*MASTHEAD, TITLE, "正文第一段。"]
    meta, rest = split_masthead(lines)
    assert meta.number == "第3期"
    assert rest == [TITLE, "正文第一段。"]


def test_split_masthead_ignores_scattered_matches() -> None:
    # a date deep in the text is body text, not a masthead
    lines = ["2022年3月15日召开会议", "正文一。", "正文二。", "正文三。", "正文四。", "正文五。", "本期简报到此结束"]
    meta, rest = split_masthead(lines)
    assert meta.date is None
    assert rest == lines


@pytest.mark.parametrize("footer", ["— 1 —", "- 2 -", "第 3 页", "第1页，共4页", "2/4", "3"])
def test_page_footer_dropped_and_paragraph_rejoined(footer: str) -> None:
    # the footer falls between the two lines of the first paragraph
    lines = [*BODY_PDF[:2], footer, *BODY_PDF[2:]]
    b = parse_bulletin(_pdf_text(lines), "x.txt")
    (article,) = b.articles
    assert article.title == TITLE
    assert article.paragraphs == (
        clean_line(BODY_PDF[1] + BODY_PDF[2]),
        clean_line(BODY_PDF[3] + BODY_PDF[4]),
        clean_line(BODY_PDF[5]),
    )


def test_plain_paragraph_per_line_text() -> None:
    # a .docx export: no blank lines, no trailing-space cue, one paragraph per line
    paras = [
        "近日，松江区召开工作座谈会，松江邮政管理局作为成员单位重点介绍了寄递业现状和快递员劳动权益保障存在的问题。",
        "松江局表示，下一步将继续加强与属地相关部门沟通协作，细化任务措施，加强统筹协调，不断完善工作机制。",
        "2022年新增15套公租房租赁，新增租赁面积909.98平方米，青浦局共推动青浦区内100套公租房租赁给快递企业一线员工。",
    ]
    text = "\n".join(["松江邮政管理局推进快递员权益保障工作", paras[0], paras[1],
                      "青浦邮政管理局推进公租房保障工作", paras[2]])
    b = parse_bulletin(text, "d.docx")
    assert [a.title for a in b.articles] == ["松江邮政管理局推进快递员权益保障工作", "青浦邮政管理局推进公租房保障工作"]
    assert b.articles[0].paragraphs == (paras[0], paras[1])
    assert b.articles[1].paragraphs == (paras[2],)
    assert [a.place for a in b.articles] == ["松江", "青浦"]


def test_untitled_text_uses_document_name() -> None:
    para = "近日，松江区召开工作座谈会，松江邮政管理局作为成员单位重点介绍了寄递业现状和快递员劳动权益保障存在的问题。"
    b = parse_bulletin(para, "notes.txt")
    assert b.articles[0].title == "notes.txt"
    assert b.articles[0].paragraphs == (para,)


@pytest.mark.parametrize("text", ["", "\n\n  \n", "— 1 —\n\n"])
def test_empty_document_raises(text: str) -> None:
    with pytest.raises(EmptyDocument):
        parse_bulletin(text, "empty.txt")


def test_distribution_only_at_the_end() -> None:
    text = _pdf_text([*BODY_PDF, "报：国家邮政局", "送：上海市文明办，上海市快递行业协会"])
    b = parse_bulletin(text, "x.txt")
    assert b.distribution == "报：国家邮政局\n送：上海市文明办，上海市快递行业协会"
    assert "国家邮政局" not in _all_text(b)


# --- normalize_chars -----------------------------------------------------------------------------


def _to_fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in s)


@FAST
@given(st.text(alphabet="0123456789", min_size=1, max_size=12))
def test_normalize_fullwidth_digits(digits: str) -> None:
    assert normalize_chars(_to_fullwidth(digits)) == digits


def test_normalize_keeps_chinese_punctuation() -> None:
    text = "２０２２年，青浦：新增；１５套。"
    assert normalize_chars(text) == "2022年，青浦：新增；15套。"


def test_normalize_drops_invisible_and_odd_characters() -> None:
    assert normalize_chars("青\u200b浦\ufeff\r\n区\u3000内\u00a0100") == "青浦\n区 内 100"


def test_bidi_controls_are_removed_from_a_bulletins_text() -> None:
    # U+202E in a stored sentence would flip how a figure reads wherever the sentence is shown
    assert normalize_chars("共\u202e001\u202c套，\u2066新增\u206915套") == "共001套，新增15套"


def test_clean_line_combines_both() -> None:
    assert clean_line("共推动青浦区内 １００ 套公租房") == "共推动青浦区内100套公租房"


# --- fix_spacing ---------------------------------------------------------------------------------

_PIECES = ["青", "浦", "区", "公租房", "套", "平方米", "元", "。", "，", "“", "）", "0", "7", "12", "6044.86",
           ".", "-", "%", "A", "b", "km"]
spaced_text = st.lists(st.tuples(st.sampled_from(_PIECES), st.sampled_from(["", " ", "  "])), max_size=20).map(
    lambda parts: "".join(p + sep for p, sep in parts))


@FAST
@given(spaced_text)
def test_fix_spacing_only_removes_spaces(text: str) -> None:
    assert fix_spacing(text).replace(" ", "") == text.replace(" ", "")


@FAST
@given(spaced_text)
@example("A B  C D")
@example("青 - - 0 0 青")  # found by this property: the first pass exposed a second space to remove
def test_fix_spacing_idempotent(text: str) -> None:
    once = fix_spacing(text)
    assert fix_spacing(once) == once


@FAST
@given(spaced_text)
@example("共 3 4 个")
@example("第 1 2 期")
def test_fix_spacing_keeps_space_between_digits(text: str) -> None:
    # the one exception: digits spaced out around a decimal point (6 0 4 4 . 8 6) are one letter-spaced number
    assume("." not in text)
    out = fix_spacing(text)
    # only spaces disappear (property above), so each digit-space-digit gap of the input maps to one of the output
    assert len(re.findall(r"(?=\d +\d)", out)) == len(re.findall(r"(?=\d +\d)", text))


@pytest.mark.parametrize("text", ["1 2", "编号 2022 3 号", "第 1 至 3 项中 2 4 两项"])
def test_fix_spacing_two_numbers_stay_two(text: str) -> None:
    assert re.search(r"\d \d", fix_spacing(text))


@FAST
@given(st.integers(0, 10**6), st.integers(0, 99))
def test_fix_spacing_decimal_survives(whole: int, frac: int) -> None:
    number = f"{whole}.{frac:02d}"
    assert fix_spacing(f"合计租赁面积 {number} 平方米") == f"合计租赁面积{number}平方米"


@FAST
@given(st.integers(1, 10**5), st.integers(1, 10**5), st.sampled_from(["-", "~", "至"]))
def test_fix_spacing_range_survives(low: int, high: int, dash: str) -> None:
    assert fix_spacing(f"价格在 {low} {dash} {high} 元") == f"价格在{low}{dash}{high}元"


@pytest.mark.parametrize(("spaced", "fixed"), [
    ("3 月 7 日", "3月7日"),
    ("新增 15 套公租房", "新增15套公租房"),
    ("合计租赁面积 6044.86平方米", "合计租赁面积6044.86平方米"),
    ("价格在 900-3000 元月租金不等", "价格在900-3000元月租金不等"),
    ("和 7 部门印发", "和7部门印发"),
    ("从分拨中心和较大规模网点 先行", "从分拨中心和较大规模网点先行"),
    ("工 作 简 报", "工作简报"),
])
def test_fix_spacing_examples(spaced: str, fixed: str) -> None:
    assert fix_spacing(spaced) == fixed


def test_fix_spacing_keeps_space_between_latin_words() -> None:
    assert fix_spacing("使用 Hello  World 系统") == "使用Hello World系统"



def test_wrapped_title_keeps_its_short_last_line() -> None:
    body = ("为进一步贯彻落实关心关爱快递小哥的指示批示精神，青浦邮政管理局始终积\n"
            "极对接地方有关部门，为辖区快递小哥落实房源，确保将快递业纳入公共服务\n"
            "类重点行业的工作落到实处。\n"
            "2022年新增15套公租房租赁，新增租赁面积909.98平方米，至此共推动100套\n"
            "公租房租赁给快递企业一线员工。\n")
    text = "青浦邮政管理局快递员公租房保障\n工作\n" + body + "松江邮政管理局召开座谈会\n" + body
    bulletin = parse_bulletin(text, "wrapped.txt")
    assert [a.title for a in bulletin.articles] == ["青浦邮政管理局快递员公租房保障工作", "松江邮政管理局召开座谈会"]
    assert all(not p.startswith("工作") for a in bulletin.articles for p in a.paragraphs)


def test_a_date_sentence_at_the_top_is_body_not_masthead() -> None:
    lines = ["浦东局召开专题会议", "2022年3月7日，浦东局召开专题会议。"]
    meta, rest = split_masthead(lines)
    assert meta.date is None
    assert rest == lines


def test_masthead_is_only_the_run_at_the_top() -> None:
    lines = ["上海邮政工作简报", "2022年第3期", "上海市邮政管理局 2022年3月15日", "闵行局推进公租房保障工作",
             "闵行局召开会议。", "二、基层通讯", "奉贤局开展检查"]
    meta, rest = split_masthead(lines)
    assert (meta.name, meta.number, meta.date) == ("上海邮政工作简报", "第3期", dt.date(2022, 3, 15))
    assert rest == lines[3:]


def test_section_heading_is_neither_title_nor_body() -> None:
    text = ("闵行局推进公租房保障工作\n闵行局新增公租房20套，累计达到120套。\n二、基层通讯\n"
            "奉贤局开展安全检查\n奉贤局检查快递企业15家。\n")
    bulletin = parse_bulletin(text, "sections.txt")
    assert [a.title for a in bulletin.articles] == ["闵行局推进公租房保障工作", "奉贤局开展安全检查"]
    assert all("基层通讯" not in a.text for a in bulletin.articles)


@pytest.mark.parametrize(("text", "kept"), [
    ("合计 3 5 8 2 1 6 人", "3 5 8 2 1 6"),  # a table row: six numbers, not 358216
    ("第 100. 2022年", "100. 2022"),  # a list's number, then a year
])
def test_numbers_are_not_glued(text: str, kept: str) -> None:
    assert kept in fix_spacing(text)


def test_a_number_ending_a_wrapped_line_does_not_end_its_paragraph() -> None:
    # pdfminer style: a blank line after every line, a trailing space closes a paragraph, and spaces around
    # numbers, so "… 468 " at a line end looks closed although the unit follows on the next line
    lines = ["闵行邮政管理局推进末端网点建设 ", "截至 2023 年 4 月底，闵行区累计建成快递末端网点 468 ",
             "个，其中设在居民小区内的网点 156 个。 ", "闵行局表示，将继续推进网点建设，方便居民收寄快 ",
             "件。 ", "宝山邮政管理局开展安全检查 ", "宝山局检查快递企业 58 家，发现隐患 23 处。 ",
             "下一步，宝山局将加强日常监管，确保寄递渠道安全。 "]
    bulletin = parse_bulletin("\n\n".join(lines) + "\n", "wrapped.txt")
    assert [a.title for a in bulletin.articles] == ["闵行邮政管理局推进末端网点建设", "宝山邮政管理局开展安全检查"]
    assert bulletin.articles[0].paragraphs[0] == "截至2023年4月底，闵行区累计建成快递末端网点468个，其中设在居民小区内的网点156个。"


def test_a_line_opening_with_a_figure_continues_the_sentence_before_it() -> None:
    # 广州's 通报 as a PDF gave it: the first line ends in "）" and a trailing space, as a title would; the next
    # opens "409 起、", which no title or paragraph does
    lines = ["一、全市生产安全事故情况 ", "（一）总体事故情况。 ", "今年 1-6 月份，全市发生生产安全事故（以下简称事故） ",
             "409 起、死亡 228 人，同比分别下降 7.5%、4.2%。 ", "2022 年，全市安全形势平稳。 "]
    bulletin = parse_bulletin("\n\n".join(lines) + "\n", "wrapped.txt")
    paragraphs = [p for a in bulletin.articles for p in a.paragraphs]
    assert "今年1-6月份，全市发生生产安全事故（以下简称事故）409起、死亡228人，同比分别下降7.5%、4.2%。" in paragraphs
    assert "2022年，全市安全形势平稳。" in paragraphs  # a year opening a paragraph is no figure running on


def test_a_trailing_space_after_every_line_does_not_end_every_line() -> None:
    # 广州's 通报: the extractor put a space after every line, so a space ends no paragraph by itself; a full-width
    # line of running text, or one where a new sentence has begun (死亡 11 人。发生较), runs on
    lines = ["4.建筑业。 ", "今年 1-6 月份，全市发生建筑业事故 31 起，死亡 32 人， ",
             "同比分别上升 24%、33.33%。其中，房屋建筑工程发生事故 ", "13 起，死亡 10 人；其他建筑业事故 15 起，死亡 11 人。发生较 ",
             "大建筑事故 1 起，死亡 9 人。 ", "5.道路运输业。 ", "今年 1-6 月份，全市发生道路运输事故 120 起。 "]
    bulletin = parse_bulletin("\n \n".join(lines) + "\n", "wrapped.txt")
    paragraphs = [p for a in bulletin.articles for p in a.paragraphs]
    assert ("今年1-6月份，全市发生建筑业事故31起，死亡32人，同比分别上升24%、33.33%。其中，房屋建筑工程发生事故13起，"
            "死亡10人；其他建筑业事故15起，死亡11人。发生较大建筑事故1起，死亡9人。") in paragraphs
