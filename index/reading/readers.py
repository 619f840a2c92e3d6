"""PDF and .docx readers, also run as a child process with time, memory and page limits (stdlib, pypdf, docx only).

Untrusted documents are parsed here in a separate interpreter, so nothing a file does (a decompression bomb, a
parser stuck in a loop, a crash in a C extension) can hang or kill the bot. This module imports nothing from
the project: the child starts in about a quarter of a second instead of loading the whole index package.
"""

from __future__ import annotations

import io
import json
import re
import resource
import sys


class Refused(Exception):
    """The document cannot be read; the message is one line fit to show the person who sent it."""


def too_many_chars(max_chars: int) -> str:
    """The refusal of a document holding more text than the limit."""
    return (f"it holds more than {max_chars:,} characters of text (limit BULLETIN_MAX_CHARS); a bulletin holds far "
            "fewer: split it or check the file")


def _capped(parts: list[str], part: str, max_chars: int, total: list[int]) -> None:
    """Add one page or line to parts, refusing once the text passes max_chars (total[0] counts it)."""
    total[0] += len(part) + 1
    if total[0] > max_chars:
        raise Refused(too_many_chars(max_chars))
    parts.append(part)


def pdf_text(data: bytes, max_pages: int, max_chars: int = 5_000_000) -> str:
    """Extract a PDF's text layer with pypdf, page by page."""
    from pypdf import PasswordType, PdfReader  # imported here: it is only needed when a PDF comes in

    if not data.startswith(b"%PDF-"):
        raise Refused("not a PDF file (no %PDF- header)")
    try:
        reader = PdfReader(io.BytesIO(data))
        # an owner password only restricts printing or copying: pypdf opens those with the empty password
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise Refused("the PDF is encrypted; send an unprotected copy")
        if len(reader.pages) > max_pages:
            raise Refused(f"the PDF has {len(reader.pages)} pages (limit {max_pages})")
        pages: list[str] = []
        total = [0]
        for page in reader.pages:  # page by page: a page's text is counted before the next is read
            _capped(pages, page.extract_text() or "", max_chars, total)
    except Refused:
        raise
    except MemoryError:
        raise
    except Exception as e:  # pypdf raises far more than PyPdfError on damaged files (ValueError, KeyError …)
        raise Refused(f"damaged or unreadable PDF ({type(e).__name__})") from None
    text = "\n".join(pages)
    if not re.search(r"\w", text):
        raise Refused("the PDF has no text layer (不支持扫描件: scanned PDFs are not supported)")
    return text


def docx_text(data: bytes, max_chars: int = 5_000_000) -> str:
    """Extract a .docx's paragraphs (and table cells), one per line."""
    import docx  # python-docx; imported here for the same reason as pypdf
    import docx.table

    if not data.startswith(b"PK\x03\x04"):
        raise Refused("not a .docx file (not a zip container)")
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        total = [0]
        for block in document.iter_inner_content():  # paragraphs and tables in document order
            if isinstance(block, docx.table.Table):
                # a row ends like a sentence, so a short row is never taken for a title
                for row in block.rows:
                    _capped(lines, "，".join(c.text.strip() for c in row.cells if c.text.strip()) + "。",
                            max_chars, total)
            else:
                _capped(lines, block.text.strip(), max_chars, total)
    except (Refused, MemoryError):
        raise
    except Exception as e:  # python-docx raises zip, XML and key errors on damaged files
        raise Refused(f"damaged or unreadable .docx ({type(e).__name__})") from None
    return "\n".join(line for line in lines if line)


def read(data: bytes, suffix: str, max_pages: int, max_chars: int = 5_000_000) -> str:
    """Read a PDF or .docx given its bytes."""
    return pdf_text(data, max_pages, max_chars) if suffix == ".pdf" else docx_text(data, max_chars)


def main(argv: list[str]) -> int:
    """Child entry: `python -P readers.py SUFFIX MAX_PAGES MEMORY_MB SECONDS MAX_CHARS`, the document on stdin.

    Replies with one JSON object on stdout: {"text": …} or {"refused": reason}.
    """
    suffix, max_pages, memory_mb, seconds, max_chars = argv[0], int(argv[1]), int(argv[2]), int(argv[3]), int(argv[4])
    data = sys.stdin.buffer.read()
    # the limits bind the parse, not the start-up: the reader is imported first (python, pypdf, lxml: about 50 MB)
    if suffix == ".pdf":
        import pypdf  # noqa: F401
    else:
        import docx  # noqa: F401
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # a backstop to the parent's wall-clock timeout, a little later so the parent's clear reason comes first
    resource.setrlimit(resource.RLIMIT_CPU, (seconds + 2, seconds + 3))
    try:
        reply = {"text": read(data, suffix, max_pages, max_chars)}
    except Refused as e:
        reply = {"refused": str(e)}
    except MemoryError:
        reply = {"refused": f"reading it needs more than {memory_mb} MB of memory (a decompression bomb?)"}
    except RecursionError:
        reply = {"refused": "damaged or unreadable document (nested too deeply)"}
    sys.stdout.buffer.write(json.dumps(reply, ensure_ascii=False).encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
