"""The bot's admin replies are Chinese throughout: every reason the reader, the store and the catalog give in English
is said in Chinese, quoting only file names, extensions, units, setting names and commands."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from bot.ops.refusals import DATABASE_GONE, reason, refusal
from bot.ops.service import DatabaseGone, Service
from bot.ops.usage import FeedbackStats, QuestionStats
from bot.telegram.messages import (
    ingest_blocks,
    pack,
    reindex_blocks,
    removed_blocks,
    stats_blocks,
)
from fakebot import FakeBotAPI, parse_html
from helpers import JIADING_TEXT, blank_pdf, encrypted_copy, running_bot, segmenter
from index import (
    SUFFIXES,
    BulletinError,
    IngestResult,
    Limits,
    NoSuchIssue,
    Store,
    ingest_bytes,
    reindex,
    remove_issue,
    restore_issue,
)
from index.reading.sources import read_bytes

ADMIN = 7001
OTHER_SERIES = JIADING_TEXT.replace("邮政管理工作简报", "快递工作简报")  # another bulletin's 第5期 of the same day

# What a Chinese reply may quote in ASCII letters besides the file names and paths it names: setting names, units,
# the file types and extensions it accepts, text encodings, and the commands an admin types.
ALLOWED = (r"\bBULLETIN_[A-Z_]+\b", r"(?<![A-Za-z])MB\b", r"%PDF-", r"(?<![A-Za-z])PDF(?![A-Za-z])",
           r"\.(?:txt|md|pdf|docx|exe)\b", r"\bUTF-8\b", r"\bGB18030\b", r"(?<![\w/])/(?:issues|remove)\b",
           r"\bbulletin (?:restore|list)\b")


def english(text: str, quoted: Iterable[str] = ()) -> list[str]:
    """The runs of ASCII letters left in text once what it may quote is taken out (longest quoted names first)."""
    for name in sorted(quoted, key=len, reverse=True):
        text = text.replace(name, " ")
    for pattern in ALLOWED:
        text = re.sub(pattern, " ", text)
    return re.findall(r"[A-Za-z]+", text)


def assert_chinese(text: str, quoted: Iterable[str] = ()) -> None:
    """Chinese, with no English word in it, and no reason left untranslated (said as 见服务器日志)."""
    assert re.search(r"[\u4e00-\u9fff]", text), text
    assert english(text, quoted) == [], text
    assert "服务器日志" not in text, text


def test_the_check_itself_finds_english_and_spares_what_is_quoted() -> None:
    assert english("文件无法读取：the PDF is encrypted") == ["the", "is", "encrypted"]
    assert english("PDF 已加密（BULLETIN_MAX_PAGES，20 MB，只收 .txt、.docx 文件，UTF-8）") == []
    assert english("不收 a.exe 文件", ["a.exe"]) == []
    assert english("不收 notes.exe 文件") == ["notes"]  # an extension spares only itself
    assert english("damaged PDFs") == ["damaged", "PDFs"]
    assert english("请用 /issues 查看，不是 a/issues") == ["a", "issues"]  # a command, not part of a path


async def _refused_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[IngestResult]:
    """Every refusal and non-addition an upload can meet, each made by the real reader, sources and store."""
    blank = blank_pdf(tmp_path / "blank.pdf").read_bytes()
    locked = encrypted_copy(tmp_path / "blank.pdf", tmp_path / "locked.pdf").read_bytes()
    uploads: list[tuple[str, bytes, Limits]] = [
        ("扫描件.pdf", blank, Limits()),  # no text layer
        ("加密.pdf", locked, Limits()),
        ("损坏.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ntrailer garbage", Limits()),
        ("假的.pdf", b"PK\x03\x04 a zip, not a pdf", Limits()),
        ("损坏.docx", b"PK\x03\x04 not really a zip", Limits()),
        ("假的.docx", b"plain words", Limits()),
        ("空白.txt", b"", Limits()),
        ("病毒.exe", b"MZ", Limits()),
        ("无扩展名", b"abc", Limits()),
        ("伪装.txt", b"%PDF-1.4 a pdf named .txt", Limits()),
        ("乱码.txt", "简报".encode("utf-16"), Limits()),
        ("超长.txt", ("字" * 100).encode(), Limits(max_chars=10)),
        ("过大.txt", ("字" * 100).encode(), Limits(max_bytes=10)),
        ("页多.pdf", blank, Limits(pages=0)),
        ("超时.pdf", blank, Limits(seconds=0)),
        ("无正文.txt", "\u3000\u3000\n".encode(), Limits()),
        ("嘉定.txt", JIADING_TEXT.encode(), Limits()),  # added, then:
        ("副本.txt", JIADING_TEXT.encode(), Limits()),  # the same bytes
        ("另存.txt", JIADING_TEXT.encode("gb18030"), Limits()),  # the same text in other bytes
    ]
    results = []
    async with await Store.open(tmp_path / "refusals.db") as store:
        for name, data, limits in uploads:
            results.append(await ingest_bytes(store, segmenter(), data, name, limits))
        # the reading child cannot start, exits without a reply, or is killed by a signal
        killed = tmp_path / "killed.sh"
        killed.write_text("#!/bin/sh\nkill -9 $$\n", encoding="utf-8")
        killed.chmod(0o755)
        for name, program in (("无法启动.pdf", str(tmp_path / "no-such-python")), ("退出.pdf", "/bin/false"),
                              ("被杀.pdf", str(killed))):
            with monkeypatch.context() as patched:
                patched.setattr(sys, "executable", program)
                results.append(await ingest_bytes(store, segmenter(), blank, name))
    (tmp_path / "文件夹.txt").mkdir()
    (tmp_path / "大文件.txt").write_bytes(b"x" * 1_500_000)
    for path, limits in ((tmp_path / "不存在.txt", Limits()), (tmp_path / "文件夹.txt", Limits()),
                         (tmp_path / "大文件.txt", Limits(max_bytes=1_000_000))):
        with pytest.raises(BulletinError) as refused:
            read_bytes(path, limits)
        results.append(IngestResult(path.name, "refused", reason=str(refused.value), error=type(refused.value).__name__))
    return results


# Reasons no test can make happen for real here (a reader out of memory, a permission, a busy or full disk), written as
# their raisers write them; and the web upload's own two refusals.
LITERAL = [("UnreadableFile", "reading it needs more than 512 MB of memory (a decompression bomb?)"),
           ("UnreadableFile", "damaged or unreadable document (nested too deeply)"),
           ("UnreadableFile", "cannot read the file (Permission denied)"),
           ("StoreError", "/srv/bulletins.db is busy (another ingest is writing); try again"),
           ("StoreError", "database error in /srv/bulletins.db: database or disk is full"),
           ("StoreError", "database error in /srv/bulletins.db: no such savepoint: sp1"),
           ("StoreError", "cannot open database /srv/bulletins.db: unable to open database file"),
           ("UnsupportedFile", f"only {' '.join(SUFFIXES)} files are read"),
           ("UnreadableFile", "the file is larger than 20 MB")]


def test_every_refused_upload_is_said_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = asyncio.run(_refused_files(tmp_path, monkeypatch))
    results += [IngestResult("简报.pdf", "refused", reason=why, error=kind) for kind, why in LITERAL]
    statuses = [r.status for r in results]
    assert statuses.count("added") == 1
    assert statuses.count("unchanged") == 2
    assert statuses.count("refused") == len(results) - 3
    # every reason differs: each kind of refusal is here once, and none by accident twice
    assert len({r.reason for r in results if r.status != "added"}) == len(results) - 1
    for result in results:
        [message] = pack(ingest_blocks(result))
        assert_chinese(parse_html(message), [result.document, "/srv/bulletins.db"])
    said = {r.document: parse_html(pack(ingest_blocks(r))[0]) for r in results}
    assert "PDF 设置了密码" in said["加密.pdf"]
    assert "内容与已收录的 嘉定.txt 相同" in said["副本.txt"]
    assert "文字与已收录的 嘉定.txt 相同" in said["另存.txt"]
    assert "读取文件的子进程中途被终止（信号 9）" in said["被杀.pdf"]
    assert "退出码 1" in said["退出.pdf"]
    assert "只收 .txt、.md、.pdf、.docx 文件" in said["病毒.exe"]


async def _catalog_refusals(db: Path) -> list[NoSuchIssue]:
    """Every NoSuchIssue the catalog raises, each from a real store."""
    errors = []
    async with await Store.open(db) as store:
        for name, data in (("嘉定.txt", JIADING_TEXT), ("快递.txt", OTHER_SERIES)):
            assert (await ingest_bytes(store, segmenter(), data.encode(), name)).status == "added"
        await remove_issue(store, "快递.txt")
        for attempt in (lambda: remove_issue(store, "第9期"),  # nothing of that name
                        lambda: remove_issue(store, "2023-05-20", purge=True),  # two issues of that day
                        lambda: remove_issue(store, "快递.txt"),  # out of the index already
                        lambda: restore_issue(store, "嘉定.txt"),  # in the index already
                        lambda: restore_issue(store, "第9期")):
            with pytest.raises(NoSuchIssue) as refused:
                await attempt()
            errors.append(refused.value)
        await remove_issue(store, "嘉定.txt")
        with pytest.raises(NoSuchIssue) as refused:
            await restore_issue(store, "2023-05-20")  # two out of the index
        errors.append(refused.value)
    return errors


def test_every_catalog_refusal_is_said_in_chinese(sample_db: Path, tmp_path: Path) -> None:
    errors = asyncio.run(_catalog_refusals(Path(shutil.copy(sample_db, tmp_path / "db.db"))))
    said = [refusal(e) for e in errors]
    for text in said:
        assert_chinese(text)
    assert said[0] == "没有与「第9期」对应的简报：/issues 列出已保存的简报"
    assert said[1].startswith("「2023-05-20」对应 2 份简报（#2 嘉定.txt（邮政管理工作简报 第5期 2023-05-20）；#3 快递.txt")
    assert said[1].endswith("请写 /issues 里的编号，例如 /remove 2")
    assert said[2] == "#3 快递.txt（快递工作简报 第5期 2023-05-20）已不在索引中（已移出索引）"
    assert said[3].endswith("已在索引中")
    assert said[5].startswith("「2023-05-20」对应 2 份不在索引中的简报")


def test_a_database_gone_is_said_in_chinese(sample_db: Path, tmp_path: Path) -> None:
    db = Path(shutil.copy(sample_db, tmp_path / "db.db"))

    async def run() -> DatabaseGone:
        service = await Service.open(db)
        try:
            os.replace(shutil.copy(sample_db, tmp_path / "other.db"), db)  # another file put in its place
            with pytest.raises(DatabaseGone) as gone:
                service.check_file()
            return gone.value
        finally:
            await service.close()

    error = asyncio.run(run())
    assert refusal(error) == DATABASE_GONE
    assert reason(str(error)) == DATABASE_GONE  # however it reaches an admin
    assert_chinese(DATABASE_GONE)


def test_reports_of_removals_counts_and_reindexes_are_chinese(sample_db: Path, tmp_path: Path) -> None:
    db = Path(shutil.copy(sample_db, tmp_path / "db.db"))
    body = JIADING_TEXT.split("\n\n", 1)[1]  # an issue by its file name: versions share it

    async def run() -> list[str]:
        async with await Store.open(db) as store:
            for text in (body, body.replace("45个", "47个"), body.replace("45个", "48个")):
                await ingest_bytes(store, segmenter(), text.encode(), "笔记.txt")
            purged = await remove_issue(store, "4", purge=True)
            removed = await remove_issue(store, "笔记.txt")
            done = await reindex(store, segmenter())
            stats = await store.stats()
        assert purged.restored is not None
        assert removed.others
        return [parse_html(m) for blocks in (removed_blocks(purged), removed_blocks(removed), reindex_blocks(done),
                                             stats_blocks(stats, QuestionStats(0, 0, 0, ()), FeedbackStats(0, 0, 0, ())))
                for m in pack(blocks)]

    purged, removed, reindexed, stats = asyncio.run(run())
    for text in (purged, removed, reindexed, stats):
        assert_chinese(text, ["笔记.txt"])
    assert "它替换过的版本 #3 笔记.txt 已恢复到索引中" in purged
    assert "同名的其他版本 #2 笔记.txt（已被新版本替换） 本来就不在索引中" in removed


def test_remove_with_a_bad_name_is_refused_in_chinese_by_the_bot(sample_db: Path, tmp_path: Path,
                                                               fake: FakeBotAPI) -> None:
    db = Path(shutil.copy(sample_db, tmp_path / "bot.db"))

    async def scenario() -> None:
        async with running_bot(fake, db, frozenset({ADMIN})):
            for name, data in (("嘉定.txt", JIADING_TEXT), ("快递.txt", OTHER_SERIES)):
                fake.send_document(data.encode(), name, user_id=ADMIN)
                await fake.wait_for(lambda n=name: any(f"已收录 {n}" in m["text"] for m in fake.sent(ADMIN)))
            for command in ("/remove 第9期", "/remove 2023-05-20", "/remove 快递.txt", "/remove 快递.txt"):
                count = len(fake.sent(ADMIN))
                fake.send_text(command, user_id=ADMIN)
                await fake.wait_for(lambda c=count: len(fake.sent(ADMIN)) > c)
            replies = [m["text"] for m in fake.sent(ADMIN)[-4:]]
            assert replies[0] == "未移出：没有与「第9期」对应的简报：/issues 列出已保存的简报"
            assert replies[1].startswith("未移出：「2023-05-20」对应 2 份简报（#2 嘉定.txt")
            assert replies[2].startswith("已移出索引：#3 快递.txt")
            assert replies[3].startswith("未移出：#3 快递.txt（快递工作简报 第5期 2023-05-20）已不在索引中")
            for text in replies:
                assert_chinese(text, ["嘉定.txt", "快递.txt"])

    asyncio.run(scenario())
    assert fake.errors == []
