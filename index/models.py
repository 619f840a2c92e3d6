"""The corpus vocabulary: small frozen dataclasses shared by every part of the index."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IssueMeta:
    """What a bulletin's header says about the issue (each part optional)."""

    series: str | None = None  # the publication's name, e.g. 上海邮政快递行业精神文明建设工作简报, 安全生产形势通报
    number: str | None = None  # e.g. 第3期 (Chinese numerals written as digits: 第十六期 -> 第16期)
    date: dt.date | None = None  # the date it was issued
    period: str | None = None  # the period it covers, e.g. 2024年12月, 2025年1至5月, 2020年一季度, 截至2023年6月23日

    @property
    def name(self) -> str | None:
        """The series: what the masthead names the publication (the name this field had before series)."""
        return self.series


@dataclass(frozen=True, slots=True)
class Article:
    """One article of a bulletin: its title and cleaned paragraphs."""

    title: str
    paragraphs: tuple[str, ...]
    place: str | None = None  # the district the article is about, if its title names one

    @property
    def text(self) -> str:
        """Return the article body, paragraphs separated by newlines."""
        return "\n".join(self.paragraphs)


@dataclass(frozen=True, slots=True)
class Bulletin:
    """A parsed bulletin issue, ready to be chunked and stored."""

    document: str  # the file name it was read from
    meta: IssueMeta
    articles: tuple[Article, ...]
    distribution: str = ""  # the 报：/送： list, kept as metadata, never answered from


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of one article: the unit that is ranked and quoted."""

    id: int
    document: str
    title: str
    text: str
    ordinal: int = 0
    article_id: int = 0
    place: str | None = None
    issue_date: dt.date | None = None
    issue: str | None = None  # the issue's series and number (宜丰县政府服务热线诉求情况报告 第7期)
    issue_period: str | None = None  # the period the issue covers (2024年12月, 2019年1至11月)


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked chunk; score is always > 0."""

    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True, slots=True)
class Figure:
    """A number in the text with its unit and context, as found at ingest."""
    # value has 万/亿 applied (11.42亿元 -> 1142000000, unit 元); a range keeps its upper end in value_max.

    text: str  # the exact span, e.g. "100 套" or "900-3000 元"
    value: float
    value_max: float | None
    unit: str | None
    kind: str  # count | measure | money | percent | time | date | year | ordinal | number
    start: int  # span within sentence
    end: int
    sentence: str
    qualifier: str | None = None  # 新增 / 累计 / 共 / 合计 / 其中 / 约 / 余 / 超过 …
    approx: str | None = None  # 约 / 近 / 余 / 多 / 超过 / 以上 …
    before: str = ""  # the clause's words before it, which name what it measures: 合计租赁面积
    after: str = ""  # the clause's words after it, the noun a count counts: 100套 -> 公租房租赁给快递
    places: tuple[str, ...] = ()  # districts the sentence names (canonical short forms)
    period: str | None = None  # e.g. 2022年
    chunk_id: int = 0
    measure: str = ""  # the noun phrase it counts or measures: 公租房, 租赁面积, 快递网点 ("" when none is found)
    span: tuple[int, int] = (0, 0)  # where its sentence stands in its chunk's text: stored instead of a copy
