"""Telegram messages: answers, sources, candidates and reports as escaped HTML, split to Telegram's limit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from bot.answering.answer import Answer
from bot.answering.engine import NOTHING_INDEXED
from bot.answering.render import cite, series_line, shorten
from bot.ops.refusals import REFUSALS, STATES, reason
from bot.ops.usage import FeedbackStats, QuestionStats
from index import (
    Chunk,
    IngestResult,
    ReindexResult,
    Removed,
    Stats,
    StoredIssue,
    strip_invisible,
)

LIMIT = 4096  # Telegram counts a message's visible text; we count UTF-16 units, which is safe either way
MAX_MESSAGES = 3  # a reply longer than this many messages is cut, not flooded into the chat
PAGE = 5  # candidates per 更多
# an answer is one message, well under Telegram's 4096: its text at most ANSWER_CHARS, 「原文」 shows the passage
ANSWER_CHARS = 1000
SOURCE_CHARS = 200  # the 「—— file · date ·《title》」 line (a total cites every bulletin it adds up)
SERIES_CHARS = 300  # 各期：… over many issues keeps its newest end
_CUT = "\n……（内容过长，其余从略）"
_MIN_ROOM = 500  # a long block's first piece goes after what came before only if this much room is left

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """Split plain text into pieces of at most limit UTF-16 units, at paragraph, then sentence boundaries."""
    pieces: list[str] = []
    current = ""
    for part in _parts(text, limit):
        if current and utf16_len(current) + utf16_len(part) > limit:
            pieces.append(current)
            current = ""
        current += part
    if current.strip():
        pieces.append(current)
    return [p.strip("\n") for p in pieces if p.strip()]


def _parts(text: str, limit: int) -> list[str]:
    """Cut text at sentence ends; a sentence longer than limit is cut at the limit."""
    parts = []
    for sentence in _SENTENCE_END.split(text):
        while utf16_len(sentence) > limit:
            cut = limit
            while utf16_len(sentence[:cut]) > limit:  # astral characters count twice
                cut -= 1
            parts.append(sentence[:cut])
            sentence = sentence[cut:]
        if sentence:
            parts.append(sentence)
    return parts


NOTHING_SHOWN = "（无可显示的内容）"


def pack(blocks: Sequence[tuple[str, str]], limit: int = LIMIT) -> list[str]:
    """Join (plain, html) blocks into at most MAX_MESSAGES messages; the rest is cut with a note saying so."""
    # every message passes here: what documents and users wrote loses its invisible characters (a bidi override,
    # U+202E, would flip how a figure reads), once for all the blocks
    blocks = [(strip_invisible(plain), strip_invisible(markup)) for plain, markup in blocks]
    # only invisible characters or spaces (Telegram refuses a blank text): still one message to send
    messages = [m for m in _pack_all(blocks, limit) if m.strip()] or [NOTHING_SHOWN]
    if len(messages) > MAX_MESSAGES:
        # packed again with room for the note, so the cut message too stays within the limit
        kept = _pack_all(blocks, limit - utf16_len(_CUT))[:MAX_MESSAGES]
        messages = [*kept[:-1], kept[-1] + _CUT]
    return messages


def _split_filling(text: str, room: int, limit: int) -> list[str]:
    """Split text within limit, its first piece filling the room left in the message before it, if that is worth it."""
    # else a long passage after a short answer starts a message of its own and may not fit in MAX_MESSAGES
    first, size = "", 0
    for part in _parts(text, room) if room >= _MIN_ROOM else ():  # the parts, joined, are the text
        if size + utf16_len(part) > room:
            break
        first, size = first + part, size + utf16_len(part)
    if not first.strip():
        return split_text(text, limit)
    return [first.strip("\n"), *split_text(text[len(first):], limit)]


def _pack_all(blocks: Sequence[tuple[str, str]], limit: int) -> list[str]:
    """Join (plain, html) blocks into messages; a block too long for one message is split as plain text."""
    messages: list[str] = []
    html, size = "", 0
    for plain, markup in blocks:
        room = limit - size - 1 if html else limit
        pieces = [(markup, utf16_len(plain))] if utf16_len(plain) <= limit else \
            [(escape(p, quote=False), utf16_len(p)) for p in _split_filling(plain, room, limit)]
        for piece, length in pieces:
            if html and size + 1 + length > limit:
                messages.append(html)
                html, size = "", 0
            html, size = (f"{html}\n{piece}", size + 1 + length) if html else (piece, length)
    if html:
        messages.append(html)
    return messages


def _block(text: str, tag: str = "") -> tuple[str, str]:
    markup = escape(text, quote=False)
    return text, f"<{tag}>{markup}</{tag}>" if tag else markup


def _source_line(chunk: Chunk) -> tuple[str, str]:
    return _block(f"—— {shorten(cite(chunk), None, SOURCE_CHARS)}", "i")


def _headline(answer: Answer) -> str:
    """The answer's own text, its start only if it is longer than ANSWER_CHARS."""
    return shorten(answer.headline, None, ANSWER_CHARS)


def _newest(series: str) -> str:
    """A series line cut to SERIES_CHARS from its oldest end: the newest issues matter most."""
    if len(series) <= SERIES_CHARS:
        return series
    head, _, steps = series.partition("：")
    return f"{head}：……{steps[len(steps) - SERIES_CHARS:]}"


def answer_blocks(answer: Answer) -> list[tuple[str, str]]:
    """The answer: the figure (or name) in bold, the sentence it comes from, and where it stands."""
    if answer.headline == NOTHING_INDEXED:  # asking again differently cannot help
        return [_block(answer.headline), _block("简报收录后即可提问（管理员发送简报文件给我即可收录）。")]
    if not answer.found or answer.chunk is None:
        return [_block(_headline(answer)), _block("可以换个说法再问，或问问别的数字。")]
    headline = _headline(answer)
    blocks = [_block(headline, "b")]
    start = answer.figures[0].figure.start if answer.figures else None
    if answer.quote and answer.quote.strip() != answer.headline.strip():
        blocks.append(_block(f"“{shorten(answer.quote, start)}”"))
    if headline != answer.headline.strip() and answer.chunk.id:  # a made-up total's chunk has no 原文 button
        blocks.append(_block("（回答较长，只显示开头；全文请点「原文」。）"))
    blocks.append(_source_line(answer.chunk))
    if series := series_line(answer):
        blocks.append(_block(_newest(series)))
    return blocks


def source_blocks(answer: Answer, passage: str) -> list[tuple[str, str]]:
    """The answer followed by its whole source passage, the quoted sentence in bold."""
    assert answer.chunk is not None
    blocks = [_block(_headline(answer), "b"), _source_line(answer.chunk)]
    quote = answer.quote.strip()
    if quote and quote in passage:
        before, _, after = passage.partition(quote)
        markup = f"{escape(before, quote=False)}<b>{escape(quote, quote=False)}</b>{escape(after, quote=False)}"
        blocks.append((passage, f"<blockquote>{markup}</blockquote>"))
    else:
        blocks.append(_block(passage, "blockquote"))
    return blocks


def candidates(answer: Answer) -> list[tuple[str, str]]:
    """The candidates after the first: other figures, or other passages for a word answer."""
    if answer.figures:
        return [(f"{f.figure.text}：{shorten(f.figure.sentence, f.figure.start, 80)} —— {cite(f.chunk)}",
                 f"• <b>{escape(f.figure.text, quote=False)}</b>："
                 f"{escape(shorten(f.figure.sentence, f.figure.start, 80), quote=False)}"
                 f" <i>—— {escape(cite(f.chunk), quote=False)}</i>")
                for f in answer.figures[1:]]
    return [(f"{shorten(h.chunk.text, None, 100)} —— {cite(h.chunk)}",
             f"• {escape(shorten(h.chunk.text, None, 100), quote=False)} <i>—— {escape(cite(h.chunk), quote=False)}</i>")
            for h in answer.hits if answer.chunk is None or h.chunk.id != answer.chunk.id]


def more_blocks(answer: Answer, page: int) -> tuple[list[tuple[str, str]], bool]:
    """One page of candidates (page 1 is the first after the answer), and whether another page follows."""
    found = candidates(answer)
    shown = found[(page - 1) * PAGE:page * PAGE]
    if not shown:
        return [_block("没有更多候选答案了。")], False
    title = _block(f"其他候选（{(page - 1) * PAGE + 1}–{(page - 1) * PAGE + len(shown)}，共 {len(found)} 条）：", "b")
    return [title, *shown], page * PAGE < len(found)


def help_blocks(stats: Stats, examples: Sequence[str], *, admin: bool) -> list[tuple[str, str]]:
    """What the bot knows and how to ask it."""
    if not stats.issues:
        return empty_help_blocks(admin=admin)
    newest = f"，最新一期是 {stats.newest_issue}" if stats.newest_issue else ""
    blocks = [
        _block("简报问答", "b"),
        _block(f"我读过 {stats.issues} 期工作简报（{stats.articles} 篇文章，{stats.figures} 个数字）{newest}。"
               "直接发问题给我，我回答数字、出处原句和所在简报。群里请用 /ask 问题，或 @我。"),
    ]
    if examples:
        blocks.append(_block("试试点下面的例子："))
    if admin:
        blocks.append(_block("管理员：发送简报文件（.txt .pdf .docx，20 MB 以内）即可收录；/reindex 重建索引；/stats 查看使用情况；/issues 列出简报；/remove 第5期 移出一期。"))
    return blocks


def empty_help_blocks(*, admin: bool) -> list[tuple[str, str]]:
    """/start with nothing indexed: say so, and tell an admin how to add the first issue."""
    blocks = [_block("简报问答", "b"), _block("还没有收录任何简报，暂时无法回答问题。")]
    if admin:
        blocks.append(_block("管理员：请在私聊中把简报文件（.txt .pdf .docx，20 MB 以内）直接发给我，收录后即可提问；"
                             "/issues 列出已保存的简报。"))
    else:
        blocks.append(_block("请等管理员收录简报后再来提问。"))
    return blocks


def stats_blocks(stats: Stats, asked: QuestionStats, feedback: FeedbackStats) -> list[tuple[str, str]]:
    """Index counts, how the asking went, the questions that found nothing, and the answers voted 👎."""
    share = f"（{asked.not_found / asked.asked:.0%}）" if asked.asked else ""
    blocks = [
        _block("使用情况", "b"),
        _block(f"索引中有简报 {stats.issues} 期，文章 {stats.articles} 篇，段落 {stats.chunks} 段，数字 {stats.figures} 个；"
               f"最新一期 {stats.newest_issue or '-'}。"
               + (f"另有 {stats.out_of_index} 个版本（被新版本替换的旧版本、已移出的简报）保存在数据库中，不在索引里。"
                  if stats.out_of_index else "")),
        _block(f"共提问 {asked.asked} 次：答出 {asked.answered} 次，未找到 {asked.not_found} 次{share}。"),
    ]
    if asked.top_not_found:
        blocks.append(_block("最常问却没找到的问题：", "b"))
        blocks.extend(_block(f"{n} 次 · {shorten(q, None, 60)}") for q, n in asked.top_not_found)
    if not feedback.votes:
        blocks.append(_block("还没有人点过回答下方的 👍/👎。"))
        return blocks
    blocks.append(_block(f"反馈 {feedback.votes} 次：👍 {feedback.up}，👎 {feedback.down}"
                         f"（👎 占 {feedback.down / feedback.votes:.0%}）。"))
    if feedback.most_down:
        blocks.append(_block("被点 👎 最多的回答：", "b"))
        blocks.extend(_block(f"{d.downs} 次 👎 · {shorten(d.question, None, 40)} → {shorten(d.answer, None, 40)}"
                             + (f"（{d.document}）" if d.document else "")) for d in feedback.most_down)
    return blocks


def ingest_blocks(result: IngestResult) -> list[tuple[str, str]]:
    """Say what happened to an uploaded bulletin."""
    if result.stored:
        issue = f"（{result.issue}）" if result.issue else ""
        done = {"added": "已收录", "updated": "已更新", "restored": "已恢复收录"}[result.status]
        blocks = [_block(f"{done} {result.document}{issue}", "b"),
                  _block(f"{result.articles} 篇文章，{result.chunks} 段，{result.figures} 个数字。现在就可以提问了。")]
        if result.replaced:
            blocks.append(_block(f"这是同一期简报的新版本，替换了 {'、'.join(result.replaced)}（旧版本仍保存在数据库中，不再用于回答）。"))
        return blocks
    if result.status == "unchanged":
        return [_block(f"未重复收录 {result.document}", "b"), _block(f"{reason(result.reason)}。")]
    kind = REFUSALS.get(result.error, "未能收录")
    return [_block(f"未收录 {result.document}", "b"), _block(f"{kind}：{reason(result.reason)}")]


ISSUES_SHOWN = 30  # a chat is no place for a long table: the command line lists them all


def issues_blocks(issues: Sequence[StoredIssue]) -> list[tuple[str, str]]:
    """The stored issues, newest first, each with its number, date, counts and state."""
    if not issues:
        return [_block("还没有收录任何简报。发送 .txt/.pdf/.docx 文件即可收录。")]
    blocks = [_block(f"已保存的简报（{len(issues)} 份）", "b")]
    for issue in list(reversed(issues))[:ISSUES_SHOWN]:
        name = " ".join(p for p in (issue.issue_name, issue.issue_number, issue.issue_period) if p)
        state = STATES.get(issue.state, issue.state)
        if issue.replaced_by:
            state += f"（{issue.replaced_by}）"
        blocks.append(_block(f"#{issue.id} {issue.issue_date or '无日期'} {name} · {issue.document} · "
                             f"{issue.articles} 篇 {issue.figures} 个数字 · {state}"))
    if len(issues) > ISSUES_SHOWN:
        blocks.append(_block(f"……只列出最新的 {ISSUES_SHOWN} 份；完整列表请在服务器上运行 bulletin list。"))
    return blocks


def _issue_name(issue: StoredIssue) -> str:
    """#id file（series number date period）."""
    name = " ".join(p for p in (issue.issue_name, issue.issue_number, issue.issue_date, issue.issue_period) if p)
    return f"#{issue.id} {issue.document}" + (f"（{name}）" if name else "")


def removed_blocks(removed: Removed) -> list[tuple[str, str]]:
    """Say which issue went out of the index, what that left in it, and how to bring it back."""
    if removed.purged:
        blocks = [_block(f"已从数据库删除：{_issue_name(removed.issue)}", "b")]
        if removed.restored is not None:
            blocks.append(_block(f"它替换过的版本 {_issue_name(removed.restored)} 已恢复到索引中。"))
        elif removed.issue.state == "indexed":
            blocks.append(_block("它没有替换过别的版本：这一期现在不在索引中。"))
        return blocks
    blocks = [_block(f"已移出索引：{_issue_name(removed.issue)}", "b"),
              _block("它仍保存在数据库中，不再用于回答；重新发送同一文件即可恢复。")]
    if removed.others:
        others = "、".join(f"#{i.id} {i.document}（{STATES.get(i.state, i.state)}）" for i in removed.others[:5])
        blocks.append(_block(f"移出的是在用的版本；同名的其他版本 {others} 本来就不在索引中，保持不变。"))
    return blocks


def reindex_blocks(result: ReindexResult) -> list[tuple[str, str]]:
    """Report a finished reindex."""
    # the index counted as /stats counts it; every stored version (older and removed ones too) was derived afresh
    blocks = [_block("索引已重建", "b"),
              _block(f"重新解析了保存的 {result.versions} 个版本，用时 {result.seconds:.2f} 秒。"
                     f"索引中有简报 {result.issues} 期，文章 {result.articles} 篇，段落 {result.chunks} 段，"
                     f"数字 {result.figures} 个。")]
    if result.kept:
        blocks.append(_block(f"以下简报的原文无法重新解析，保留原索引：{'、'.join(result.kept)}"))
    return blocks
