"""Ingest bulletin files: read, clean, chunk, tokenize and extract figures, then store one file per transaction."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from index.chunk import chunk_paragraphs
from index.clean import parse_bulletin
from index.errors import BulletinError, DuplicateBulletin
from index.figures import figure_rows
from index.models import Bulletin, IssueMeta
from index.records import Derived, NewArticle, NewBulletin, NewChunk, Reparsed, StoredSource
from index.segment import Segmenter
from index.sources import LIMITS, Limits, extract_text, find_documents, read_bytes
from index.store import Store

# The version of the derivation rules (cleaning, chunking, figures): bump it when they change, and every
# database re-derives its bulletins from their stored text when next opened for asking.
# 2: the figure index. 3: the issue key that tells a corrected version of an issue.
RULES = 3

# A reindex of more text than this runs in child processes, which leave the bot's process (and the GIL) to its
# questions; below it, a thread: a child costs about 1.5 s to start (Python, the index package, jieba).
PROCESS_MIN_CHARS = 500_000


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What happened to one file: added, unchanged, updated (a new version of an issue), restored, or refused."""

    document: str
    status: str
    reason: str = ""
    issue: str = ""
    articles: int = 0
    chunks: int = 0
    figures: int = 0
    error: str = ""  # the refusal's kind: the BulletinError subclass name (UnreadableFile …)
    replaced: tuple[str, ...] = ()  # for updated: the documents of the older version, kept but out of the index

    @property
    def stored(self) -> bool:
        """Whether the index changed: the file is now searched."""
        return self.status in ("added", "updated", "restored")

    def line(self) -> str:
        """Describe the result in one line."""
        if self.stored:
            issue = f" ({self.issue})" if self.issue else ""
            line = (f"{self.status:<9} {self.document}{issue}: {self.articles} articles, {self.chunks} chunks, "
                    f"{self.figures} figures")
            if self.replaced:
                line += f"; replaces {', '.join(self.replaced)} (kept, out of the index)"
            return line
        return f"{self.status:<9} {self.document}: {self.reason}"


def issue_key(meta: IssueMeta, document: str) -> str:
    """What makes two files the same issue: the masthead's name, number and date; else the file's name."""
    # the date is required: two offices may both send a 工作简报 第3期, and replacing one by the other would hide it
    if meta.name and meta.date:
        return f"issue:{meta.name}|{meta.number or ''}|{meta.date}"
    return f"file:{document}"


async def refresh(store: Store, segmenter: Segmenter) -> ReindexResult | None:
    """Reindex when any bulletin was derived by older rules (a program upgrade); return None when none was."""
    if not await store.stale(RULES):
        return None
    return await reindex(store, segmenter)


def derive(bulletin: Bulletin, segmenter: Segmenter) -> Derived:
    """Derive what is stored from a parsed bulletin by these rules: its issue fields, articles, terms, figures."""
    meta = bulletin.meta
    return Derived(issue_name=meta.name, issue_number=meta.number, issue_date=meta.date,
                   issue_key=issue_key(meta, bulletin.document), distribution=bulletin.distribution,
                   articles=analyse(bulletin, segmenter), rules=RULES)


def analyse(bulletin: Bulletin, segmenter: Segmenter) -> tuple[NewArticle, ...]:
    """Chunk every article, and find each chunk's index terms and figures."""
    articles = []
    for article in bulletin.articles:
        # a real title is indexed with every chunk of its article; a file name standing in for one is not. The
        # terms of title + "\n" + text are the title's then the text's (a line break ends every word and run), so
        # the title is tokenized once for all its chunks
        title = tuple(segmenter.terms(article.title)) if article.title != bulletin.document else ()
        chunks = []
        for text in chunk_paragraphs(article.paragraphs):
            terms = (*title, *segmenter.terms(text))
            figures = figure_rows(text, issue_date=bulletin.meta.date, place=article.place)
            chunks.append(NewChunk(text=text, terms=terms, figures=tuple(figures)))
        articles.append(NewArticle(title=article.title, place=article.place, chunks=tuple(chunks)))
    return tuple(articles)


async def ingest_bytes(store: Store, segmenter: Segmenter, data: bytes, document: str,
                       limits: Limits = LIMITS) -> IngestResult:
    """Ingest one document given as bytes; nothing is stored unless all of it is."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        if (existing := await store.find_sha(sha)) is not None and existing[1] == "indexed":
            return IngestResult(document, "unchanged", reason=f"same content as {existing[0]}, already stored")
        # parsing and tokenizing are CPU work: off the event loop, so a bot keeps answering meanwhile
        text, derived = await asyncio.to_thread(_prepare, data, document, segmenter, limits)
        stored = await store.add_bulletin(NewBulletin(document=document, sha256=sha, raw_text=text, derived=derived))
    except DuplicateBulletin as e:  # another ingest stored the same file meanwhile
        return IngestResult(document, "unchanged", reason=str(e))
    except BulletinError as e:
        return IngestResult(document, "refused", reason=str(e), error=type(e).__name__)
    issue = " ".join(str(p) for p in (derived.issue_name, derived.issue_number, derived.issue_date) if p)
    chunks = [c for a in derived.articles for c in a.chunks]
    return IngestResult(document, stored.status, issue=issue, articles=len(derived.articles), chunks=len(chunks),
                        figures=sum(len(c.figures) for c in chunks), replaced=stored.replaced)


def _prepare(data: bytes, document: str, segmenter: Segmenter, limits: Limits) -> tuple[str, Derived]:
    text = extract_text(data, document, limits)
    return text, derive(parse_bulletin(text, document), segmenter)


@dataclass(frozen=True, slots=True)
class ReindexResult:
    """What a reindex derived afresh, what it had to leave as it was, and how long it took."""

    issues: int
    articles: int
    chunks: int
    figures: int
    seconds: float
    kept: tuple[str, ...] = ()  # documents whose stored text no longer parses: their old index stays


async def reindex(store: Store, segmenter: Segmenter, *, processes: int | None = None) -> ReindexResult:
    """Re-derive every stored bulletin's articles, chunks, tokens and figures from its original text.

    A large corpus is parsed by up to `processes` child processes (default: one core fewer than the machine
    has, so questions keep one), a small one in a thread. The new index is swapped in by one transaction.
    """
    started = time.perf_counter()
    sources = await store.load_sources()
    if sum(len(s.raw_text) for s in sources) < PROCESS_MIN_CHARS:
        reparsed, kept = await asyncio.to_thread(_reparse, sources, segmenter)
    else:
        reparsed, kept = await _reparse_in_children(sources, processes or max(1, (os.cpu_count() or 2) - 1))
    # a bulletin whose text no longer parses keeps its old index, marked current: re-deriving it again cannot help
    # one transaction: readers see the old index or the new, never a mix
    await store.replace_derived(reparsed, RULES, kept=[k.id for k in kept])
    chunks = [c for r in reparsed for a in r.derived.articles for c in a.chunks]
    return ReindexResult(issues=len(reparsed), articles=sum(len(r.derived.articles) for r in reparsed),
                         chunks=len(chunks),
                         figures=sum(len(c.figures) for c in chunks), seconds=time.perf_counter() - started,
                         kept=tuple(k.document for k in kept))


async def _reparse_in_children(sources: Sequence[StoredSource],
                               processes: int) -> tuple[list[Reparsed], list[StoredSource]]:
    """Reparse in worker processes, a few batches per worker, keeping the sources' order."""
    batches = [list(sources[i::processes * 4]) for i in range(processes * 4)]
    loop = asyncio.get_running_loop()
    # spawn, not fork: forking a process that runs threads (aiosqlite's, the bot's) can deadlock the child
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker)
    try:
        parts = await asyncio.gather(*(loop.run_in_executor(pool, _reparse_batch, b) for b in batches if b))
    finally:
        await asyncio.to_thread(pool.shutdown, cancel_futures=True)
    order = {s.id: n for n, s in enumerate(sources)}
    reparsed = sorted((r for part in parts for r in part[0]), key=lambda r: order[r.id])
    kept = sorted((k for part in parts for k in part[1]), key=lambda k: order[k.id])
    return reparsed, kept


_worker_segmenter: Segmenter | None = None


def _start_worker() -> None:
    global _worker_segmenter
    _worker_segmenter = Segmenter()  # once per worker: loading jieba's dictionary takes most of a second


def _reparse_batch(sources: list[StoredSource]) -> tuple[list[Reparsed], list[StoredSource]]:
    assert _worker_segmenter is not None, "the worker was started without its segmenter"
    return _reparse(sources, _worker_segmenter)


def _reparse(sources: Sequence[StoredSource], segmenter: Segmenter) -> tuple[list[Reparsed], list[StoredSource]]:
    reparsed: list[Reparsed] = []
    kept: list[StoredSource] = []
    for source in sources:
        try:
            bulletin = parse_bulletin(source.raw_text, source.document)
        except BulletinError:
            kept.append(source)
            continue
        reparsed.append(Reparsed(source.id, derive(bulletin, segmenter)))
    return reparsed, kept


async def ingest_paths(store: Store, segmenter: Segmenter, paths: Iterable[Path], limits: Limits = LIMITS,
                       progress: Callable[[IngestResult], None] | None = None) -> list[IngestResult]:
    """Ingest files and folders (recursively), one file per transaction; one result per file, in order."""
    results = []
    for path in find_documents(paths):
        try:
            data = read_bytes(path, limits)
        except BulletinError as e:
            result = IngestResult(path.name, "refused", reason=str(e), error=type(e).__name__)
        else:
            result = await ingest_bytes(store, segmenter, data, path.name, limits)
        results.append(result)
        if progress is not None:
            progress(result)
    return results
