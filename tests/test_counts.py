"""Every report of what the index holds counts the same: the issues in the index and their chunks.

`bulletin stats`, `health`, `backup`, `restore` and `reindex`, and the bot's /stats and /reindex, over a database that
also stores an older version of an issue and a removed issue (versions keep their chunks stored, out of the index).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from fakebot import FakeBotAPI
from helpers import JIADING_NAME, JIADING_TEXT, ingest_one, query, run_cli, running_bot

ADMIN = 7001
CORRECTED = JIADING_TEXT.replace("累计建成45个", "累计建成47个").replace("服务社区居民约8万人。", "服务社区居民约9万人，新增快递员120名。")
SIXTH = JIADING_TEXT.replace("第5期", "第6期").replace("5月20日", "6月20日").replace("累计建成45个", "累计建成52个")


@pytest.fixture
def db(sample_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The sample, an issue and its newer version (same series, number and date, other text), and a removed issue."""
    db = Path(shutil.copy(sample_db, tmp_path / "live.db"))
    assert ingest_one(db, JIADING_TEXT.encode(), JIADING_NAME).status == "added"
    assert ingest_one(db, CORRECTED.encode(), "jiading-05-corrected.txt").status == "updated"
    assert ingest_one(db, SIXTH.encode(), "jiading-06.txt").status == "added"
    assert run_cli(capsys, "--db", db, "remove", "jiading-06.txt")[0] == 0
    return db


def indexed(db: Path) -> tuple[int, int, int, int]:
    """The oracle, straight from the file: issues in the index, and their articles, chunks and figures."""
    [row] = query(db, "SELECT count(DISTINCT b.id), count(DISTINCT a.id), count(DISTINCT c.id), count(f.id)"
                      " FROM bulletins b JOIN articles a ON a.bulletin_id = b.id JOIN chunks c ON c.article_id = a.id"
                      " LEFT JOIN figures f ON f.chunk_id = c.id WHERE b.state = 'indexed'")
    return row


def numbers(pattern: str, text: str) -> tuple[int, ...]:
    found = re.search(pattern, text)
    assert found, (pattern, text)
    return tuple(map(int, found.groups()))


def test_every_report_counts_the_issues_in_the_index_and_their_chunks(
        db: Path, tmp_path: Path, fake: FakeBotAPI, capsys: pytest.CaptureFixture[str]) -> None:
    issues, _, chunks, _ = expected = indexed(db)
    assert issues == 2  # the sample and the newer version of 第5期
    # the older version and the removed issue keep their chunks: a count of every chunk would differ
    assert query(db, "SELECT count(*) FROM chunks")[0][0] > chunks
    assert query(db, "SELECT count(*) FROM bulletins")[0][0] == 4

    rc, out, _ = run_cli(capsys, "--db", db, "stats")
    assert rc == 0
    assert (numbers(r"(?m)^issues +(\d+)$", out), numbers(r"(?m)^articles +(\d+)$", out),
            numbers(r"(?m)^chunks +(\d+)$", out), numbers(r"(?m)^figures +(\d+)$", out)) == tuple(
        (n,) for n in expected)
    assert numbers(r"(?m)^stored versions out of the index +(\d+) ", out) == (2,)

    rc, out, _ = run_cli(capsys, "--db", db, "health")
    assert numbers(r"^ok: (\d+) issues, (\d+) chunks; ", out) == (issues, chunks)

    rc, out, _ = run_cli(capsys, "--db", db, "backup", tmp_path / "b.db")
    assert rc == 0
    assert numbers(r": (\d+) issues, (\d+) chunks, ", out) == (issues, chunks)

    rc, out, _ = run_cli(capsys, "--db", db, "reindex")
    assert rc == 0
    # every stored version is derived afresh, and said as versions; the index is counted as everywhere else
    assert numbers(r"^reindexed (\d+) stored versions \((\d+) issues in the index: (\d+) articles, (\d+) chunks, "
                   r"(\d+) figures\)", out) == (4, *expected)
    assert indexed(db) == expected

    rc, out, _ = run_cli(capsys, "--db", db, "restore", tmp_path / "b.db")
    assert rc == 0
    assert numbers(r": (\d+) issues, (\d+) chunks; ", out) == (issues, chunks)

    async def bot() -> None:
        async with running_bot(fake, db):
            fake.send_text("/stats", user_id=ADMIN)
            await fake.wait_for(lambda: len(fake.sent(ADMIN)) >= 1)
            stats = fake.sent(ADMIN)[-1]["text"]
            assert numbers(r"索引中有简报 (\d+) 期，文章 (\d+) 篇，段落 (\d+) 段，数字 (\d+) 个", stats) == expected
            assert "另有 2 个版本" in stats
            fake.send_text("/reindex", user_id=ADMIN)
            await fake.wait_for(lambda: "索引已重建" in fake.sent(ADMIN)[-1]["text"], timeout=60)
            done = fake.sent(ADMIN)[-1]["text"]
            assert numbers(r"重新解析了保存的 (\d+) 个版本", done) == (4,)
            assert numbers(r"索引中有简报 (\d+) 期，文章 (\d+) 篇，段落 (\d+) 段，数字 (\d+) 个", done) == expected

    asyncio.run(bot())
    assert fake.errors == []
