"""Shared helpers for the tests: the sample bulletin, real PDF/.docx files made from it, running the CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import io
import json
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "bulletins" / "000_1fd2e1b186c74ed6.txt"
SAMPLE_NAME = SAMPLE.name

# question -> what the answer must say (on the sample bulletin, whatever format it came in)
FIGURE_ANSWERS: dict[str, tuple[float, float | None, str]] = {
    "青浦有多少套公租房": (100, None, "套"),
    "青浦2022年新增多少套公租房": (15, None, "套"),
    "青浦的公租房一共租赁了多少平方米": (6044.86, None, "平方米"),
    "青浦公租房的房租多少钱一个月": (900, 3000, "元"),
}
TEXT_ANSWERS: dict[str, str] = {
    "浦东邮政管理局哪天与区总工会召开专题会议": "3月7日",
    "奉贤依托行业党建联盟成立的驿站叫什么": "骑乐融融",
}
NOT_FOUND = ("松江有多少套公租房", "宝山的快递员有多少人", "闵行有多少套公租房")

# a second issue that answers what the sample cannot (嘉定's parcel stations)
JIADING_NAME = "jiading-05.txt"
JIADING_TEXT = """邮政管理工作简报
第5期
上海市邮政管理局办公室                2023年5月20日

嘉定局推进快递驿站建设
今年以来，嘉定局积极推进快递末端服务设施建设，在全区12个街镇新建快递驿站，累计建成45个快递驿站，服务社区居民约8万人。下一步，嘉定局将继续完善末端网络布局。
"""
JIADING_QUESTION = "嘉定建成了多少个快递驿站"
JIADING_FIGURE = "45个"

# an article's text as stored: its chunks, in order (SQL, for a query aliasing articles as a)
ARTICLE_TEXT = ("(SELECT group_concat(text, char(10)) FROM"
                " (SELECT text FROM chunks WHERE article_id = a.id ORDER BY ordinal))")

CONTRACT_KEYS = {"question", "found", "answer", "figures", "sources"}
FIGURE_KEYS = {"text", "value", "value_max", "unit", "sentence", "document", "title"}
SOURCE_KEYS = {"document", "title", "text", "score"}

MASTHEAD_NAME = "上海邮政快递行业精神文明建设工作简报"
MASTHEAD_NUMBER = "第3期"
MASTHEAD_DATE = "2022年3月15日"
MASTHEAD_ISO = "2022-03-15"

_CJK = "\u3400-\u9fff"


def sample_structure() -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Return the sample's articles as (title, paragraphs) and its 报：/送： lines, read independently of index/.

    In the sample text (a PDF extraction) a line ending in a space closes its paragraph; a block without
    a full stop that is short is a title, and consecutive title blocks form one title.
    """
    blocks: list[str] = []
    current = ""
    for raw in SAMPLE.read_text(encoding="utf-8").split("\n"):
        if not raw.strip():
            continue
        current += raw.strip()
        if raw != raw.rstrip():
            blocks.append(current)
            current = ""
    if current:
        blocks.append(current)
    blocks = [_tidy(b) for b in blocks]
    cut = next(i for i, b in enumerate(blocks) if b.startswith("报："))
    body, distribution = blocks[:cut], blocks[cut:]
    articles: list[tuple[str, list[str]]] = []
    for block in body:
        is_title = "。" not in block and len(block) <= 40
        if is_title and (not articles or articles[-1][1]):
            articles.append((block, []))
        elif is_title:
            articles[-1] = (articles[-1][0] + block, [])
        else:
            articles[-1][1].append(block)
    return articles, distribution


def _tidy(text: str) -> str:
    """Drop the spaces a PDF extractor put around numbers (3 月 7 日 -> 3月7日)."""
    text = re.sub(rf"(?<=[{_CJK}，。、；：“”《》（）]) +", "", text)
    return re.sub(rf" +(?=[{_CJK}，。、；：“”《》（）])", "", text).strip()


def wrap(text: str, width: int) -> list[str]:
    """Cut text into lines of at most width characters (CJK text wraps anywhere)."""
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]


def make_sample_pdf(path: Path, *, width: int = 26) -> Path:
    """Lay the sample bulletin out as a real PDF: masthead, wrapped paragraphs, titles, page footers."""
    articles, distribution = sample_structure()
    masthead = [MASTHEAD_NAME, MASTHEAD_NUMBER, f"上海市邮政管理局                {MASTHEAD_DATE}"]
    return layout_pdf(path, articles, masthead=masthead, distribution=distribution, width=width)


def layout_pdf(path: Path, articles: Sequence[tuple[str, Sequence[str]]], *, masthead: Sequence[str] = (),
               distribution: Sequence[str] = (), width: int = 26) -> Path:
    """Write a real PDF (reportlab, CID font STSong-Light) laid out like a printed bulletin.

    Paragraphs wrap every width characters with a two-character indent, titles are centred in balanced
    lines, each page ends in a "— n —" footer.
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    size, leading = 15.0, 24.0
    page_w, page_h = A4
    left, top, bottom = 70.0, page_h - 70.0, 90.0

    pdf = canvas.Canvas(str(path), pagesize=A4)
    page = 1
    y = top

    def footer() -> None:
        pdf.setFont("STSong-Light", 12)
        pdf.drawCentredString(page_w / 2, 45, f"— {page} —")

    def line(text: str, *, font_size: float = size, x: float = left) -> None:
        nonlocal y, page
        if y < bottom:
            footer()
            pdf.showPage()
            page += 1
            y = top
        pdf.setFont("STSong-Light", font_size)
        pdf.drawString(x, y, text)
        y -= leading

    for i, text in enumerate(masthead):
        line(text, font_size=20 if i == 0 else size, x=left if i != 1 else page_w / 2 - 20)
    if masthead:
        y -= leading
    for title, paragraphs in articles:
        rows = -(-len(title) // (width - 6))  # a title is centred in balanced lines, as in print
        for part in wrap(title, -(-len(title) // rows)):
            line(part, x=(page_w - len(part) * size) / 2)
        y -= leading / 2
        for paragraph in paragraphs:
            for part in wrap("\u3000\u3000" + paragraph, width):
                line(part)
        y -= leading / 2
    for text in distribution:
        for part in wrap(text, width):
            line(part)
    footer()
    pdf.save()
    return path


def make_sample_docx(path: Path) -> Path:
    """Write the sample bulletin as a real .docx: one paragraph per title and per body paragraph."""
    import docx

    articles, distribution = sample_structure()
    document = docx.Document()
    document.add_paragraph(MASTHEAD_NAME)
    document.add_paragraph(f"{MASTHEAD_NUMBER}    {MASTHEAD_DATE}")
    for title, paragraphs in articles:
        document.add_heading(title, level=2)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    for text in distribution:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def docx_bytes(paragraphs: Sequence[str]) -> bytes:
    """Return a small real .docx holding paragraphs."""
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def blank_pdf(path: Path) -> Path:
    """Write a one-page PDF with nothing on the page (what a scan without OCR looks like to pypdf)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with path.open("wb") as f:
        writer.write(f)
    return path


def encrypted_copy(source: Path, path: Path, password: str = "secret", *, user_password: str | None = None) -> Path:
    """Write a password-protected copy of a PDF (user_password "" = anyone may open it, only the owner may edit)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password=password if user_password is None else user_password, owner_password=password,
                   algorithm="RC4-128")
    with path.open("wb") as f:
        writer.write(f)
    return path


def query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Run one read query on the SQLite file directly (not through Store)."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def counts(db: Path) -> dict[str, int]:
    """Count the rows of every corpus table, straight from the SQLite file."""
    with closing(sqlite3.connect(db)) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("bulletins", "articles", "chunks", "figures")}


def isolate_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep a test module away from $HOME: one session-wide jieba cache folder, no inherited BULLETIN_DB."""
    base = tmp_path_factory.getbasetemp()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BULLETIN_CACHE_DIR", str(base / "bulletin-cache"))
        mp.setenv("XDG_DATA_HOME", str(base / "xdg-data"))
        mp.delenv("BULLETIN_DB", raising=False)
        for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_BASE_URL", "TELEGRAM_BASE_FILE_URL"):
            mp.delenv(name, raising=False)
        for name in list(os.environ):
            if name.startswith("BULLETIN_") and name != "BULLETIN_CACHE_DIR":  # unknown ones would stop every command
                mp.delenv(name)
        mp.setenv("PTB_TIMEDELTA", "true")  # PTB 22 warns while building RetryAfter otherwise (the 429 path)
        yield


@functools.cache
def segmenter() -> Any:
    """One Segmenter for the whole session (building one takes about a second)."""
    from index import Segmenter

    return Segmenter()


def ingest_files(db: Path, paths: Sequence[Path]) -> list[Any]:
    """Ingest paths into the database at db; return the IngestResults."""
    from index import Store, ingest_paths

    async def run() -> list[Any]:
        async with await Store.open(db) as store:
            return await ingest_paths(store, segmenter(), list(paths))

    return asyncio.run(run())


def ingest_one(db: Path, data: bytes, name: str) -> Any:
    """Ingest one document given as bytes into the database at db; return its IngestResult."""
    from index import Store, ingest_bytes

    async def run() -> Any:
        async with await Store.open(db) as store:
            return await ingest_bytes(store, segmenter(), data, name)

    return asyncio.run(run())


def ask_all(db: Path, questions: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Answer questions from the database at db as the CLI's JSON objects (without seeding)."""
    from bot.answering.engine import Engine
    from bot.answering.render import to_json
    from index import Store

    async def load() -> Engine:
        async with await Store.open(db) as store:
            return await Engine.load(store, segmenter())

    engine = asyncio.run(load())
    return {q: json.loads(json.dumps(to_json(engine.ask(q)), ensure_ascii=False)) for q in questions}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    """Run the real CLI in-process; return (exit status, stdout, stderr)."""
    capsys.readouterr()
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(err: str) -> None:
    """stderr holds exactly one line, "error: ...", and no traceback."""
    assert err.startswith("error: "), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err, err


def db_fingerprint(db: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Row counts plus (document, sha256) of every stored bulletin: what an ingest may change."""
    with closing(sqlite3.connect(db)) as conn:
        docs = conn.execute("SELECT document, sha256 FROM bulletins ORDER BY id").fetchall()
    return counts(db), docs


def stored_chunks(db: Path) -> list[Any]:
    """Every indexed chunk with its terms and figures, read straight from the SQLite file: an oracle for the index."""
    from index.models import Chunk, Figure
    from index.records import StoredChunk

    with closing(sqlite3.connect(db)) as conn:
        figure_rows = conn.execute(
            # the sentence is where it stands in the chunk's text, a heading joined across its line break
            'SELECT f.chunk_id, f.text, value, value_max, unit, kind, start, "end",'
            " replace(substr(c.text, sentence_start + 1, sentence_end - sentence_start), char(10), ''), qualifier,"
            " approx, words_before, words_after, places, period, measure, sentence_start, sentence_end"
            " FROM figures f JOIN chunks c ON c.id = f.chunk_id"
            " WHERE chunk_id IN (SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id"
            "   JOIN bulletins b ON b.id = a.bulletin_id WHERE b.state = 'indexed') ORDER BY f.id").fetchall()
        chunk_rows = conn.execute(
            "SELECT c.id, b.document, a.title, c.text, c.ordinal, a.id, a.place, b.issue_date,"
            " trim(coalesce(b.issue_name, '') || ' ' || coalesce(b.issue_number, '')), b.issue_period, c.tokens"
            " FROM chunks c JOIN articles a ON a.id = c.article_id JOIN bulletins b ON b.id = a.bulletin_id"
            " WHERE b.state = 'indexed' ORDER BY b.id, a.ordinal, c.ordinal").fetchall()
    figures: dict[int, list[Figure]] = {}
    for r in figure_rows:
        figures.setdefault(r[0], []).append(Figure(
            text=r[1], value=r[2], value_max=r[3], unit=r[4], kind=r[5], start=r[6], end=r[7], sentence=r[8],
            qualifier=r[9], approx=r[10], before=r[11], after=r[12], places=tuple(p for p in r[13].split(",") if p),
            period=r[14], chunk_id=r[0], measure=r[15], span=(r[16], r[17])))
    return [StoredChunk(Chunk(id=r[0], document=r[1], title=r[2], text=r[3], ordinal=r[4], article_id=r[5],
                              place=r[6], issue_date=dt.date.fromisoformat(r[7]) if r[7] else None,
                              issue=r[8] or None, issue_period=r[9]),
                        tuple(r[10].split()), tuple(figures.get(r[0], ())))
            for r in chunk_rows]


@asynccontextmanager
async def running_bot(fake: Any, db: Path, admins: frozenset[int] = frozenset({7001}),
                      limits: Any = None) -> AsyncIterator[Any]:
    """The real bot Application polling the fake Bot API, started as run_polling starts it (post_init included) and
    stopped cleanly afterwards."""
    from bot.ops.settings import BotSettings
    from bot.telegram.app import build_application
    from fakebot import TOKEN
    from index import LIMITS

    settings = BotSettings(token=TOKEN, admin_ids=admins, base_url=fake.base_url, base_file_url=fake.base_file_url,
                           limits=limits or LIMITS)
    app = build_application(settings, db)
    async with app:
        assert app.post_init is not None
        assert app.post_shutdown is not None
        await app.post_init(app)
        await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()
            await app.post_shutdown(app)
