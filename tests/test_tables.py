"""Tables as extracted from real bulletins (tab, space and one-cell-per-line shapes) become rows naming their columns."""

from __future__ import annotations

from index.reading.tables import linearize_tables


def _lines(text: str) -> list[str]:
    return text.strip("\n").split("\n")


def test_a_tab_table_names_each_cell_by_its_column() -> None:
    out = linearize_tables(["单位\t办件数量\t解决率", "瑞州街办\t99\t64.29%", "筠阳街办\t76\t70.00%", "其后正文。"])
    assert out == ["瑞州街办：办件数量99，解决率64.29%；筠阳街办：办件数量76，解决率70.00%；", "其后正文。"]


def test_a_statistics_table_under_a_header_line_keeps_its_unit_column_on_amounts_only() -> None:
    # 福建省民政厅 社会服务统计月报: 指标名称 单位 数量 上期 环比, the column numbers, section headings between rows
    text = """
指标名称 单位 数量 上期 环比
1 2 3
一、综合
2.社会救助支出 万元 164,547.9 152,105.7 8.18
（1）城市低保人数 75,616 75,916 -0.40
其中：当月新增城市低保人数 553
城市低保户数 47,396 47,596 -0.42
二、社会工作
本月全省低保工作平稳，详见附表。
城市低保户数 47,396 47,596
"""
    out = linearize_tables(_lines(text))
    assert out[0] == "一、综合"
    assert out[1] == ("社会救助支出：数量164,547.9万元，上期152,105.7万元，环比8.18；"  # 环比 is a change: no 万元
                      "城市低保人数：数量75,616，上期75,916，环比-0.40；其中：当月新增城市低保人数：数量553；"
                      "城市低保户数：数量47,396，上期47,596，环比-0.42；")
    assert out[2] == "二、社会工作"
    # after running text the header no longer holds: a line that merely ends in numbers stays as written
    assert out[-2:] == ["本月全省低保工作平稳，详见附表。", "城市低保户数 47,396 47,596"]


def test_spaced_numbers_without_a_header_are_left_alone() -> None:
    lines = ["共办结宜春市一级平台下派工单 553", "城市低保户数 47,396 47,596"]
    assert linearize_tables(lines) == lines


def test_one_cell_per_line_rows_under_a_header_and_a_caption() -> None:
    # 宜丰县政府服务热线: the header's asides (（≥80%达标）) sit on lines of their own
    text = """
乡镇（场）工单量排名前五：
单位
完成件数
快速办结率
（≥80%达标）
满意占比
新昌镇
23
60.87%
50.00%
流转中
14
/
92.86%
"""
    assert linearize_tables(_lines(text)) == [
        "乡镇（场）工单量排名前五：",
        "新昌镇：完成件数23，快速办结率60.87%，满意占比50.00%；流转中：完成件数14，满意占比92.86%；"]


def test_a_transposed_table_takes_its_unit_from_the_row_label() -> None:
    text = "工单类型\n投诉类\n举报类\n求助类\n工单数量（件）\n399\n106\n18\n合计（件）\n553\n\n二、存在问题"
    assert linearize_tables(_lines(text)) == [
        "工单数量：投诉类399件，举报类106件，求助类18件；合计：553件；", "", "二、存在问题"]


def test_values_spanning_the_rows_go_with_the_header_names_they_stand_under() -> None:
    # 宜春12345 月报: 受理总量 spans the rows of two side-by-side tables; a heading follows the last row
    text = "受理总量\n诉求来源\n数量\n占比\n38447\n电话\n34859\n90.67%\n微信微博\n2724\n7.09%\n（二）责任单位接诉情况分析"
    assert linearize_tables(_lines(text)) == [
        "受理总量：38447；电话：数量34859，占比90.67%；微信微博：数量2724，占比7.09%；", "（二）责任单位接诉情况分析"]


def test_short_lines_and_a_page_number_are_no_table() -> None:
    lines = ["一、受理情况", "（一）总体情况", "3", "本月受理各类诉求38447件，同比下降24.85%。", "二、存在问题", "12"]
    assert linearize_tables(lines) == lines
