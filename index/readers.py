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


def pdf_text(data: bytes, max_pages: int) -> str:
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
        pages = [page.extract_text() or "" for page in reader.pages]
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


def docx_text(data: bytes) -> str:
    """Extract a .docx's paragraphs (and table cells), one per line."""
    import docx  # python-docx; imported here for the same reason as pypdf
    import docx.table

    if not data.startswith(b"PK\x03\x04"):
        raise Refused("not a .docx file (not a zip container)")
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():  # paragraphs and tables in document order
            if isinstance(block, docx.table.Table):
                # a row ends like a sentence, so a short row is never taken for a title
                lines.extend("，".join(c.text.strip() for c in row.cells if c.text.strip()) + "。"
                             for row in block.rows)
            else:
                lines.append(block.text.strip())
    except MemoryError:
        raise
    except Exception as e:  # python-docx raises zip, XML and key errors on damaged files
        raise Refused(f"damaged or unreadable .docx ({type(e).__name__})") from None
    return "\n".join(line for line in lines if line)


def read(data: bytes, suffix: str, max_pages: int) -> str:
    """Read a PDF or .docx given its bytes."""
    return pdf_text(data, max_pages) if suffix == ".pdf" else docx_text(data)


def main(argv: list[str]) -> int:
    """Child entry: `python -P readers.py SUFFIX MAX_PAGES MEMORY_MB SECONDS`, the document on stdin.

    Replies with one JSON object on stdout: {"text": …} or {"refused": reason}.
    """
    suffix, max_pages, memory_mb, seconds = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
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
        reply = {"text": read(data, suffix, max_pages)}
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
