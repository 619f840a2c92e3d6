"""Follow-ups in Telegram: 松江呢 continues the chat's last question for a while, with the real Application and the fake
Bot API."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.telegram.app import FOLLOW_UP_SECONDS
from fakebot import FakeBotAPI
from helpers import JIADING_FIGURE, JIADING_NAME, JIADING_TEXT, ingest_files, running_bot

USER = 1001
OTHER = 1002


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(sample_db, tmp_path / "bot.db"))


def run(fake: FakeBotAPI, db: Path, scenario: Callable[[Application], Any]) -> None:
    async def main() -> None:
        async with running_bot(fake, db) as app:
            await scenario(app)

    asyncio.run(main())
    assert fake.errors == [], fake.errors  # the bot never sent anything Telegram would refuse


async def replies(fake: FakeBotAPI, chat_id: int, count: int) -> list[dict[str, Any]]:
    await fake.wait_for(lambda: len(fake.sent(chat_id)) >= count)
    return fake.sent(chat_id)


def test_a_follow_up_is_read_as_the_chats_last_question_until_the_time_is_up(fake: FakeBotAPI, db: Path) -> None:
    async def scenario(app: Application) -> None:
        assert app.bot_data["follow_up_seconds"] == FOLLOW_UP_SECONDS
        fake.send_text("青浦有多少套公租房")
        [first] = await replies(fake, USER, 1)
        assert "100套" in first["text"].split("\n")[0]

        fake.send_text("松江呢")
        followed = (await replies(fake, USER, 2))[-1]
        reading, answer = followed["text"].split("\n", 1)
        assert reading == "（按“松江有多少套公租房”回答）"
        assert followed["html"].startswith("<i>（按")
        assert answer.startswith("简报提到了松江，但没有松江的公租房的数字")  # the measure was carried over

        # another chat has asked nothing yet: its 松江呢 is a question of its own, about 松江 alone
        fake.send_text("松江呢", user_id=OTHER)
        [alone] = await replies(fake, OTHER, 1)
        assert "按“" not in alone["text"]
        assert "公租房" not in alone["text"]

        app.bot_data["follow_up_seconds"] = 0  # the time is up: the last question is not continued any more
        fake.send_text("松江呢")
        late = (await replies(fake, USER, 3))[-1]
        assert late["text"] == alone["text"]

    run(fake, db, scenario)


def test_a_follow_up_finds_what_the_bulletins_say_of_the_other_place(fake: FakeBotAPI, db: Path,
                                                                   tmp_path: Path) -> None:
    jiading = tmp_path / JIADING_NAME
    jiading.write_text(JIADING_TEXT, encoding="utf-8")
    [added] = ingest_files(db, [jiading])
    assert added.status == "added"

    async def scenario(app: Application) -> None:
        fake.send_text("青浦建成了多少个快递驿站")
        [first] = await replies(fake, USER, 1)
        assert first["text"].startswith("简报提到了青浦，但没有")  # the bulletins say it of 嘉定 only
        fake.send_text("那嘉定呢？")
        followed = (await replies(fake, USER, 2))[-1]
        lines = followed["text"].split("\n")
        assert lines[0] == "（按“嘉定建成了多少个快递驿站”回答）"
        assert JIADING_FIGURE in lines[1]
        assert {"原文", "👍", "👎"} <= {b["text"] for row in followed["reply_markup"]["inline_keyboard"] for b in row}

    run(fake, db, scenario)
