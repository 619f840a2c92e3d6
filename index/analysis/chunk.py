"""Cut articles into sentence-aware passages that never cross an article boundary."""

from __future__ import annotations

from index.analysis.figures import sentences

MAX_CHARS = 300
MIN_CHARS = 60


def chunk_paragraphs(paragraphs: tuple[str, ...] | list[str], *, max_chars: int = MAX_CHARS) -> list[str]:
    """Group an article's paragraphs into passages of at most max_chars, cutting only between sentences."""
    # A paragraph longer than max_chars is cut at sentence ends; a short paragraph joins the next one. A run-on
    # sentence comes already cut at its commas (index.analysis.figures.sentences), so no piece outgrows the limit by much.
    pieces: list[str] = []
    for para in paragraphs:
        if len(para) <= max_chars:
            pieces.append(para)
            continue
        current = ""
        for sentence in sentences(para):
            if current and len(current) + len(sentence) > max_chars:
                pieces.append(current)
                current = ""
            current += sentence
        if current:
            pieces.append(current)
    chunks: list[str] = []
    for piece in pieces:
        if chunks and (len(chunks[-1]) < MIN_CHARS or len(piece) < MIN_CHARS) \
                and len(chunks[-1]) + len(piece) + 1 <= max_chars:
            chunks[-1] = f"{chunks[-1]}\n{piece}"
        else:
            chunks.append(piece)
    return chunks
