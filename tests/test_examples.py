"""The example questions /start and the web page offer: each is answered by the figure it was made from, and that
figure measures what the question names."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.answering.engine import Engine
from bot.answering.examples import example_questions
from helpers import ingest_files
from index import Segmenter, Store

# 二次包装 is secondary packaging (no count of 包装), and 86名快递员报名参赛 counts entrants (not 普陀's couriers):
# both round-trip to their own figure, and neither answers the question it would make
TRAPS = """快递工作简报
第9期
某市邮政管理局办公室                2024年6月3日

普陀区推进快递包装绿色转型
普陀区推进快递包装绿色转型，全面减少二次包装，全区快递网点达到120个。

嘉定区举办快递员职业技能竞赛
嘉定区举办快递员职业技能竞赛，共有86名快递员报名参赛。

普陀区快递网点建设
普陀区今年新建快递网点，累计建成45个快递网点。

徐汇区建设快递小哥驿站
徐汇区打通快递服务最后一百米，驿站可同时满足40余名快递小哥休息。
"""


def _examples(db: Path) -> list[str]:
    async def load() -> Engine:
        async with await Store.open(db, create=False) as store:
            return await Engine.load(store, Segmenter())
    return example_questions(asyncio.run(load()), limit=10)


def test_examples_name_what_their_figure_measures(tmp_path: Path) -> None:
    bulletin = tmp_path / "traps.txt"
    bulletin.write_text(TRAPS, encoding="utf-8")
    db = tmp_path / "x.db"
    [result] = ingest_files(db, [bulletin])
    assert result.status == "added", result
    examples = _examples(db)
    assert "普陀有多少次包装" not in examples
    assert "嘉定有多少名快递员" not in examples
    assert "徐汇最后是多少" not in examples  # 最后一百米: the last stretch
    assert "徐汇有多少名快递小哥" not in examples  # what a station can hold, not how many there are
    assert "普陀有多少个快递网点" in examples  # a figure that does measure what it names is still offered


def test_the_samples_examples_each_answer_with_their_own_figure(sample_db: Path) -> None:
    assert _examples(sample_db) == ["青浦有多少套公租房", "青浦租赁面积是多少", "青浦月租金多少钱"]
