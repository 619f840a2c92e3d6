"""Example questions drawn from the newest bulletins, each one checked to be answered by its own figure."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.answering.engine import Engine
from index import ENUMERATED, Figure

MAX_BYTES = 56  # an example travels in a button's callback data (64 bytes with its prefix)
TRIES = 60  # candidates asked at most: bounded work however large the corpus
SCAN = 300  # the newest chunks looked at, for the same reason

_NOUN = re.compile(r"[\u4e00-\u9fff]{2,6}")
# units that count actions: 二次包装 is secondary packaging, and 多少次包装 no question anyone asks
_ACTIONS = frozenset("次 遍 回 趟 番".split())
_SUFFIXES = ("", "数", "总数", "数量", "总量")  # 快递网点 is measured as 快递网点数 too
# words that often stand next to a figure but name nothing it counts (八部门关于…, 100套用于…)
_NOT_NOUNS = frozenset("关于 对于 按照 根据 通过 进行 用于 以及 其中 同时 实现 开展 推动 完成 达到 包括 共计 合计 分别 "
                       "已经 正在 累计 新增 目前 其他 以上 左右 之间 最后 最终 最近 当前 现在 如今 首次 全年 年底 年初 "
                       "同比 环比 进一步 逐步 基本".split())  # (最后一百米 is the last stretch, not a 最后 measured)
# a count after these is what something can hold (可同时满足40余名快递小哥), not how many there are
_CAPACITY = re.compile(r"(?:满足|容纳|可供|供|接待|服务)$")


def example_questions(engine: Engine, limit: int = 3) -> list[str]:
    """Return up to limit questions the bot answers right, about different figures of the newest bulletins."""
    found: list[str] = []
    units: set[str | None] = set()
    for tries, (question, figure, noun) in enumerate(_candidates(engine)):
        if tries >= TRIES or len(found) >= limit:
            break
        if figure.unit in units or question in found or len(question.encode()) > MAX_BYTES:
            continue
        reply = engine.ask(question)
        best = reply.figures[0].figure if reply.found and reply.figures else None
        if best is not None and (best.chunk_id, best.start) == (figure.chunk_id, figure.start) \
                and _measures(best, noun):
            found.append(question)
            units.add(figure.unit)
    return found


def _candidates(engine: Engine) -> Iterator[tuple[str, Figure, str]]:
    """Questions a figure of the newest bulletins may answer, each with the noun it names."""
    library = engine.library
    for chunk in library.newest_chunks(SCAN):
        for figure in library.figures.get(chunk.id, ()):
            if figure.kind not in ("count", "measure", "money") or not figure.unit or figure.qualifier == ENUMERATED:
                continue  # (a count a list implies, 4个 of 甲、乙、丙和丁政府, names no noun it counts)
            place = figure.places[0] if figure.places else ""
            before = engine.segmenter.words(figure.before)
            after = engine.segmenter.words(figure.after)
            if figure.kind == "count" and figure.unit not in _ACTIONS and after and _is_noun(after[0], engine) \
                    and after[0] in chunk.title and not _CAPACITY.search(figure.before):
                # a counted thing the article is about (its title says it), not whatever word follows
                yield f"{place}有多少{figure.unit}{after[0]}", figure, after[0]
            if figure.kind == "money" and after and _is_noun(after[0], engine):
                yield f"{place}{after[0]}多少钱", figure, after[0]
            if figure.kind != "count" and before and _is_noun(before[-1], engine):
                yield f"{place}{before[-1]}是多少", figure, before[-1]


def _measures(figure: Figure, noun: str) -> bool:
    """Tell whether the figure measures the noun itself: 86名快递员报名参赛 counts entrants, not 快递员."""
    measure = figure.measure
    return measure == noun or (measure.startswith(noun) and measure[len(noun):] in _SUFFIXES) or (
        noun.endswith(measure) and len(measure) >= 2)  # 月租金 asked, 租金 measured


def _is_noun(word: str, engine: Engine) -> bool:
    return bool(_NOUN.fullmatch(word)) and word not in _NOT_NOUNS and word not in engine.segmenter.stopwords

