"""Uploads (web room): a multipart form's files read one by one under the bot's limits, each ingested as the bot
ingests a document (parsed in the same limited child process)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import BodyPartReader, web

from bot.ops.service import Service
from index import SUFFIXES, BulletinError, IngestResult, Limits, document_name

MAX_FILES = 20  # files one upload may carry
READ = 64 * 1024  # bytes read at a time: a file never sits in memory beyond its limit


class BadUpload(BulletinError):
    """The request is not an upload at all (no form, no file field, too many files)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def receive(request: web.Request, service: Service, limits: Limits) -> list[IngestResult]:
    """Read the form's `file` fields and ingest each; a file refused before parsing gets a refused result."""
    if request.content_type != "multipart/form-data":
        raise BadUpload("请以 multipart/form-data 表单上传，文件字段名为 file。")
    if request.content_length is not None and request.content_length > MAX_FILES * (limits.max_bytes + 4096):
        raise BadUpload(f"一次上传的内容过大（上限 {MAX_FILES} 个文件，每个 {limits.max_bytes / 1e6:.0f} MB）。", 413)
    reader = await request.multipart()
    results: list[IngestResult] = []
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name != "file":
            continue  # another field (csrf, a nested form): not a file
        if len(results) >= MAX_FILES:  # the rest is read and dropped, each said so (those before are stored)
            await part.release()
            results.append(IngestResult(document_name(Path(part.filename or "").name), "refused",
                                        f"more than {MAX_FILES} files in one upload", error="UnsupportedFile"))
            continue
        results.append(await _one(part, service, limits))
    if not results:
        raise BadUpload("没有收到文件：表单里没有名为 file 的文件字段。")
    return results


async def _one(part: BodyPartReader, service: Service, limits: Limits) -> IngestResult:
    # the name is shown, stored and logged: cleaned first, as the bot cleans a Telegram document's
    name = document_name(Path(part.filename or "").name)
    if Path(name).suffix.lower() not in SUFFIXES:
        await part.release()
        return IngestResult(name, "refused", f"only {' '.join(SUFFIXES)} files are read", error="UnsupportedFile")
    data = bytearray()
    while chunk := await part.read_chunk(READ):
        data += chunk
        if len(data) > limits.max_bytes:
            await part.release()  # the rest is read and dropped, never kept
            return IngestResult(name, "refused", f"the file is larger than {limits.max_bytes / 1e6:.0f} MB",
                                error="UnreadableFile")
    return await service.ingest(bytes(data), name)
