"""Ingest bulletin files: read, clean, chunk, tokenize and extract figures, then store each file whole or not at all.

A large ingest parses in child processes while this one stores, in order, several files per transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from index.analysis.chunk import chunk_paragraphs
from index.analysis.figures import figure_rows
from index.analysis.places import places_in, within
from index.analysis.segment import Segmenter
from index.errors import BulletinError, DuplicateBulletin
from index.home import home_place
from index.models import Article, Bulletin, IssueMeta
from index.reading.clean import parse_bulletin
from index.reading.sources import LIMITS, Limits, extract_text, find_documents, read_bytes
from index.records import Derived, NewArticle, NewBulletin, NewChunk, Reparsed, Stored, StoredSource
from index.sanitize import clean_name
from index.storage.store import Store

# The version of the derivation rules (cleaning, chunking, figures): bump it when they change, and every
# database re-derives its bulletins from their stored text when next opened for asking.
# 2: the figure index. 3: the issue key that tells a corrected version of an issue. 4: the issue's series, number,
# date and period read from any header (index/reading/issues.py), not only a masthead shaped like the sample's; places of
# all China and a bulletin's home place (我市, 全县). 5: 一级平台 is a grade, not a count; tab tables as rows.
# 6: space-separated and one-cell-per-line tables as rows; list numbers (1.住房…) are no figures; 羽, 剂 … units.
# 7: ranges with the unit written twice (1200元至2600元); numbers that name (12345热线, telephones, 〔2023〕9号);
# 百分之二十五 is a percentage; 四十万 and 三千 are numbers; 公尺, 平方公尺, 公吨; 旗 and 盟 count like 县.
# 8: a sentence is at most 300 characters (a run-on one is cut at commas) and is stored as where it stands;
# bidi controls are removed from the text.
RULES = 8

# A reindex of more text than this runs in child processes, which leave the bot's process (and the GIL) to its
# questions; below it, a thread: a child costs about a second to start (Python, the index package, jieba).
PROCESS_MIN_CHARS = 500_000
# An ingest of more bytes than this (about 500,000 characters of Chinese in UTF-8) parses its files in child
# processes, one per core, while this process stores them; below it, one by one here.
POOL_MIN_BYTES = 1_500_000


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
    """What makes two files the same issue: its series, number and date (undated: number and period); else the file."""
    # the date is required: two offices may both send a 工作简报 第3期, and replacing one by the other would hide it
    if meta.series and meta.date:
        return f"issue:{meta.series}|{meta.number or ''}|{meta.date}"
    # undated, a numbered issue is told by the period it covers when that names its year (第7期 2022年7月1日至31日):
    # a number alone comes back every year
    if meta.series and meta.number and meta.period and "年" in meta.period:
        return f"issue:{meta.series}|{meta.number}|{meta.period}"
    return f"file:{document}"


async def refresh(store: Store, segmenter: Segmenter) -> ReindexResult | None:
    """Reindex when any bulletin was derived by older rules (a program upgrade); return None when none was."""
    if not await store.stale(RULES):
        return None
    return await reindex(store, segmenter)


def derive(bulletin: Bulletin, segmenter: Segmenter) -> Derived:
    """Derive what is stored from a parsed bulletin by these rules: its issue fields, articles, terms, figures."""
    meta = bulletin.meta
    return Derived(issue_name=meta.series, issue_number=meta.number, issue_date=meta.date,
                   issue_key=issue_key(meta, bulletin.document), distribution=bulletin.distribution,
                   articles=analyse(bulletin, segmenter), rules=RULES, issue_period=meta.period)


def analyse(bulletin: Bulletin, segmenter: Segmenter) -> tuple[NewArticle, ...]:
    """Chunk every article, and find each chunk's index terms and figures."""
    articles = []
    home = bulletin_home(bulletin)
    for article in bulletin.articles:
        place = article_place(article, home)
        # a real title is indexed with every chunk of its article; a file name standing in for one is not. The
        # terms of title + "\n" + text are the title's then the text's (a line break ends every word and run), so
        # the title is tokenized once for all its chunks
        title = segmenter.terms(article.title) if article.title != bulletin.document else []
        chunks = []
        for text in chunk_paragraphs(article.paragraphs):
            tokens = " ".join(title + segmenter.terms(text))
            figures = figure_rows(text, issue_date=bulletin.meta.date, place=place, home=home)
            chunks.append(NewChunk(text=text, tokens=tokens, figures=tuple(figures)))
        articles.append(NewArticle(title=article.title, place=place, chunks=tuple(chunks)))
    return tuple(articles)


def bulletin_home(bulletin: Bulletin) -> str | None:
    """Return the place a bulletin is about: its masthead's, its file name's, its text's."""
    first = bulletin.articles[0] if bulletin.articles else None
    head = [bulletin.meta.name or "", *((first.title, *first.paragraphs[:2]) if first else ())]
    text = "\n".join(f"{a.title}\n{a.text}" for a in bulletin.articles)
    return home_place([line[:60] for line in head], text, bulletin.document)


def article_place(article: Article, home: str | None) -> str | None:
    """Return the place an article is about: its title's; else its opening's, unless that is only the home's city
    (受理宜春下派工单 in 高安's bulletin is 高安's work); else the bulletin's home."""
    if article.place is None or home is None:
        return article.place or home
    if places_in(article.title) or not within(home, article.place):
        return article.place
    return home


def document_name(name: str) -> str:
    """Return the name a file is stored, shown and logged under: its file name cleaned, on one line."""
    # a file name may hold anything but / and NUL: a newline would split `bulletin list`, U+202E flip how it reads
    return clean_name(name) or "未命名文件"


async def ingest_bytes(store: Store, segmenter: Segmenter, data: bytes, document: str,
                       limits: Limits = LIMITS) -> IngestResult:
    """Ingest one document given as bytes under its file name (cleaned); nothing is stored unless all of it is."""
    document = document_name(document)
    sha = hashlib.sha256(data).hexdigest()
    if (unchanged := await _unchanged(store, sha, document)) is not None:
        return unchanged
    # parsing and tokenizing are CPU work: off the event loop, so a bot keeps answering meanwhile
    return await _store(store, sha, document, asyncio.to_thread(_prepare, data, document, segmenter, limits))


async def _unchanged(store: Store, sha: str, document: str) -> IngestResult | None:
    """The result for a file whose content is stored and indexed already (None when it is not)."""
    try:
        existing = await store.find_sha(sha)
    except BulletinError as e:
        return _refused(document, e)
    if existing is not None and existing[1] == "indexed":
        return IngestResult(document, "unchanged", reason=f"same content as {existing[0]}, already stored")
    return None


async def _store(store: Store, sha: str, document: str, prepared: Awaitable[tuple[str, Derived]]) -> IngestResult:
    """Store a document once it is prepared (read and derived), in one transaction; nothing if any of it fails."""
    try:
        text, derived = await prepared
    except BulletinError as e:
        return _refused(document, e)
    new = NewBulletin(document=document, sha256=sha, raw_text=text, derived=derived)
    try:
        stored = await store.add_bulletin(new)
    except BulletinError as e:
        return _outcome(new, e)
    return _outcome(new, stored)


def _outcome(new: NewBulletin, stored: Stored | BulletinError) -> IngestResult:
    """The result of storing new: what the store did, or why it did not."""
    if isinstance(stored, DuplicateBulletin):  # another ingest stored the same file meanwhile
        return IngestResult(new.document, "unchanged", reason=str(stored))
    if isinstance(stored, BulletinError):
        return _refused(new.document, stored)
    derived = new.derived
    issue = " ".join(str(p) for p in (derived.issue_name, derived.issue_number, derived.issue_date,
                                      derived.issue_period) if p)
    chunks = [c for a in derived.articles for c in a.chunks]
    return IngestResult(new.document, stored.status, issue=issue, articles=len(derived.articles), chunks=len(chunks),
                        figures=sum(len(c.figures) for c in chunks), replaced=stored.replaced)


def _refused(document: str, error: BulletinError) -> IngestResult:
    return IngestResult(document, "refused", reason=str(error), error=type(error).__name__)


def _prepare(data: bytes, document: str, segmenter: Segmenter, limits: Limits) -> tuple[str, Derived]:
    text = extract_text(data, document, limits)
    return text, derive(parse_bulletin(text, document), segmenter)


@dataclass(frozen=True, slots=True)
class ReindexResult:
    """What a reindex derived afresh, what the index holds then, what it had to leave as it was, and how long it took.

    issues, articles, chunks and figures count the index (its issues' indexed versions), as `bulletin stats` does;
    versions counts every stored version derived afresh, replaced and removed ones too.
    """

    issues: int
    articles: int
    chunks: int
    figures: int
    versions: int
    seconds: float
    kept: tuple[str, ...] = ()  # documents whose stored text no longer parses: their old index stays


async def reindex(store: Store, segmenter: Segmenter | None, *, processes: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> ReindexResult:
    """Re-derive every stored bulletin's articles, chunks, tokens and figures from its original text.

    A large corpus is parsed by up to `processes` child processes (default: one core fewer than the machine
    has, so questions keep one), a small one in a thread (with segmenter, or one made for it when None).
    The new index is swapped in by one transaction. progress, if given, is told (bulletins parsed, of how many)
    as parsing goes (from another thread: it should only note the numbers).
    """
    started = time.perf_counter()
    sources = await store.load_sources()
    told = progress or (lambda done, total: None)
    told(0, len(sources))
    if sum(len(s.raw_text) for s in sources) < PROCESS_MIN_CHARS:
        here = segmenter if segmenter is not None else await asyncio.to_thread(Segmenter)
        reparsed, kept = await asyncio.to_thread(_reparse, sources, here, told)
    else:
        reparsed, kept = await _reparse_in_children(sources, processes or max(1, (os.cpu_count() or 2) - 1), told)
    # a bulletin whose text no longer parses keeps its old index, marked current: re-deriving it again cannot help
    # one transaction: readers see the old index or the new, never a mix
    held = await store.replace_derived(reparsed, RULES, kept=[k.id for k in kept])
    return ReindexResult(issues=held.issues, articles=held.articles, chunks=held.chunks, figures=held.figures,
                         versions=len(reparsed), seconds=time.perf_counter() - started,
                         kept=tuple(k.document for k in kept))


async def _reparse_in_children(sources: Sequence[StoredSource], processes: int,
                               told: Callable[[int, int], None]) -> tuple[list[Reparsed], list[StoredSource]]:
    """Reparse in worker processes, a few batches per worker, keeping the sources' order."""
    batches = [list(sources[i::processes * 4]) for i in range(processes * 4)]
    loop = asyncio.get_running_loop()
    pool = _pool(processes)
    done = 0

    def finished(batch: list[StoredSource]) -> None:
        nonlocal done
        done += len(batch)
        told(done, len(sources))

    futures = []
    for batch in batches:
        if batch:
            future = loop.run_in_executor(pool, _reparse_batch, batch)
            future.add_done_callback(lambda _, b=batch: finished(b))  # type: ignore[misc]
            futures.append(future)
    try:
        parts = await asyncio.gather(*futures)
    finally:
        await asyncio.to_thread(pool.shutdown, cancel_futures=True)
    order = {s.id: n for n, s in enumerate(sources)}
    reparsed = sorted((r for part in parts for r in part[0]), key=lambda r: order[r.id])
    kept = sorted((k for part in parts for k in part[1]), key=lambda k: order[k.id])
    return reparsed, kept


_worker_segmenter: Segmenter | None = None


def _start_worker() -> None:
    global _worker_segmenter
    end_with_parent()
    _worker_segmenter = Segmenter()  # once per worker: loading jieba's dictionary takes most of a second


def end_with_parent() -> None:
    """End this worker process as soon as the process that started it ends, even by kill -9.

    Otherwise a worker outlives it, waiting for work that never comes. The parent holds a pipe open for each child
    (the child's sentinel of its parent), and the kernel closes it when the parent dies, however it dies.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _worker() -> Segmenter:
    assert _worker_segmenter is not None, "the worker was started without its segmenter"
    return _worker_segmenter


def _reparse_batch(sources: list[StoredSource]) -> tuple[list[Reparsed], list[StoredSource]]:
    return _reparse(sources, _worker())


def _prepare_in_worker(data: bytes, document: str, limits: Limits) -> tuple[str, Derived]:
    return _prepare(data, document, _worker(), limits)


def _pool(processes: int) -> ProcessPoolExecutor:
    # spawn, not fork: forking a process that runs threads (aiosqlite's, the bot's) can deadlock the child
    return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker)


def _reparse(sources: Sequence[StoredSource], segmenter: Segmenter,
             told: Callable[[int, int], None] | None = None) -> tuple[list[Reparsed], list[StoredSource]]:
    reparsed: list[Reparsed] = []
    kept: list[StoredSource] = []
    for n, source in enumerate(sources):
        if told is not None:
            told(n, len(sources))
        try:
            bulletin = parse_bulletin(source.raw_text, source.document)
        except BulletinError:
            kept.append(source)
            continue
        reparsed.append(Reparsed(source.id, derive(bulletin, segmenter)))
    return reparsed, kept


async def ingest_paths(store: Store, segmenter: Segmenter | None, paths: Iterable[Path], limits: Limits = LIMITS,
                       progress: Callable[[IngestResult], None] | None = None, *, processes: int | None = None,
                       pool_min_bytes: int = POOL_MIN_BYTES) -> list[IngestResult]:
    """Ingest files and folders (recursively), each file whole or not at all; one result per file, in order.

    Several files of pool_min_bytes or more in all are parsed by `processes` child processes (default: one per
    core, if there are two or more) while this one stores them, in order; fewer, one after another here.
    segmenter may be None when none is at hand: one is made if the files are parsed here.
    """
    files = list(find_documents(paths))
    workers = processes or os.cpu_count() or 1
    # one child would only add its start to the work of one core: children only with a core for each of two
    if parsed_in_children(files, workers, pool_min_bytes):
        return await _ingest_in_children(store, files, limits, progress, workers)
    results = []
    for path in files:
        try:
            data = read_bytes(path, limits)
        except BulletinError as e:
            result = _refused(document_name(path.name), e)
        else:
            if segmenter is None:
                segmenter = await asyncio.to_thread(Segmenter)
            result = await ingest_bytes(store, segmenter, data, path.name, limits)
        results.append(result)
        if progress is not None:
            progress(result)
    return results


def parsed_in_children(files: Sequence[Path], processes: int | None = None,
                       pool_min_bytes: int = POOL_MIN_BYTES) -> bool:
    """Tell whether ingest_paths parses these files in child processes (several files, large enough in all)."""
    return len(files) > 1 and (processes or os.cpu_count() or 1) > 1 and _total_size(files) >= pool_min_bytes


def _total_size(files: Sequence[Path]) -> int:
    total = 0
    for path in files:
        with contextlib.suppress(OSError):  # refused when it is read
            total += path.stat().st_size
    return total


# How far ahead of the file being stored the children may parse: enough to keep them busy while files are stored,
# and a bound on the bytes read but not yet stored. Files are stored a batch at a time, one transaction each (a
# transaction costs some twenty round trips to SQLite's thread, whatever it holds).
_AHEAD_FILES = 48
_AHEAD_BYTES = 64_000_000
_BATCH_FILES = 16


@dataclass(frozen=True, slots=True)
class _Parsing:
    """A file being read and derived in a child process."""

    document: str
    sha: str
    size: int
    parsed: asyncio.Future[tuple[str, Derived]]


@dataclass(frozen=True, slots=True)
class _Unchanged:
    """A file whose content was stored and indexed when it was looked up, after `stored` files of this ingest.

    If this ingest stores more before its turn, one of them may have replaced it (a version of the same issue),
    and then it is looked up again, and parsed if need be: as one file at a time would have found it.
    """

    document: str
    sha: str
    data: bytes
    result: IngestResult
    stored: int


class _InChildren:
    """An ingest whose files are parsed in child processes and stored here, in order, a batch at a time."""

    def __init__(self, store: Store, pool: ProcessPoolExecutor, limits: Limits) -> None:
        self.store = store
        self.pool = pool
        self.limits = limits
        self.stored = 0  # files stored by this ingest so far (added, updated, restored)

    async def start(self, path: Path) -> IngestResult | _Unchanged | _Parsing:
        """Read a file, look its content up, and start parsing it unless it is stored already."""
        document = document_name(path.name)
        try:
            data = read_bytes(path, self.limits)
        except BulletinError as e:
            return _refused(document, e)
        sha = hashlib.sha256(data).hexdigest()
        if (unchanged := await _unchanged(self.store, sha, document)) is not None:
            if unchanged.status == "refused":
                return unchanged
            return _Unchanged(document, sha, data, unchanged, self.stored)
        return _Parsing(document, sha, len(data), self.parse(data, document))

    def parse(self, data: bytes, document: str) -> asyncio.Future[tuple[str, Derived]]:
        return asyncio.get_running_loop().run_in_executor(self.pool, _prepare_in_worker, data, document, self.limits)

    async def finish(self, batch: Sequence[IngestResult | _Unchanged | _Parsing]) -> list[IngestResult]:
        """Store the parsed files of batch, in one transaction where nothing comes between them; their results."""
        results: list[IngestResult] = []
        parsed: list[_Parsing] = []
        for job in batch:
            if isinstance(job, _Parsing):
                parsed.append(job)
                continue
            results.extend(await self.store_parsed(parsed))
            parsed = []
            if isinstance(job, _Unchanged) and job.stored != self.stored:
                # look again: a file stored since may have replaced the stored one of the same content
                if (unchanged := await _unchanged(self.store, job.sha, job.document)) is None:
                    results.extend(await self.store_parsed(
                        [_Parsing(job.document, job.sha, len(job.data), self.parse(job.data, job.document))]))
                    continue
                results.append(unchanged)
            else:
                results.append(job.result if isinstance(job, _Unchanged) else job)
        results.extend(await self.store_parsed(parsed))
        return results

    async def store_parsed(self, parsed: Sequence[_Parsing]) -> list[IngestResult]:
        """Store parsed files in one transaction (their results in order; a file that failed to parse is refused)."""
        if not parsed:
            return []
        await asyncio.wait([job.parsed for job in parsed])
        results: list[IngestResult | None] = []
        news: list[tuple[int, NewBulletin]] = []  # the bulletins to store, each with its place in results
        for job in parsed:
            try:
                text, derived = job.parsed.result()
            except BulletinError as e:
                results.append(_refused(job.document, e))
                continue
            news.append((len(results), NewBulletin(document=job.document, sha256=job.sha, raw_text=text,
                                                   derived=derived)))
            results.append(None)
        if news:
            stored: Sequence[Stored | BulletinError]
            try:
                stored = await self.store.add_bulletins([new for _, new in news])
            except BulletinError:
                # the transaction failed as a whole: each in its own now, as one at a time would, so only the file
                # at fault is refused
                stored = [await _stored_or_error(self.store, new) for _, new in news]
            for (place, new), outcome in zip(news, stored, strict=True):
                results[place] = _outcome(new, outcome)
                self.stored += isinstance(outcome, Stored)
        return [r for r in results if r is not None]


async def _ingest_in_children(store: Store, files: Sequence[Path], limits: Limits,
                              progress: Callable[[IngestResult], None] | None,
                              processes: int) -> list[IngestResult]:
    """Parse files in child processes while storing them here, in order, those parsed by then together."""
    pool = _pool(processes)
    ingest = _InChildren(store, pool, limits)
    results: list[IngestResult] = []
    ahead: deque[IngestResult | _Unchanged | _Parsing] = deque()  # the files not stored yet, in order

    def size(job: IngestResult | _Unchanged | _Parsing) -> int:
        return job.size if isinstance(job, _Parsing) else len(job.data) if isinstance(job, _Unchanged) else 0

    async def finish_first(count: int) -> None:
        batch = [ahead.popleft() for _ in range(min(count, len(ahead)))]
        for result in await ingest.finish(batch):
            results.append(result)
            if progress is not None:
                progress(result)

    try:
        for path in files:
            ahead.append(await ingest.start(path))
            while len(ahead) > _AHEAD_FILES or sum(map(size, ahead)) > _AHEAD_BYTES:
                await finish_first(_BATCH_FILES)
        while ahead:
            await finish_first(_BATCH_FILES)
    finally:
        for job in ahead:
            if isinstance(job, _Parsing):
                job.parsed.cancel()
        await asyncio.to_thread(pool.shutdown, cancel_futures=True)
    return results


async def _stored_or_error(store: Store, new: NewBulletin) -> Stored | BulletinError:
    try:
        return await store.add_bulletin(new)
    except BulletinError as e:
        return e
