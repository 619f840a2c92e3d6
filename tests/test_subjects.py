"""Subjects: the places and bodies bulletins name, and which of them a figure belongs to.

The sentences are copied from public bulletins in /work/shared/real-bulletins/ (file named by each constant), PDF
line breaks inside a sentence removed as a reader would; a few short made-up ones test a rule on its own.
"""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis.subjects import Subject, asks_about, same_subject, subject_of, subjects_in, subjects_of

FAST = settings(max_examples=300, deadline=None, database=None)

# fengcheng-12345-2024-12.txt
FENGCHENG = ("2024年12月我市承办工单量前十的单位分别为：市监局521件，河洲街道257件，教体局239件，孙渡街道229件，剑南街道216件，"
             "人社局174件，住建局172件，交警大队167件，剑光街道119件，公安局114件。")
# yifeng-rexian-2022-07.txt
YIFENG = "2.重复派发工单5件，占比率0.90% ，其中棠浦镇2件，双峰林场、市监局、供电公司各1件。"
YIFENG_RANKS = "据统计，本月办结群众诉求问题综合考核前三名的乡镇（场）分别为：桥西乡、花桥乡、黄岗镇、同安乡；"
# gaoan-12345-2023-10.txt: a tab-separated table, its header row and a row
GAOAN_HEADER = "乡镇（街道）\t办件数量\t提前办结率\t解决率\t重新派发次数\t延期次数\t按期办结率\t满意率"
GAOAN_ROW = "瑞州街办\t99\t94.95%\t64.29%\t1\t0\t100.00%\t100.00%"
# panzhihua-xiqu-zhengwu-2022-04.txt
PANZHIHUA_LIST = ("分别为：公安局西区分局 1 件、西区发展改革局 1 件、西区教育和体育局 1 件、西区经济和信息化局 4 件、"
                  "西区河门口街道办事处 1 件、西区清香坪街道金沙社区居民委员会 10 件（详见附件 2），对全区“一网通办”成绩排名造成了不好的影响。")
PANZHIHUA_LOWEST = "其中，区农业农村和交通运输局、区民政局的主动评价率最低，分别为 2.89% 和 56.32%。"
PANZHIHUA_HALLS = "格里坪镇、各街道便民服务大厅（含村、社区便民服务室）申请 6988 件，受理 6988 件，办结6988 件（见附件 3）。"
PANZHIHUA_OVERDUE = "3 月 17 日至 4 月 16 日，全区共产生 18 件超期件，并被市政府办通报。"
# panzhihua-xiqu-zhengwu-2022-09.txt and -12.txt
PANZHIHUA_BODIES = ("区发展改革局、区民政局、区人力资源社会保障局、区农业农村和交通运输局、区市场监管局的主动评价率未达到100%，"
                    "其中区农业农村和交通运输局主动评价率较低为69.32%。")
PANZHIHUA_STREETS = ("西区税务局、区人力资源社会保障局、区农业农村和交通运输局、清香坪街道和大宝鼎街道的主动评价率未达到100%，"
                     "其中清香坪街道和大宝鼎街道主动评价率较低分别为74.12%和50%。")
# tunxi-anwei-huitoukan.txt
TUNXI_GROUP = "近日，屯溪区安委会办公室牵头，由阳湖镇、区科技经信局、区消防救援大队和九龙园区等组成联合督查组"
TUNXI_JIULONG = "本次督查组分为3个组，九龙片区2组，检查企业101家；"
TUNXI_SHUAIXIN = "帅鑫片区1组，检查企定37家，需整改问61个，已整改完成56个，未整改到位5个，新发现安全隐患问题1个。"
# bayannaoer-dubiandugai-2025-p16-jiaoban.txt
BAYANNAOER = "6月13日，中央第二生态环境保护督察组向内蒙古自治区交办第十六批信访举报件，涉及巴彦淖尔市5件（重点关注2件），其中来电2件，来信3件。"
BAYANNAOER_LIST = "本批信访件涉及乌拉特中旗2件、乌拉特前旗1件、杭锦后旗1件、磴口县1件。"
# fengcheng-12345-2025-05.txt
FENGCHENG_BY = "其中，由教体局处理的关于教师归巢计划问题、学区划分问题，由秀市镇处理的关于迁户口问题及由卫健委处理的关于生育三胎津贴或优惠政策问题，经回访以满意办结；"
# the sample, data/bulletins/, and tests/data/bulletins/2023-03-xuhui-qingpu.txt (Shanghai)
SAMPLE_FENGXIAN = "会同奉贤区委组织部、金海街道、南桥镇和奉城镇政府等部门，分别在金海街道、南桥镇和奉城镇成立“骑乐融融”户外职工驿站"
XUHUI = "截至2月底，徐汇区2023年新增快递网点10个，全区累计设有快递网点130个，其中漕河泾街道新增4个、虹梅路街道新增2个。"


def names(text: str) -> list[str]:
    return [s.name for s in subjects_in(text)]


def owners(sentence: str, figure: str, nth: int = 0) -> list[str]:
    """Return the names subjects_of gives the nth occurrence of figure in sentence."""
    at = [m.start() for m in re.finditer(re.escape(figure), sentence)][nth]
    return [s.name for s in subjects_of(sentence, at, at + len(figure))]


# --- subjects_in: names, kinds and keys ----------------------------------------------------------------------

def test_a_ranked_list_of_streets_and_bodies() -> None:
    found = subjects_in(FENGCHENG)
    assert [s.name for s in found] == ["市监局", "河洲街道", "教体局", "孙渡街道", "剑南街道", "人社局", "住建局", "交警大队",
                                       "剑光街道", "公安局"]
    assert [s.kind for s in found[:2]] == ["body", "street"]
    assert all(FENGCHENG[s.start:s.end] == s.name for s in found)


def test_a_list_after_qizhong_and_ge() -> None:
    found = subjects_in(YIFENG)
    assert [(s.name, s.kind) for s in found] == [("棠浦镇", "town"), ("双峰林场", "zone"), ("市监局", "body"),
                                                 ("供电公司", "body")]


def test_townships_and_towns_but_not_the_word_for_them() -> None:
    assert names(YIFENG_RANKS) == ["桥西乡", "花桥乡", "黄岗镇", "同安乡"]  # 同安乡 keeps its 同; 乡镇（场） is no name


def test_a_table_row_label_and_its_header() -> None:
    [row] = subjects_in(GAOAN_ROW)
    assert (row.name, row.kind, row.key) == ("瑞州街办", "street", "瑞州街道")
    assert subjects_in(GAOAN_HEADER) == []  # 乡镇（街道）: the kinds, no name


def test_division_before_a_place_and_nested_places() -> None:
    found = {s.name: s for s in subjects_in(PANZHIHUA_LIST)}
    assert list(found) == ["公安局西区分局", "西区发展改革局", "西区教育和体育局", "西区经济和信息化局", "河门口街道办事处",
                           "清香坪街道", "金沙社区居民委员会"]
    assert found["河门口街道办事处"].key == "河门口街道"
    assert (found["金沙社区居民委员会"].kind, found["金沙社区居民委员会"].key) == ("community", "金沙社区")
    assert found["西区教育和体育局"].key == "教体局"


def test_official_names_that_join_portfolios_with_he() -> None:
    found = subjects_in(PANZHIHUA_BODIES)
    assert [s.name for s in found] == ["区发展改革局", "区民政局", "区人力资源社会保障局", "区农业农村和交通运输局",
                                       "区市场监管局", "区农业农村和交通运输局"]
    assert [s.key for s in found[:5]] == ["发改委", "民政局", "人社局", "农业农村和交通运输局", "市监局"]


def test_items_after_you_he_and_a_body_with_its_office() -> None:
    found = subjects_in(TUNXI_GROUP)
    assert [(s.name, s.kind) for s in found] == [("屯溪区安委会办公室", "body"), ("阳湖镇", "town"), ("区科技经信局", "body"),
                                                 ("区消防救援大队", "body"), ("九龙园区", "zone")]


def test_divisions_only_as_items_with_a_figure() -> None:
    assert [(s.name, s.kind) for s in subjects_in(BAYANNAOER_LIST)] == [
        ("乌拉特中旗", "division"), ("乌拉特前旗", "division"), ("杭锦后旗", "division"), ("磴口县", "division")]
    assert names(BAYANNAOER) == ["巴彦淖尔市"]  # 内蒙古自治区交办…: a region in prose, and 交办 is a verb
    assert names(XUHUI) == ["徐汇区", "漕河泾街道", "虹梅路街道"]


def test_subjects_after_verbs_and_prepositions() -> None:
    assert names(FENGCHENG_BY) == ["教体局", "秀市镇", "卫健委"]


def test_a_party_department_and_a_towns_government() -> None:
    found = subjects_in(SAMPLE_FENGXIAN)
    assert [s.name for s in found] == ["奉贤区委组织部", "金海街道", "南桥镇", "奉城镇", "金海街道", "南桥镇", "奉城镇"]
    assert found[0].key == "组织部"


@pytest.mark.parametrize("text", [
    "全区共产生18件超期件", "我县未收到疑似病例", "全镇", "本村", "我局", "该局", "区委", "市委、市政府",
    "乡镇（场）", "街道办事处", "局长讲话", "各便民服务中心", "请相关部门扎实开展", "城乡建设", "农村", "新农村建设",
    "表二：瑶海区各街道违法建设治理专项行动工作进度表",  # hefei-weijianzhili-2023-0815.txt
    "（13个镇街园，已拆除2368175㎡）", "（21个乡镇园区，已拆除598129㎡）",  # the same, kinds counted
    "（含村、社区便民服务室）",  # panzhihua-xiqu-zhengwu-2022-04.txt
    "其中转派县（市、区）及“三区”15390件",  # yichun-12345yuebao-2023-05.txt
    "设有休息区、充电区、阅读区，配备医药箱",  # tests/data/bulletins/2022-09-xuhui-changning.txt
    "将持续推动快递驿站向大型居住社区和城乡接合部延伸",  # tests/data/bulletins/2023-03-xuhui-qingpu.txt
    "形成“马上办”“网上办”等十类办理方式", "“一网通办”指标情况", "向内蒙古自治区交办第十六批信访举报件",
    "缘故有所改变", "党员干部", "快递末端网点布局", "杨浦区新增快递网点", "青浦区内100套公租房",
])
def test_no_subject(text: str) -> None:
    assert names(text) == []


def test_each_street_is_no_name() -> None:
    assert names("会同区商务委、各街道和快递企业") == ["区商务委"]  # tests/data/bulletins/2022-09-xuhui-changning.txt


def test_names_that_begin_like_a_conjunction_or_preposition() -> None:
    assert names("，和平街道12件，向化镇3件，同安乡1件") == ["和平街道", "向化镇", "同安乡"]
    assert names("区消防救援大队和九龙园区") == ["区消防救援大队", "九龙园区"]
    assert names("存在的问题和松江局保障快递员") == ["松江局"]  # 问题 is no portfolio: 和 ends the list item


def test_subjects_in_returns_a_fresh_list() -> None:
    first = subjects_in(YIFENG)
    first.clear()
    assert len(subjects_in(YIFENG)) == 4


# --- subjects_of: whose figure -------------------------------------------------------------------------------

@pytest.mark.parametrize(("figure", "owner"), [("521件", "市监局"), ("257件", "河洲街道"), ("239件", "教体局"),
                                               ("167件", "交警大队"), ("114件", "公安局")])
def test_each_figure_of_a_list_is_its_items(figure: str, owner: str) -> None:
    assert owners(FENGCHENG, figure) == [owner]


def test_ge_gives_one_figure_to_every_item() -> None:
    assert owners(YIFENG, "2件") == ["棠浦镇"]
    assert owners(YIFENG, "1件") == ["双峰林场", "市监局", "供电公司"]
    assert owners(YIFENG, "5件") == []  # 重复派发工单5件: the county's, named by no one
    assert owners(YIFENG, "0.90%") == []
    at = YIFENG.index("1件")
    assert subject_of(YIFENG, at, at + 2) == subjects_in(YIFENG)[1]  # the first of them
    assert subject_of(YIFENG, YIFENG.index("5件"), YIFENG.index("5件") + 2) is None


def test_a_table_rows_figures_are_its_labels() -> None:
    assert {tuple(owners(GAOAN_ROW, cell)) for cell in ("99", "94.95%", "64.29%")} == {("瑞州街办",)}
    assert owners("合计\t553\t100%", "553") == []  # a row labelled by no subject
    table = f"{GAOAN_HEADER}\n{GAOAN_ROW}\n筠阳街办\t98\t87.76%"
    assert owners(table, "98") == ["筠阳街办"]
    assert owners(table, "99") == ["瑞州街办"]


def test_a_clause_opening_subject_carries_over_its_sentence() -> None:
    for figure in ("1组", "37家", "61个", "56个", "5个"):
        assert owners(TUNXI_SHUAIXIN, figure) == ["帅鑫片区"]
    assert owners(TUNXI_JIULONG, "101家") == ["九龙片区"]
    assert owners(TUNXI_JIULONG, "3个") == []  # the inspection's groups, before 九龙片区 is named
    assert owners(BAYANNAOER, "2件", 0) == ["巴彦淖尔市"]  # （重点关注2件）
    assert owners(BAYANNAOER, "3件") == ["巴彦淖尔市"]


def test_a_list_whose_items_each_have_a_figure_does_not_carry() -> None:
    assert owners(PANZHIHUA_LIST, "4 件") == ["西区经济和信息化局"]
    assert owners(PANZHIHUA_LIST, "10 件") == ["金沙社区居民委员会"]  # the community, not the street it lies in
    assert owners(PANZHIHUA_LIST, "2") == []  # 详见附件 2: a reference


def test_fenbie_deals_figures_out_in_order() -> None:
    assert owners(PANZHIHUA_LOWEST, "2.89%") == ["区农业农村和交通运输局"]
    assert owners(PANZHIHUA_LOWEST, "56.32%") == ["区民政局"]
    assert owners(PANZHIHUA_STREETS, "74.12%") == ["清香坪街道"]
    assert owners(PANZHIHUA_STREETS, "50%") == ["大宝鼎街道"]
    # a threshold all of a list failed to reach is all of theirs
    assert owners(PANZHIHUA_STREETS, "100%") == ["西区税务局", "区人力资源社会保障局", "区农业农村和交通运输局", "清香坪街道",
                                                 "大宝鼎街道"]
    assert owners(PANZHIHUA_BODIES, "69.32%") == ["区农业农村和交通运输局"]


def test_a_bracketed_count_is_the_subjects_it_follows() -> None:
    assert owners("查处占道经营问题，城管执法局（247件）、市监局（52件）", "247件") == ["城管执法局"]
    assert owners("查处占道经营问题，城管执法局（247件）、市监局（52件）", "52件") == ["市监局"]


def test_no_one_item_owns_a_figure_of_many_or_of_the_whole() -> None:
    assert owners(PANZHIHUA_HALLS, "6988 件", 0) == []  # 格里坪镇 and 各街道 together
    assert owners(PANZHIHUA_OVERDUE, "18 件") == []  # 全区
    assert owners(XUHUI, "130个") == []  # 全区累计
    assert owners(XUHUI, "4个") == ["漕河泾街道"]
    assert owners(XUHUI, "10个") == ["徐汇区"]
    assert owners("当月办结3780件，提前率72.25%。", "3780件") == []


# --- same_subject and asks_about -----------------------------------------------------------------------------

@pytest.mark.parametrize(("asked", "named"), [
    ("金沙社区", "金沙社区居委会"), ("金沙社区", "金沙社区居民委员会"), ("金沙居委会", "金沙社区"), ("瑞州街道", "瑞州街办"),
    ("河门口街道", "河门口街道办事处"), ("棠浦", "棠浦镇"), ("棠浦镇", "棠浦"), ("五角场街道", "杨浦区五角场街道"),
    ("城管局", "城管执法局"), ("城市管理局", "城管局"), ("市监局", "区市场监管局"), ("人社局", "区人力资源社会保障局"),
    ("行政审批局", "西区行政审批局"), ("宣传部", "县委宣传部"), ("住建局", "区住建局"), ("杨浦", "杨浦区"),
    ("乌拉特中旗", "乌拉特中旗"), ("卫健委", "县卫生健康局"),
])
def test_same_subject(asked: str, named: str) -> None:
    assert same_subject(asked, named)


@pytest.mark.parametrize(("asked", "named"), [
    ("杨浦区", "五角场街道"), ("五角场街道", "杨浦区"), ("杨浦区", "杨浦区五角场街道"), ("棠浦镇", "棠浦乡"),
    ("棠浦镇", "新昌镇"), ("市监局", "人社局"), ("金沙社区", "金沙村"), ("清香坪街道", "金沙社区居民委员会"),
    ("城管局", "公安局"), ("区委", "区委组织部"), ("棠", "棠浦镇"),
])
def test_not_the_same_subject(asked: str, named: str) -> None:
    assert not same_subject(asked, named)


def test_asks_about() -> None:
    [tangpu] = [s for s in subjects_in(YIFENG) if s.name == "棠浦镇"]
    assert asks_about("棠浦镇重复派发了几件？", tangpu)
    assert asks_about("棠浦重复派发了几件", tangpu)
    assert not asks_about("棠浦乡重复派发了几件", tangpu)
    assert not asks_about("双峰林场重复派发了几件", tangpu)
    [community] = [s for s in subjects_in(PANZHIHUA_LIST) if s.kind == "community"]
    assert asks_about("金沙社区有几件超期件", community)
    [bureau] = [s for s in subjects_in(PANZHIHUA_BODIES) if s.key == "市监局"]
    assert asks_about("市监局的主动评价率是多少", bureau)
    assert not asks_about("杨浦区有多少快递网点", Subject("五角场街道", "street", 0, 5, "五角场街道"))
    [banner] = subjects_in(BAYANNAOER_LIST)[:1]
    assert asks_about("乌拉特中旗有几件信访件", banner)  # a division in a question is no list item, but is asked about


@pytest.mark.parametrize(("question", "subject"), [
    ("市监局办了多少件？", "市监局"), ("金沙社区居委会有几个超期件", "金沙社区居委会"), ("杨浦区五角场街道有多少快递网点", "五角场街道"),
    ("瑞州街办的满意率是多少", "瑞州街办"), ("哪个街道承办的工单最多", None), ("全区有多少超期件", None),
])
def test_subjects_in_questions(question: str, subject: str | None) -> None:
    assert names(question) == ([subject] if subject else [])


# --- properties ----------------------------------------------------------------------------------------------

_PIECES = st.sampled_from([*"镇乡村区县市旗局委办队所院部街道社中心公司园片林场农和与及由在向的各全本我其中、，；：（）\t\n 0123456789%件个",
                           "五角场", "棠浦", "市监", "城管执法", "金沙", "居委会", "分别为", "其中", "涉及", "和平", "人力资源"])


@FAST
@given(st.lists(_PIECES, max_size=40).map("".join), st.data())
def test_subjects_are_ordered_disjoint_names_of_the_text(text: str, data: st.DataObject) -> None:
    found = subjects_in(text)
    assert all(0 <= s.start < s.end <= len(text) and text[s.start:s.end] == s.name and s.key for s in found)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert set(subjects_of(text, start, end)) <= set(found)
