"""Ingest bulletin files: read, clean, chunk, tokenize and extract figures, then store one file per transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.chunk import chunk_paragraphs
from index.clean import parse_bulletin
from index.errors import BulletinError, DuplicateBulletin
from index.figures import extract_figures
from index.models import Bulletin
from index.segment import Segmenter
from index.sources import extract_text, find_documents, read_bytes
from index.store import NewArticle, NewChunk, Store


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What happened to one file: added, duplicate (same content already stored) or refused."""

    document: str
    status: str
    reason: str = ""
    issue: str = ""
    articles: int = 0
    chunks: int = 0
    figures: int = 0

    def line(self) -> str:
        """Describe the result in one line."""
        if self.status == "added":
            issue = f" ({self.issue})" if self.issue else ""
            return (f"added     {self.document}{issue}: {self.articles} articles, {self.chunks} chunks, "
                    f"{self.figures} figures")
        if self.status == "duplicate":
            return f"duplicate {self.document}: {self.reason}"
        return f"refused   {self.document}: {self.reason}"


def analyse(bulletin: Bulletin, segmenter: Segmenter) -> tuple[NewArticle, ...]:
    """Chunk every article, and find each chunk's index terms and figures."""
    articles = []
    for article in bulletin.articles:
        # a real title is indexed with every chunk of its article; a file name standing in for one is not
        titled = article.title != bulletin.document
        chunks = []
        for text in chunk_paragraphs(article.paragraphs):
            terms = segmenter.terms(f"{article.title}\n{text}" if titled else text)
            figures = extract_figures(text, issue_date=bulletin.meta.date)
            chunks.append(NewChunk(text=text, terms=tuple(terms), figures=tuple(figures)))
        articles.append(NewArticle(title=article.title, place=article.place, chunks=tuple(chunks)))
    return tuple(articles)


async def ingest_bytes(store: Store, segmenter: Segmenter, data: bytes, document: str) -> IngestResult:
    """Ingest one document given as bytes; nothing is stored unless all of it is."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        if (existing := await store.find_sha(sha)) is not None:
            return IngestResult(document, "duplicate", reason=f"same content as {existing}, already stored")
        text = extract_text(data, document)
        bulletin = parse_bulletin(text, document)
        articles = analyse(bulletin, segmenter)
    except BulletinError as e:
        return IngestResult(document, "refused", reason=str(e))
    meta = bulletin.meta
    try:
        await store.add_bulletin(document=document, sha256=sha, raw_text=text, issue_name=meta.name,
                                 issue_number=meta.number, issue_date=meta.date,
                                 distribution=bulletin.distribution, articles=articles)
    except DuplicateBulletin as e:  # another ingest stored the same file meanwhile
        return IngestResult(document, "duplicate", reason=str(e))
    issue = " ".join(str(p) for p in (meta.name, meta.number, meta.date) if p)
    return IngestResult(document, "added", issue=issue, articles=len(articles),
                        chunks=sum(len(a.chunks) for a in articles),
                        figures=sum(len(c.figures) for a in articles for c in a.chunks))


async def ingest_paths(store: Store, segmenter: Segmenter, paths: Iterable[Path]) -> list[IngestResult]:
    """Ingest files and folders (recursively); one result per file, in order."""
    results = []
    for path in find_documents(paths):
        try:
            data = read_bytes(path)
        except BulletinError as e:
            results.append(IngestResult(path.name, "refused", reason=str(e)))
            continue
        results.append(await ingest_bytes(store, segmenter, data, path.name))
    return results
