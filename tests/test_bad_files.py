"""The bad-file zoo: damaged, hostile and oversized documents are refused with one line, in bounded time, storing nothing.

Every file is made here, in memory or under tmp_path: bombs are built as compressed streams (well under 1 MB on
disk) that inflate to hundreds of MB only inside the reading child.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import shutil
import struct
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import (
    JIADING_NAME,
    JIADING_TEXT,
    db_fingerprint,
    docx_bytes,
    encrypted_copy,
    ingest_files,
    layout_pdf,
    make_sample_docx,
    run_cli,
    segmenter,
)
from index import LIMITS, IngestResult, Limits, Store, ingest_bytes
from index.reading.sources import extract_text

BOUND = 20.0  # seconds any one refusal may take: a guard against a hang, not a benchmark
MB = 1 << 20
SPACES = b" " * MB

PARAGRAPH = ("今年以来，嘉定邮政管理局持续推进快递末端网点标准化建设，累计完成37个网点的改造提升，"
             "进一步改善了快递员的工作环境，提升了末端服务质量和群众满意度，取得了阶段性成效。")
ARTICLE = ("嘉定邮政管理局推进快递网点标准化建设", [PARAGRAPH])


# --- making the zoo ------------------------------------------------------------------------------


def hand_pdf(content: bytes, *, flate: bool = False) -> bytes:
    """A minimal valid one-page PDF, written object by object with a correct xref, around a content stream.

    content is the page's content stream as stored (already FlateDecode-compressed when flate is set).
    """
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d%s >>\nstream\n" % (len(content), b" /Filter /FlateDecode" if flate else b"")
        + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


HELLO = b"BT /F1 12 Tf 72 720 Td (Songjiang has 999 flats) Tj ET"


def pdf_bomb(megabytes: int) -> bytes:
    """A valid PDF whose page content is HELLO followed by megabytes MiB of spaces, FlateDecode-compressed.

    The stream is compressed a MiB at a time (run-length strategy: fast, and about 1 KB per MiB of spaces).
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    parts = [compressor.compress(HELLO + b"\n")]
    parts.extend(compressor.compress(SPACES) for _ in range(megabytes))
    parts.append(compressor.flush())
    return hand_pdf(b"".join(parts), flate=True)


def zip_archive(entries: Iterable[tuple[str, Iterable[bytes], int]]) -> bytes:
    """A zip archive written by hand: each entry (name, pieces, zlib strategy) deflated piece by piece.

    zipfile's own writer has no choice of strategy: zlib.Z_RLE deflates hundreds of MB of spaces about three
    times faster than the default, and as small.
    """
    out, central, count = bytearray(), bytearray(), 0
    for name, pieces, strategy in entries:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15, 9, strategy)
        body, crc, size = bytearray(), 0, 0
        for piece in pieces:
            crc, size = zlib.crc32(piece, crc), size + len(piece)
            body += compressor.compress(piece)
        body += compressor.flush()
        encoded = name.encode()
        fields = (8, 0, 0x21, crc, len(body), size, len(encoded), 0)  # deflate, 1980-01-01, sizes, name length
        central += struct.pack("<IHHH", 0x02014B50, 20, 20, 0) + struct.pack("<HHHIIIHH", *fields)
        central += struct.pack("<HHHII", 0, 0, 0, 0, len(out)) + encoded
        out += struct.pack("<IHH", 0x04034B50, 20, 0) + struct.pack("<HHHIIIHH", *fields) + encoded + body
        count += 1
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(out), 0)
    return bytes(out + central + end)


def padded_docx(megabytes: int, *, piece: int) -> bytes:
    """A real .docx whose word/document.xml carries megabytes MiB of whitespace before </w:body>.

    The whitespace comes in runs of piece MiB, each after an empty paragraph <w:p/>; libxml2 refuses a single
    text node over 10 MB, so small pieces make a large but well-formed document, one huge piece a broken one.
    """
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(["松江邮政管理局推进快递驿站建设", "松江有999个快递驿站。"])))

    def document(xml: bytes) -> Iterator[bytes]:
        head, tail = xml.split(b"</w:body>")
        yield head
        for written in range(megabytes):
            if written % piece == 0:
                yield b"<w:p/>"
            yield SPACES
        yield b"</w:body>" + tail

    return zip_archive((info.filename, document(source.read(info)), zlib.Z_RLE) if info.filename == "word/document.xml"
                       else (info.filename, [source.read(info)], zlib.Z_DEFAULT_STRATEGY) for info in source.infolist())


def pages_pdf(path: Path, count: int) -> bytes:
    """A PDF of count pages, each with a line of text on it."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    for page in range(1, count + 1):
        pdf.setFont("Helvetica", 14)
        pdf.drawString(72, 720, f"Page {page}: Songjiang has {page} parcel stations.")
        pdf.showPage()
    pdf.save()
    return path.read_bytes()


def scanned_pdf(path: Path) -> bytes:
    """A PDF page holding only a picture and drawn rectangles, no text: what a scan looks like to a reader."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    picture = Image.new("L", (120, 160), color=200)
    for x in range(10, 110):
        for y in range(20, 140, 12):
            picture.putpixel((x, y), 30)  # scanned "lines of type"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.drawImage(ImageReader(picture), 60, 300, width=470, height=480)
    pdf.setFillGray(0.7)
    for row in range(12):
        pdf.rect(60, 60 + row * 18, 470, 10, fill=1, stroke=0)
    pdf.showPage()
    pdf.save()
    return path.read_bytes()


def plain_zip() -> bytes:
    """A zip archive that is not a .docx: no [Content_Types].xml, no word/document.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("notes.txt", "松江有999套公租房。")
        z.writestr("figures/table.csv", "区,公租房\n松江,999\n")
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class Bad:
    """One zoo file: its name, bytes, the phrase its refusal must contain, and the limits it is read with."""

    name: str
    data: bytes
    phrase: str
    limits: Limits = LIMITS


@pytest.fixture(scope="module")
def small_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return layout_pdf(tmp_path_factory.mktemp("zoo") / "small.pdf", [ARTICLE]).read_bytes()


@pytest.fixture(scope="module")
def zoo(small_pdf: bytes, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Bad]:
    """The cheap part of the zoo (each file under a second to make and to refuse)."""
    folder = tmp_path_factory.mktemp("zoo-files")
    rng = random.Random(20250611)
    noise = rng.randbytes(8192)
    assert not noise.startswith((b"%PDF-", b"PK"))
    (folder / "small.pdf").write_bytes(small_pdf)
    locked = encrypted_copy(folder / "small.pdf", folder / "locked.pdf", password="owner-secret",
                            user_password="open-me").read_bytes()
    return {
        "empty pdf": Bad("empty.pdf", b"", "the file is empty"),
        "empty docx": Bad("empty.docx", b"", "the file is empty"),
        "truncated pdf": Bad("half.pdf", small_pdf[: len(small_pdf) // 2], "damaged or unreadable PDF"),
        "random bytes pdf": Bad("noise.pdf", noise, "not a PDF file (no %PDF- header)"),
        "random bytes after %PDF": Bad("header-only.pdf", b"%PDF-1.4\n" + noise, "damaged or unreadable PDF"),
        "docx renamed pdf": Bad("issue-03.pdf", make_sample_docx(folder / "issue-03.docx").read_bytes(),
                                "not a PDF file (no %PDF- header)"),
        "zip renamed docx": Bad("archive.docx", plain_zip(), "damaged or unreadable .docx"),
        "user password": Bad("locked.pdf", locked, "the PDF is encrypted; send an unprotected copy"),
        "scan": Bad("scan.pdf", scanned_pdf(folder / "scan.pdf"), "不支持扫描件"),
        "deeply nested": Bad("nested.pdf", hand_pdf(b"[" * 100_000 + b"]" * 100_000 + b"\n" + HELLO),
                             "damaged or unreadable PDF"),
        "invalid in utf-8 and gb18030": Bad("latin.txt", "松江".encode() + b"\x80\xff 999 \xff\x80\n", "encoding"),
        "latin-1 text": Bad("cafe.txt", "Le café du quai: 999 colis.\n".encode("latin-1"), "encoding"),
        "utf-16 without bom": Bad("utf16le.txt", "松江有999套公租房。\n".encode("utf-16-le"), "encoding"),
        "over a small size limit": Bad("big.txt", ("松江有999套公租房。\n" * 50_000).encode(),
                                       "file is too large (1.4 MB, limit 1 MB)", Limits(max_bytes=1_000_000)),
    }


ZOO = ["empty pdf", "empty docx", "truncated pdf", "random bytes pdf", "random bytes after %PDF", "docx renamed pdf",
       "zip renamed docx", "user password", "scan", "deeply nested", "invalid in utf-8 and gb18030", "latin-1 text",
       "utf-16 without bom", "over a small size limit"]


@pytest.fixture(scope="module")
def bomb_pdf() -> bytes:
    data = pdf_bomb(300)
    assert len(data) < MB  # ~300 MB of content in well under a MB of file
    return data


@pytest.fixture(scope="module")
def bomb_docx() -> bytes:
    data = padded_docx(300, piece=300)
    assert len(data) < MB
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("word/document.xml").file_size > 300 * MB
    return data


@pytest.fixture(scope="module")
def slow_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A legitimate PDF of a few hundred pages of Chinese text: about 2 s to read here, under the page limit."""
    articles = [(f"{ARTICLE[0]}（{i}）", [PARAGRAPH] * 6) for i in range(300)]
    return layout_pdf(tmp_path_factory.mktemp("slow") / "slow.pdf", articles).read_bytes()


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    """A private copy of the database holding the sample."""
    return Path(shutil.copy(sample_db, tmp_path / "db.db"))


# --- helpers -------------------------------------------------------------------------------------


def ingest_with(db: Path, data: bytes, name: str, limits: Limits = LIMITS) -> IngestResult:
    """Ingest one document given as bytes with the given limits (ingest_one, with limits)."""

    async def run() -> IngestResult:
        async with await Store.open(db) as store:
            return await ingest_bytes(store, segmenter(), data, name, limits)

    return asyncio.run(run())


def assert_refused(db: Path, bad: Bad) -> IngestResult:
    """Ingest bad into db: refused with its phrase in one line, within BOUND seconds, and nothing stored."""
    before = db_fingerprint(db)
    started = time.perf_counter()
    result = ingest_with(db, bad.data, bad.name, bad.limits)
    elapsed = time.perf_counter() - started
    assert (result.document, result.status, result.error) == (bad.name, "refused", "UnreadableFile"), result
    assert bad.phrase in result.reason
    assert "\n" not in result.reason
    assert "Traceback" not in result.reason
    assert result.line() == f"refused   {bad.name}: {result.reason}"
    assert elapsed < BOUND, f"{bad.name} took {elapsed:.1f} s to refuse"
    assert db_fingerprint(db) == before
    return result


def reader_children() -> list[str]:
    """This process's children that are document readers (or any zombie child never waited for), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == os.getpid() and (b"readers.py" in cmdline or state == "Z"):
            command = cmdline.replace(b"\0", b" ").decode(errors="replace")
            found.append(f"{entry.name} {state} {command}")
    return found


@pytest.fixture(autouse=True)
def _no_reader_left_behind() -> Iterator[None]:
    """Every test leaves no reading child behind, running or unwaited."""
    yield
    assert reader_children() == []


# --- the zoo -------------------------------------------------------------------------------------


# what a sender reads for each (pypdf and python-docx name the error they raised)
REASONS = {
    "empty pdf": "the file is empty",
    "empty docx": "the file is empty",
    "truncated pdf": "damaged or unreadable PDF (PdfStreamError)",
    "random bytes pdf": "not a PDF file (no %PDF- header)",
    "random bytes after %PDF": "damaged or unreadable PDF (PdfStreamError)",
    "docx renamed pdf": "not a PDF file (no %PDF- header)",
    "zip renamed docx": "damaged or unreadable .docx (KeyError)",
    "user password": "the PDF is encrypted; send an unprotected copy",
    "scan": "the PDF has no text layer (不支持扫描件: scanned PDFs are not supported)",
    "deeply nested": "damaged or unreadable PDF (RecursionError)",  # 100,000 nested arrays in the content stream
    "invalid in utf-8 and gb18030": "unknown text encoding (expected UTF-8 or GB18030)",
    "latin-1 text": "unknown text encoding (expected UTF-8 or GB18030)",
    "utf-16 without bom": "unknown text encoding (expected UTF-8 or GB18030)",
    "over a small size limit": "file is too large (1.4 MB, limit 1 MB)",
}


@pytest.mark.parametrize("case", ZOO)
def test_bad_file_is_refused_in_one_line_and_stores_nothing(case: str, zoo: dict[str, Bad], db: Path) -> None:
    assert assert_refused(db, zoo[case]).reason == REASONS[case]


def test_the_zoo_refusals_are_not_for_want_of_a_valid_container(small_pdf: bytes) -> None:
    """The hand-built PDF and the padded .docx are read when small: the bombs are refused for their size alone."""
    assert extract_text(small_pdf, "small.pdf").startswith(ARTICLE[0])
    assert extract_text(hand_pdf(HELLO), "hello.pdf") == "Songjiang has 999 flats"
    assert extract_text(pdf_bomb(1), "hello.pdf").strip() == "Songjiang has 999 flats"
    assert extract_text(padded_docx(1, piece=1), "padded.docx") == "松江邮政管理局推进快递驿站建设\n松江有999个快递驿站。"
    assert extract_text(docx_bytes(["松江有999套公租房。"]), "ok.docx") == "松江有999套公租房。"


def test_pdf_decompression_bomb_is_stopped_by_pypdf(bomb_pdf: bytes, db: Path) -> None:
    # pypdf stops inflating a stream at 75 MB (its zlib output limit) before the 512 MB memory limit is reached
    result = assert_refused(db, Bad("bomb.pdf", bomb_pdf, "damaged or unreadable PDF"))
    assert result.reason == "damaged or unreadable PDF (LimitReachedError)"


def test_pdf_decompression_bomb_hits_a_low_memory_limit_first(bomb_pdf: bytes, db: Path) -> None:
    result = assert_refused(db, Bad("bomb.pdf", bomb_pdf, "MB of memory", Limits(memory_mb=128)))
    assert result.reason == "reading it needs more than 128 MB of memory (a decompression bomb?)"


def test_docx_decompression_bomb_hits_the_memory_limit(bomb_docx: bytes, db: Path) -> None:
    # zipfile inflates the whole 300 MB part into one bytes object: MemoryError in the child, well before lxml
    result = assert_refused(db, Bad("bomb.docx", bomb_docx, "MB of memory", Limits(memory_mb=256)))
    assert result.reason == "reading it needs more than 256 MB of memory (a decompression bomb?)"


def test_docx_with_one_huge_text_run_is_damaged(db: Path) -> None:
    # 60 MB of whitespace in one text node: libxml2's 10 MB text-node limit refuses it, memory is not the issue
    data = padded_docx(60, piece=60)
    assert len(data) < MB
    result = assert_refused(db, Bad("huge-run.docx", data, "damaged or unreadable .docx"))
    assert result.reason == "damaged or unreadable .docx (XMLSyntaxError)"


def test_memory_limit_refuses_what_the_default_reads(db: Path) -> None:
    # 60 MB of whitespace in 4 MB runs: well formed, read with the default 512 MB, too big for 100 MB
    data = padded_docx(60, piece=4)
    assert len(data) < MB
    assert extract_text(data, "padded.docx") == "松江邮政管理局推进快递驿站建设\n松江有999个快递驿站。"
    result = assert_refused(db, Bad("padded.docx", data, "MB of memory", Limits(memory_mb=100)))
    assert result.reason == "reading it needs more than 100 MB of memory (a decompression bomb?)"


def test_pdf_of_thousands_of_pages_is_refused_by_count(db: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3000):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    result = assert_refused(db, Bad("3000-pages.pdf", out.getvalue(), "3000 pages"))
    assert result.reason == "the PDF has 3000 pages (limit 500)"


def test_page_limit_comes_from_the_limits(db: Path, tmp_path: Path) -> None:
    data = pages_pdf(tmp_path / "twenty.pdf", 20)
    assert "Page 20: Songjiang has 20 parcel stations." in extract_text(data, "twenty.pdf")
    result = assert_refused(db, Bad("twenty.pdf", data, "20 pages", Limits(pages=10)))
    assert result.reason == "the PDF has 20 pages (limit 10)"


def test_file_over_the_size_limit_is_refused_before_it_is_read(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as f:
        f.truncate(21_000_000)  # sparse: nothing written to disk, nothing read back
    before = db_fingerprint(db)
    started = time.perf_counter()
    [result] = ingest_files(db, [path])
    assert time.perf_counter() - started < BOUND
    assert (result.document, result.status, result.error) == ("huge.pdf", "refused", "UnreadableFile")
    assert result.reason == "file is too large (21.0 MB, limit 20 MB)"
    assert "too large" in result.reason
    assert db_fingerprint(db) == before


def test_slow_pdf_is_stopped_at_the_time_limit_and_its_reader_killed(slow_pdf: bytes, db: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(slow_pdf))
    assert 200 < len(reader.pages) < LIMITS.pages  # not refused for its length
    assert PARAGRAPH[:20] in reader.pages[0].extract_text().replace(" ", "")  # a real text layer
    limits = Limits(seconds=1)
    started = time.perf_counter()
    result = assert_refused(db, Bad("slow.pdf", slow_pdf, "took longer than 1 s", limits))
    assert time.perf_counter() - started < limits.seconds + 5
    assert result.reason == "reading it took longer than 1 s (limit); the file may be damaged"
    assert reader_children() == []


# --- the bot's side: one line each, no traceback, and the process goes on ------------------------


def test_cli_ingest_of_a_folder_of_zoo_files_prints_one_line_each(
        zoo: dict[str, Bad], db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BULLETIN_MAX_FILE_MB", "BULLETIN_PARSE_SECONDS", "BULLETIN_PARSE_MEMORY_MB", "BULLETIN_MAX_PAGES"):
        monkeypatch.delenv(name, raising=False)  # the default limits
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / JIADING_NAME).write_text(JIADING_TEXT, encoding="utf-8")
    bad = [zoo[case] for case in ("empty pdf", "scan", "zip renamed docx", "invalid in utf-8 and gb18030")]
    for b in bad:
        (folder / b.name).write_bytes(b.data)
    before_counts, before_docs = db_fingerprint(db)

    rc, out, err = run_cli(capsys, "--db", db, "ingest", folder)

    assert rc == 1
    lines = out.splitlines()
    expected = {b.name: f"refused   {b.name}: {REASONS[case]}" for case, b in zip(
        ("empty pdf", "scan", "zip renamed docx", "invalid in utf-8 and gb18030"), bad, strict=True)}
    assert [line.split(":")[0].split()[:2] for line in lines] == [
        ["added" if name == JIADING_NAME else "refused", name] for name in sorted([JIADING_NAME, *expected])]
    assert [line for line in lines if line.startswith("refused")] == [expected[name] for name in sorted(expected)]
    assert "Traceback" not in out + err
    assert err.splitlines() == [err.splitlines()[-1]]  # nothing but the summary on stderr
    assert err.startswith("1 added, 4 refused in ")
    after_counts, after_docs = db_fingerprint(db)
    assert after_docs[:-1] == before_docs
    assert after_docs[-1][0] == JIADING_NAME
    assert after_counts["bulletins"] == before_counts["bulletins"] + 1


def test_after_bombs_the_same_store_ingests_a_good_file(
        bomb_pdf: bytes, bomb_docx: bytes, db: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A refusal is a result, not a crash: nothing reaches stdout/stderr, and the same Store and segmenter go on.

    Both bombs are read with the default limits here, as the bot reads an upload.
    """
    before_counts, _ = db_fingerprint(db)
    capfd.readouterr()

    async def run() -> list[IngestResult]:
        async with await Store.open(db) as store:
            return [
                await ingest_bytes(store, segmenter(), bomb_pdf, "bomb.pdf"),
                await ingest_bytes(store, segmenter(), bomb_docx, "bomb.docx"),
                await ingest_bytes(store, segmenter(), JIADING_TEXT.encode(), JIADING_NAME),
            ]

    started = time.perf_counter()
    results = asyncio.run(run())
    assert time.perf_counter() - started < 2 * BOUND
    out, err = capfd.readouterr()
    assert [r.line() for r in results[:2]] == [
        "refused   bomb.pdf: damaged or unreadable PDF (LimitReachedError)",
        # zipfile inflates the 300 MB part into one bytes object: over 512 MB with the copies it makes
        "refused   bomb.docx: reading it needs more than 512 MB of memory (a decompression bomb?)",
    ]
    assert results[2].status == "added", results[2].line()
    assert results[2].figures >= 1
    assert (out, err) == ("", "")  # no traceback, no warning: the child's stderr stays in its pipe
    assert db_fingerprint(db)[0]["bulletins"] == before_counts["bulletins"] + 1
