"""The shared word lists (corpus room): the words that make a figure new or a total, a rise or a fall, a plan, a
running total, a relative year — read by the figure parser and the question analysis alike, so both sides of a
comparison use the same words."""

from __future__ import annotations

import re
from collections.abc import Iterable

NEW = "新增"  # a new part of a total (新增15套), never added to one
# words that make a figure a total (共100套), as opposed to a new part of one (新增15套)
TOTAL_WORDS = frozenset("累计 合计 总计 总共 一共 共计 共有 共 总量 总数 总额".split())
UP_WORDS = ("增长", "增加", "提高", "上升", "提升")
DOWN_WORDS = ("下降", "减少", "降低", "回落")
CHANGE_WORDS = ("同比", "增长", "增速", "增幅", "下降", "减少")  # a rate of change asked (同比增长多少)
# a rate or an average is no amount: 同比增长5.8% and 4.2% do not add up to anything
NOT_ADDABLE_WORDS = frozenset("同比 增长 下降 减少 提高 增加 平均 人均 年均 每年 每月 每天".split())
PLAN_WORDS = ("计划", "力争", "目标", "预计", "争取", "拟", "将")  # before a figure: planned, not done
PLAN_ASKED_WORDS = ("还要", "还将", "计划", "目标", "预计", "力争", "打算", "准备", "将要", "拟")
# words that make a figure a running total; 共/共计/合计 only sum the parts of a period (本月共受理1099件)
RUNNING_WORDS = ("累计", "总计", "截至", "截止", "以来", "至今", "迄今")
RELATIVE_YEARS = ("今年", "去年", "明年", "前年", "本年度")  # read against the newest issue's year


def alternation(words: Iterable[str]) -> str:
    """A regex matching any of the words, tried in the order given."""
    return "|".join(re.escape(word) for word in words)


def direction(text: str) -> str | None:
    """Tell whether text says a rise ("up") or a fall ("down"), a rise first; None when neither."""
    if _UP.search(text):
        return "up"
    return "down" if _DOWN.search(text) else None


_UP = re.compile(alternation(UP_WORDS))
_DOWN = re.compile(alternation(DOWN_WORDS))
