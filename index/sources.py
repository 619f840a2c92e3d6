"""Read bulletin files (.txt/.md, .pdf, .docx) into text, refusing what cannot be read with one line of reason."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from index.errors import UnreadableFile, UnsupportedFile

SUFFIXES = (".txt", ".md", ".pdf", ".docx")
MAX_BYTES = 20_000_000  # Telegram's download limit; a bulletin issue is far smaller
MAX_PAGES = 500


def find_documents(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield the bulletin files among paths, walking folders recursively in name order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                              and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            yield path


def read_bytes(path: Path) -> bytes:
    """Read a file with the size limit applied, as a one-line error on failure."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UnreadableFile(f"file is too large ({size / 1e6:.1f} MB, limit {MAX_BYTES / 1e6:.0f} MB)")
        return path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile("no such file") from None
    except IsADirectoryError:
        raise UnreadableFile("is a folder") from None
    except OSError as e:
        raise UnreadableFile(f"cannot read the file ({e.strerror or e})") from None


def extract_text(data: bytes, name: str) -> str:
    """Return the text of a document given its bytes and file name (the suffix picks the reader)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UnsupportedFile(f"unsupported file type {suffix or '(none)'}; expected {', '.join(SUFFIXES)}")
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if suffix == ".pdf":
        return pdf_text(data)
    if suffix == ".docx":
        return docx_text(data)
    return decode_text(data)


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else GB18030 (common for government files)."""
    if data.startswith(b"%PDF-") or data.startswith(b"PK\x03\x04"):
        raise UnreadableFile("this is a PDF or Office file, not plain text; give it the right suffix")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # UTF-16 or binary data decodes "successfully" into NULs
        return text
    raise UnreadableFile("unknown text encoding (expected UTF-8 or GB18030)")


def pdf_text(data: bytes) -> str:
    """Extract a PDF's text layer with pypdf, page by page."""
    from pypdf import PasswordType, PdfReader  # imported here: it is only needed when a PDF comes in

    if not data.startswith(b"%PDF-"):
        raise UnreadableFile("not a PDF file (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        # an owner password only restricts printing or copying: pypdf opens those with the empty password
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise UnreadableFile("the PDF is encrypted; send an unprotected copy")
        if len(reader.pages) > MAX_PAGES:
            raise UnreadableFile(f"the PDF has {len(reader.pages)} pages (limit {MAX_PAGES})")
        pages = [page.extract_text() or "" for page in reader.pages]
    except UnreadableFile:
        raise
    except Exception as e:  # pypdf raises far more than PyPdfError on damaged files
        raise UnreadableFile(f"damaged or unreadable PDF ({type(e).__name__})") from None
    text = "\n".join(pages)
    if not re.search(r"\w", text):
        raise UnreadableFile("the PDF has no text layer (不支持扫描件: scanned PDFs are not supported)")
    return text


def docx_text(data: bytes) -> str:
    """Extract a .docx's paragraphs (and table cells), one per line."""
    import docx  # python-docx; imported here for the same reason as pypdf
    import docx.table

    if not data.startswith(b"PK\x03\x04"):
        raise UnreadableFile("not a .docx file (not a zip container)")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises zip, XML and key errors on damaged files
        raise UnreadableFile(f"damaged or unreadable .docx ({type(e).__name__})") from None
    lines: list[str] = []
    for block in document.iter_inner_content():  # paragraphs and tables in document order
        if isinstance(block, docx.table.Table):
            # a row ends like a sentence, so a short row is never taken for a title
            lines.extend("，".join(c.text.strip() for c in row.cells if c.text.strip()) + "。" for row in block.rows)
        else:
            lines.append(block.text.strip())
    return "\n".join(line for line in lines if line)
