"""Telegram messages: valid escaped HTML, never over 4096 UTF-16 units, split at sentence ends."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace
from html import escape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering.answer import Answer
from bot.answering.engine import Engine
from bot.ops.usage import Downvoted, FeedbackStats, QuestionStats
from bot.telegram.messages import (
    ANSWER_CHARS,
    LIMIT,
    MAX_MESSAGES,
    NOTHING_SHOWN,
    PAGE,
    answer_blocks,
    candidates,
    ingest_blocks,
    more_blocks,
    pack,
    source_blocks,
    split_text,
    stats_blocks,
    utf16_len,
)
from fakebot import parse_html
from helpers import FIGURE_ANSWERS, NOT_FOUND, segmenter
from index import Chunk, IngestResult, Stats, Store, strip_invisible

SENTENCE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300)


@pytest.fixture(scope="module")
def engine(sample_db: Path) -> Engine:
    async def load() -> Engine:
        async with await Store.open(sample_db) as store:
            return await Engine.load(store, segmenter())

    return asyncio.run(load())


def visible(html: str) -> str:
    return parse_html(html)  # raises on markup Telegram would refuse


def test_utf16_counts_astral_characters_twice() -> None:
    assert utf16_len("青浦") == 2
    assert utf16_len("😀") == 2
    assert utf16_len("a😀b") == 4


@settings(max_examples=150, deadline=None)
@given(st.lists(SENTENCE, min_size=1, max_size=40), st.integers(min_value=20, max_value=LIMIT))
def test_split_text_keeps_every_character_in_order_within_the_limit(parts: list[str], limit: int) -> None:
    text = "。".join(parts)
    pieces = split_text(text, limit)
    assert all(0 < utf16_len(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())  # only whitespace at cuts may go


def test_split_text_cuts_at_sentence_ends_when_it_can() -> None:
    sentences = [f"第{i}句，青浦区共有{i}套公租房。" for i in range(600)]
    pieces = split_text("".join(sentences))
    assert len(pieces) > 1
    assert all(p.endswith("。") for p in pieces)
    assert "".join(pieces) == "".join(sentences)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(SENTENCE, st.sampled_from(["", "b", "i", "blockquote"])), min_size=1, max_size=60))
def test_packed_messages_are_valid_html_within_the_limit(blocks: list[tuple[str, str]]) -> None:
    from bot.telegram.messages import _block

    messages = pack([_block(text, tag) for text, tag in blocks], limit=500)
    assert 1 <= len(messages) <= MAX_MESSAGES
    for message in messages:
        assert utf16_len(visible(message)) <= 500


@pytest.mark.parametrize("text", ["\r", " \n ", "\u200b\t"])
def test_a_reply_of_only_spaces_is_the_placeholder_not_a_blank_message(text: str) -> None:
    assert pack([(text, text)]) == [NOTHING_SHOWN]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(SENTENCE, min_size=1, max_size=8).map("。".join), min_size=1, max_size=6))
def test_a_long_block_after_a_short_one_is_split_keeping_every_character_in_order(texts: list[str]) -> None:
    messages = pack([(text, escape(text, quote=False)) for text in texts], limit=300)
    shown = [visible(m) for m in messages]
    assert all(utf16_len(m) <= 300 for m in shown)
    if len(messages) < MAX_MESSAGES:  # nothing was cut
        written = "".join(strip_invisible("".join(texts)).split())
        assert "".join("".join(shown).split()) == (written or NOTHING_SHOWN)  # only invisible: the placeholder


@pytest.mark.parametrize("passage", ["青浦局共推动100套公租房租赁给快递员。" * 900, "没有标点的长句" * 3000])
def test_a_reply_too_long_for_three_messages_is_cut_within_the_limit(passage: str) -> None:
    messages = pack([("标题", "<b>标题</b>"), (passage, passage)])
    assert len(messages) == MAX_MESSAGES
    assert all(utf16_len(visible(m)) <= LIMIT for m in messages)
    assert messages[-1].endswith("其余从略）")


def test_a_passage_longer_than_a_message_is_split_not_cut() -> None:
    long_passage = "青浦局共推动100套公租房租赁给快递员。" * 400  # about 8,000 characters
    messages = pack([("标题", "<b>标题</b>"), (long_passage, long_passage)])
    assert 2 <= len(messages) <= MAX_MESSAGES
    assert all(utf16_len(visible(m)) <= LIMIT for m in messages)
    assert "".join(visible(m).replace("\n", "") for m in messages) == "标题" + long_passage


def test_the_answer_is_bold_figure_quote_and_source(engine: Engine) -> None:
    for question, (value, _, unit) in FIGURE_ANSWERS.items():
        answer = engine.ask(question)
        [message] = pack(answer_blocks(answer))
        assert message.startswith("<b>")
        text = visible(message)
        assert f"{value:g}" in text.split("\n")[0]
        assert unit in text.split("\n")[0]
        assert "“" in text
        assert "——" in text
        assert "000_1fd2e1b186c74ed6.txt" in text


def test_a_word_answer_from_a_very_long_passage_is_one_message_and_its_source_pages(engine: Engine) -> None:
    answer = engine.ask("奉贤依托行业党建联盟成立的驿站叫什么")
    assert answer.chunk is not None
    passage = "松江局联合区总工会在全区开展暖心驿站建设，" * 450  # one 9,450-character sentence
    long = replace(answer, headline=passage, quote=passage, figures=(), chunk=replace(answer.chunk, text=passage))
    [message] = pack(answer_blocks(long))
    text = visible(message)
    assert text.startswith(passage[:ANSWER_CHARS])
    assert utf16_len(text) <= ANSWER_CHARS + 300
    assert "全文请点「原文」" in text
    source = [visible(m) for m in pack(source_blocks(long, passage))]  # 原文 may take more than one message
    assert 1 < len(source) <= MAX_MESSAGES
    assert "".join(source).replace("\n", "").endswith(passage)


def test_a_series_over_hundreds_of_issues_keeps_the_answer_one_message_and_shows_the_newest(engine: Engine) -> None:
    answer = engine.ask("青浦有多少套公租房")
    first = answer.figures[0]
    days = [dt.date(2000, 1, 1) + dt.timedelta(days=7 * i) for i in range(300)]
    series = tuple(replace(first, chunk=replace(first.chunk, id=1000 + i, issue_date=day)) for i, day in enumerate(days))
    [message] = pack(answer_blocks(replace(answer, series=series)))
    text = visible(message)
    assert "各期：……" in text
    assert f"{days[-1].isoformat()} " in text
    assert f"{days[0].isoformat()} " not in text
    assert utf16_len(text) <= ANSWER_CHARS


def test_not_found_is_plain_and_says_so(engine: Engine) -> None:
    answer = engine.ask(NOT_FOUND[0])
    [message] = pack(answer_blocks(answer))
    assert "<b>" not in message
    assert "松江" in visible(message)


def _hostile(answer: Answer) -> Answer:
    """The same answer, its bulletin text full of characters HTML treats specially."""
    assert answer.chunk is not None
    chunk = Chunk(id=answer.chunk.id, document="a<b>&c.txt", title="<i>标题</i> & “引号”", text=answer.chunk.text,
                  ordinal=0, article_id=1, issue_date=dt.date(2023, 1, 2))
    figures = tuple(replace(f, chunk=chunk, figure=replace(f.figure, text=f"<u>{f.figure.text}&",
                                                           sentence=f"{f.figure.sentence}</b>"))
                    for f in answer.figures)
    hits = tuple(replace(h, chunk=replace(chunk, id=h.chunk.id, text=f"{h.chunk.text}<&>")) for h in answer.hits)
    return Answer(answer.question, True, "<script>共100套 & 更多</script>", answer.quote + " <b>&amp;", chunk,
                  figures, hits)


def test_every_piece_of_bulletin_text_is_escaped(engine: Engine) -> None:
    answer = _hostile(engine.ask("青浦有多少套公租房"))
    shown = [visible(m) for blocks in (answer_blocks(answer), source_blocks(answer, answer.quote + "后文"))
             for m in pack(blocks)]  # valid HTML despite the markup-like text
    for text in shown:
        assert "<script>共100套 & 更多</script>" in text
        assert "a<b>&c.txt" in text
        assert "<i>标题</i> & “引号”" in text
    assert "<b>&amp;" in shown[-1]  # the source passage shows it as written, not interpreted
    [more] = pack(more_blocks(answer, 1)[0])
    assert "<i>标题</i> & “引号”" in visible(more)
    assert "<u>15套&" in visible(more)
    words = replace(answer, figures=())  # a word answer's 更多 lists the other passages
    [more] = pack(more_blocks(words, 1)[0])
    assert "<&>" in visible(more)


def test_the_source_passage_bolds_the_quoted_sentence(engine: Engine) -> None:
    answer = engine.ask("青浦有多少套公租房")
    assert answer.chunk is not None
    [message] = pack(source_blocks(answer, answer.chunk.text))
    assert f"<b>{answer.quote.strip()}</b>" in message
    assert "<blockquote>" in message
    assert answer.chunk.text in visible(message)


def test_more_pages_through_the_other_candidates(engine: Engine) -> None:
    answer = engine.ask("青浦有多少套公租房")
    others = candidates(answer)
    assert others, "the sample's 公租房 article has more than one figure"
    seen = []
    page = 1
    while True:
        blocks, more = more_blocks(answer, page)
        [message] = pack(blocks)
        seen.extend(visible(message).split("\n")[1:])
        if not more:
            break
        page += 1
    assert len(seen) == len(others)
    assert page == (len(others) + PAGE - 1) // PAGE
    blocks, more = more_blocks(answer, page + 1)
    assert not more
    assert "没有更多" in visible(pack(blocks)[0])


def test_reports_are_valid_html() -> None:
    stats = Stats(issues=2, articles=6, chunks=15, figures=15, newest_issue="2023-05-20", last_ingest=None)
    asked = QuestionStats(asked=10, answered=7, not_found=3, top_not_found=(("<b>松江 & 宝山" * 40, 2),))
    votes = FeedbackStats(votes=4, up=1, down=3, most_down=(Downvoted("<i>青浦 & 松江", "共<100>套", "a&b.txt", 3, 1),))
    text = visible(pack(stats_blocks(stats, asked, votes))[0])
    assert "共提问 10 次" in text
    assert "30%" in text
    assert "<b>松江 & 宝山" in text
    assert "反馈 4 次：👍 1，👎 3（👎 占 75%）" in text
    assert "3 次 👎 · <i>青浦 & 松江 → 共<100>套（a&b.txt）" in text
    for result in (IngestResult("x<y>.pdf", "refused", reason="the PDF is encrypted", error="UnreadableFile"),
                   IngestResult("a.txt", "added", issue="简报 第5期 2023-05-20", articles=1, chunks=1, figures=3),
                   IngestResult("a.txt", "unchanged", reason="same content as b.txt, already stored")):
        assert result.document in visible(pack(ingest_blocks(result))[0])


def test_a_reply_of_only_invisible_characters_is_still_one_message() -> None:
    # a quoted user text of only a bidi override or a control character leaves nothing to show
    assert pack([("\u202e", "\u202e"), ("\x1f", "\x1f")]) == [NOTHING_SHOWN]
