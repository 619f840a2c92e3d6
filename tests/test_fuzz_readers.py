"""Bounded fuzzing of the readers: whatever bytes come in, a reader returns text or refuses with one line.

pdf_text and docx_text run in-process here (the child's limits are not needed for a few KB of input); a handful
of mutated PDFs also go through the child, and the text side (decoding, parse_bulletin) gets arbitrary input.
"""

from __future__ import annotations

import functools
import io
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpers import docx_bytes, layout_pdf
from index.errors import EmptyDocument, UnreadableFile
from index.reading.clean import clean_line, parse_bulletin
from index.reading.readers import Refused, docx_text, pdf_text
from index.reading.sources import decode_text, extract_text

FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
CHILD = settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

TITLE = "嘉定邮政管理局推进快递网点标准化建设"
PARAGRAPH = "今年以来，嘉定邮政管理局累计完成37个网点的改造提升，服务社区居民约8万人。"


@functools.cache
def small_pdf() -> bytes:
    """A real one-page PDF of a short bulletin (reportlab, CID font), made once."""
    with tempfile.TemporaryDirectory() as folder:
        return layout_pdf(Path(folder) / "small.pdf", [(TITLE, [PARAGRAPH])]).read_bytes()


@functools.cache
def plain_pdf() -> bytes:
    """A real one-page PDF whose content stream is not compressed, so that edits reach its operators and strings."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pageCompression=0)
    pdf.setFont("STSong-Light", 15)
    pdf.drawString(70, 770, TITLE)
    pdf.drawString(70, 740, PARAGRAPH[:26])
    pdf.setFont("Helvetica", 12)
    pdf.drawString(70, 710, "Jiading: 37 stations, 80000 residents.")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


@functools.cache
def small_docx() -> bytes:
    """A real small .docx of the same bulletin, made once."""
    return docx_bytes([TITLE, PARAGRAPH])


# an edit: (what, where as a fraction of the length in 1/65536, bytes); several edits stack
EDIT = st.tuples(st.sampled_from(["flip", "overwrite", "insert", "delete", "truncate", "duplicate"]),
                 st.integers(0, 65535), st.binary(min_size=1, max_size=16))
EDITS = st.lists(EDIT, min_size=1, max_size=6)


def mutate(data: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    """Apply edits to data: flipped bits, overwritten, inserted, deleted or duplicated runs, a cut tail."""
    out = bytearray(data)
    for what, where, chunk in edits:
        at = where * len(out) // 65536 if out else 0
        if what == "flip" and out:
            out[at] ^= chunk[0] or 0x01
        elif what == "overwrite":
            out[at:at + len(chunk)] = chunk
        elif what == "insert":
            out[at:at] = chunk
        elif what == "delete":
            del out[at:at + len(chunk) * 8]
        elif what == "truncate":
            del out[at:]
        elif what == "duplicate":
            out[at:at] = out[at:at + len(chunk) * 32]
    return bytes(out)


def test_the_seeds_are_read() -> None:
    """Unmutated, both seeds give the bulletin's text: the fuzzing starts from files the readers accept."""
    assert TITLE in pdf_text(small_pdf(), 10).replace(" ", "")
    assert b"stream\n1 0 0 1 0 0 cm" in plain_pdf()  # not compressed
    assert pdf_text(plain_pdf(), 10).splitlines() == [TITLE, PARAGRAPH[:26], "Jiading: 37 stations, 80000 residents."]
    assert docx_text(small_docx()) == f"{TITLE}\n{PARAGRAPH}"
    assert docx_text(with_document_xml(small_docx(), document_xml())) == f"{TITLE}\n{PARAGRAPH}"


def text_or_reason(read: Callable[[], str], refusal: type[Exception]) -> tuple[str | None, str | None]:
    """Run a reader: (text, None), or (None, reason) when it refuses with refusal and one non-empty line.

    Any other exception propagates and fails the property: that is what the fuzzing looks for.
    """
    try:
        return read(), None
    except refusal as e:
        reason = str(e)
    assert reason
    assert "\n" not in reason
    return None, reason


# --- PDF -----------------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4096))
@example(b"%PDF-")
@example(b"%PDF-1.4\n")
@example(b"%PDF-1.7\ntrailer<</Root 1 0 R>>\n%%EOF")
def test_pdf_text_of_arbitrary_bytes_is_text_or_refused(data: bytes) -> None:
    text, _ = text_or_reason(lambda: pdf_text(data, 50), Refused)
    assert text is None or isinstance(text, str)


@FUZZ
@given(st.binary(max_size=2048))
def test_pdf_text_of_a_pdf_header_and_noise_is_text_or_refused(noise: bytes) -> None:
    text, _ = text_or_reason(lambda: pdf_text(b"%PDF-1.4\n" + noise, 50), Refused)
    assert text is None or isinstance(text, str)


@FUZZ
@given(st.sampled_from([small_pdf, plain_pdf]), EDITS)
def test_pdf_text_of_a_mutated_pdf_is_text_or_refused(seed: Callable[[], bytes],
                                                      edits: list[tuple[str, int, bytes]]) -> None:
    data = mutate(seed(), edits)
    text, _ = text_or_reason(lambda: pdf_text(data, 50), Refused)
    assert text is None or isinstance(text, str)


@CHILD
@given(st.sampled_from([small_pdf, plain_pdf]), EDITS)
def test_extract_text_of_a_mutated_pdf_in_the_child_is_text_or_unreadable(
        seed: Callable[[], bytes], edits: list[tuple[str, int, bytes]]) -> None:
    data = mutate(seed(), edits)
    text, reason = text_or_reason(lambda: extract_text(data, "mutated.pdf"), UnreadableFile)
    assert text is None or isinstance(text, str)
    assert reason is None or "stopped" not in reason  # the child replied: it did not die from a signal or crash


# --- .docx ---------------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4096))
@example(b"PK\x03\x04")
@example(b"PK\x05\x06" + bytes(18))  # an empty zip
def test_docx_text_of_arbitrary_bytes_is_text_or_refused(data: bytes) -> None:
    text, _ = text_or_reason(lambda: docx_text(data), Refused)
    assert text is None or isinstance(text, str)


@FUZZ
@given(EDITS)
def test_docx_text_of_a_mutated_docx_is_text_or_refused(edits: list[tuple[str, int, bytes]]) -> None:
    data = mutate(small_docx(), edits)
    text, _ = text_or_reason(lambda: docx_text(data), Refused)
    assert text is None or isinstance(text, str)


@functools.cache
def document_xml() -> bytes:
    return zipfile.ZipFile(io.BytesIO(small_docx())).read("word/document.xml")


def with_document_xml(docx: bytes, xml: bytes) -> bytes:
    """The same .docx with its word/document.xml replaced: a sound zip around damaged XML."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, xml if info.filename == "word/document.xml" else source.read(info))
    return out.getvalue()


@settings(FUZZ, max_examples=100)
@given(EDITS)
def test_docx_text_of_a_docx_with_mutated_xml_is_text_or_refused(edits: list[tuple[str, int, bytes]]) -> None:
    data = with_document_xml(small_docx(), mutate(document_xml(), edits))
    text, _ = text_or_reason(lambda: docx_text(data), Refused)
    assert text is None or isinstance(text, str)


# --- text ----------------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=2048))
@example(b"\xef\xbb\xbf")  # a UTF-8 BOM alone
@example(b"\xff\xfe\x00\x00")
@example("松江".encode("gb18030") + b"\x81")  # a GB18030 lead byte cut off
def test_decode_text_of_arbitrary_bytes_is_text_or_unreadable(data: bytes) -> None:
    text, _ = text_or_reason(lambda: decode_text(data), UnreadableFile)
    if text is not None:
        assert "\x00" not in text
        # read as UTF-8 (a BOM dropped) or else as GB18030: either way, the text encodes back to the file
        assert data in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gb18030"))


@FUZZ
@given(st.text(max_size=400))
def test_decode_text_reads_every_utf8_text_back(text: str) -> None:
    if "\x00" in text or text.startswith(("%PDF-", "PK\x03\x04")):
        return
    assert decode_text(text.encode("utf-8")) == text.removeprefix("\ufeff")


# bulletin-like text: lines of CJK, digits, punctuation, spaces, masthead and distribution words
_PIECES = ["青浦", "邮政管理局", "简报", "第3期", "2022年3月15日", "公租房", "100", "套", "6044.86", "平方米", "。", "，",
           "“", "”", "报：", "送：", "— 1 —", " ", "  ", "\u3000", "\t", "\r", "\x0c", "\ufeff", "１２", "一、", "A"]
bulletin_text = st.lists(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), max_size=20).map("\n".join)


@FUZZ
@given(st.one_of(bulletin_text, st.text(max_size=600)))
@example("")
@example("报：市局\n送：区局")
@example("第3期\n2022年3月15日")
def test_parse_bulletin_of_any_text_gives_articles_or_empty_document(text: str) -> None:
    try:
        bulletin = parse_bulletin(text, "fuzz.txt")
    except EmptyDocument:
        return
    assert bulletin.articles
    for article in bulletin.articles:
        assert article.title
        assert article.paragraphs
        assert all(p and p == p.strip() for p in article.paragraphs)
        assert all("\n" not in p for p in article.paragraphs)


@FUZZ
@given(st.one_of(bulletin_text, st.text(max_size=200)))
def test_clean_line_is_idempotent(text: str) -> None:
    once = clean_line(text)
    assert clean_line(once) == once
