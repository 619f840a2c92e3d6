"""Read bulletin files (.txt/.md, .pdf, .docx) into text, refusing what cannot be read with one line of reason."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from index.errors import UnreadableFile, UnsupportedFile
from index.reading import readers

SUFFIXES = (".txt", ".md", ".pdf", ".docx")
MAX_BYTES = 20_000_000  # Telegram's download limit; a bulletin issue is far smaller


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a document may take to read: its size, and the reading child's time, memory and pages."""

    max_bytes: int = MAX_BYTES
    seconds: int = 30
    memory_mb: int = 512
    pages: int = 500
    max_chars: int = 5_000_000  # text extracted from one file: a bulletin holds some thousands


LIMITS = Limits()  # the defaults; the bot and the command line read their own from the settings


def find_documents(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield the bulletin files among paths, walking folders recursively in name order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                              and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            yield path


def read_bytes(path: Path, limits: Limits = LIMITS) -> bytes:
    """Read a file with the size limit applied (before reading it), as a one-line error on failure."""
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise UnreadableFile(too_large(size, limits))
        return path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile("no such file") from None
    except IsADirectoryError:
        raise UnreadableFile("is a folder") from None
    except OSError as e:
        raise UnreadableFile(f"cannot read the file ({e.strerror or e})") from None


def too_large(size: int, limits: Limits) -> str:
    """Say that a file is over the size limit."""
    return f"file is too large ({size / 1e6:.1f} MB, limit {limits.max_bytes / 1e6:.0f} MB)"


def extract_text(data: bytes, name: str, limits: Limits = LIMITS) -> str:
    """Return the text of a document given its bytes and file name (the suffix picks the reader)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UnsupportedFile(f"unsupported file type {suffix or '(none)'}; expected {', '.join(SUFFIXES)}")
    if len(data) > limits.max_bytes:
        raise UnreadableFile(too_large(len(data), limits))
    if not data.strip():
        raise UnreadableFile("the file is empty")
    if suffix in (".pdf", ".docx"):
        return read_in_child(data, suffix, limits)
    # text is decoded here: decoding is linear in the size, which is capped, so it cannot run away
    text = decode_text(data)
    if len(text) > limits.max_chars:
        raise UnreadableFile(readers.too_many_chars(limits.max_chars))
    return text


def read_in_child(data: bytes, suffix: str, limits: Limits) -> str:
    """Read a PDF or .docx in a child interpreter bounded by limits; refusals come back as UnreadableFile."""
    # -P: the readers' folder is not put on sys.path, so the project's module names cannot shadow the stdlib
    command = [sys.executable, "-P", readers.__file__, suffix, str(limits.pages), str(limits.memory_mb),
               str(limits.seconds), str(limits.max_chars)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=limits.seconds, check=False)
    except subprocess.TimeoutExpired:  # run() has killed the child
        raise UnreadableFile(f"reading it took longer than {limits.seconds} s (limit); the file may be damaged") from None
    except OSError as e:
        raise UnreadableFile(f"cannot start the document reader ({e.strerror or e})") from None
    try:
        reply = json.loads(done.stdout)
    except ValueError:
        reply = {}
    if "text" in reply:
        return str(reply["text"])
    if "refused" in reply:
        raise UnreadableFile(str(reply["refused"]))
    # no reply: killed by a signal (the CPU limit, the out-of-memory killer) or a crash in a C extension
    why = f"signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
    raise UnreadableFile(f"the document reader stopped ({why}) on this file; it may be damaged or too large")


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
