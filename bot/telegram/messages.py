"""Telegram messages: answers, sources, candidates and reports as escaped HTML, split to Telegram's limit."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from html import escape

from bot.answering.answer import Answer
from bot.answering.engine import NOTHING_INDEXED
from bot.answering.render import cite, series_line, shorten
from bot.ops.service import DatabaseGone
from bot.ops.usage import FeedbackStats, QuestionStats
from index import (
    BulletinError,
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


DATABASE_GONE = ("数据库文件在机器人运行期间被删除或替换，这次操作没有保存。请恢复数据库（bulletin restore）后重启机器人；"
                 "在此之前照常回答问题，但不能收录、重建或移出简报。")

_REFUSALS = {"UnsupportedFile": "不支持的文件类型", "UnreadableFile": "文件无法读取",
             "EmptyDocument": "文件里没有可用的正文", "StoreError": "未能保存"}
_STATES = {"indexed": "在用", "replaced": "已被新版本替换", "removed": "已移出索引"}
# what SQLite says of a failed write, after "database error in …:"; anything else is just 数据库出错
_SQLITE = (("full", "磁盘已满"), ("disk I/O", "磁盘读写出错"), ("readonly", "数据库文件只读，无法写入"),
           ("malformed", "数据库文件已损坏"))
_UNKNOWN = "原因见服务器日志"  # a reason not listed here: never English inside a Chinese sentence


def _named(quoted: str) -> str:
    """The name a NoSuchIssue quotes as Python's repr ('第9期'), as the admin wrote it."""
    try:
        name = ast.literal_eval(quoted)
    except (ValueError, SyntaxError):
        return quoted
    return name if isinstance(name, str) else quoted


def _issue(described: str) -> str:
    """The catalog's description of an issue (#2 a.txt (series number date)) with Chinese brackets."""
    return re.sub(r" \(([^()]*)\)$", r"（\1）", described)


def _listed(issues: str) -> str:
    """A NoSuchIssue's list of issues (#2 a.txt (…); #3 b.txt (…)) with Chinese punctuation."""
    return "；".join(_issue(issue) for issue in issues.split("; "))


def _database_error(m: re.Match[str]) -> str:
    detail = next((chinese for english, chinese in _SQLITE if english in m.group(2)), "")
    return f"数据库出错（{m.group(1)}）" + (f"：{detail}" if detail else "")


def _ambiguous(m: re.Match[str]) -> str:
    example = f"，例如 /remove {m.group(4)}" if m.group(4) else ""
    return f"「{_named(m.group(1))}」对应 {m.group(2)} 份简报（{_listed(m.group(3))}）：请写 /issues 里的编号{example}"


# Every reason the reader, the sources, the store and the catalog give in English, said in Chinese: an admin's reply
# quotes file names, extensions, units and setting names, nothing else in English. Each pattern matches a whole reason.
_REASONS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(pattern, re.S), chinese) for pattern, chinese in (
        # index/reading/readers.py (the reading child)
        (r"it holds more than ([\d,]+) characters of text.*",
         "文字超过 {0} 字的上限（BULLETIN_MAX_CHARS），一期简报远没有这么多：请拆分文件或检查内容"),
        (r"not a PDF file \(no %PDF- header\)", "不是真正的 PDF 文件（开头没有 %PDF- 标记）"),
        (r"the PDF is encrypted; send an unprotected copy", "PDF 设置了密码：请发送未加密的副本"),
        (r"the PDF has (\d+) pages \(limit (\d+)\)", "PDF 有 {0} 页，超过 {1} 页的上限（BULLETIN_MAX_PAGES）"),
        (r"damaged or unreadable PDF \(\w+\)", "PDF 已损坏或无法读取"),
        (r"the PDF has no text layer.*", "PDF 没有文字层（不支持扫描件）：请发送带文字的 PDF"),
        (r"not a \.docx file \(not a zip container\)", "不是真正的 .docx 文件"),
        (r"damaged or unreadable \.docx \(\w+\)", ".docx 文件已损坏或无法读取"),
        (r"reading it needs more than (\d+) MB of memory.*",
         "读取它需要超过 {0} MB 内存（BULLETIN_PARSE_MEMORY_MB），已停止：文件可能有问题"),
        (r"damaged or unreadable document \(nested too deeply\)", "文件已损坏或无法读取（结构嵌套过深）"),
        # index/reading/sources.py
        (r"no such file", "文件不存在"),
        (r"is a folder", "这是文件夹，不是文件"),
        (r"cannot read the file \(.*\)", "读取时出错（没有权限或磁盘出错）"),
        (r"file is too large \(([\d.]+) MB, limit (\d+) MB\)", "文件过大（{0} MB，上限 {1} MB）"),
        (r"unsupported file type \(none\); expected (.+)",
         lambda m: f"文件没有扩展名；只收 {m.group(1).replace(', ', '、')} 文件"),
        (r"unsupported file type (\S+); expected (.+)",
         lambda m: f"不收 {m.group(1)} 文件；只收 {m.group(2).replace(', ', '、')} 文件"),
        (r"the file is empty", "文件是空的"),
        (r"reading it took longer than (\d+) s \(limit\).*", "读取超过 {0} 秒的时限（BULLETIN_PARSE_SECONDS），文件可能已损坏"),
        (r"cannot start the document reader \(.*\)", "无法启动读取文件的子进程"),
        (r"the document reader stopped \(signal (\d+)\).*", "读取文件的子进程中途被终止（信号 {0}），文件可能已损坏或过大"),
        (r"the document reader stopped \(exit status (\d+)\).*",
         "读取文件的子进程意外退出（退出码 {0}），文件可能已损坏或过大"),
        (r"this is a PDF or Office file, not plain text.*", "这是 PDF 或 .docx 一类的文件，不是纯文本：请改用正确的扩展名"),
        (r"unknown text encoding.*", "无法识别文字编码（只支持 UTF-8 或 GB18030）"),
        # index/reading/clean.py
        (r"no text found in the document", "文件里没有找到正文"),
        # bot/web/upload.py
        (r"only (.+) files are read", "只收 {0} 文件"),
        (r"the file is larger than (\d+) MB", "文件过大（上限 {0} MB）"),
        (r"more than (\d+) files in one upload", "一次最多上传 {0} 个文件，这个未收录"),
        # index/ingest.py and index/storage/store.py: the same file, or the same text in other bytes
        (r"same content as (.+), already stored", "内容与已收录的 {0} 相同"),
        (r"same text as (.+), already stored", "文字与已收录的 {0} 相同（只是编码或格式不同）"),
        (r".+ is busy \(another ingest is writing\); try again", "数据库正忙（另一次收录正在写入），请稍后再试"),
        (r"database error in (.+?): (.*)", _database_error),
        (r"cannot open database (.+?): .*", "无法打开数据库（{0}）"),
        # bot/ops/service.py
        (r"the database file .+ was deleted or replaced while the bot ran.*", DATABASE_GONE),
        # index/catalog.py (/remove, and putting an issue back)
        (r"no stored issue matches ('.*'|\".*\"); .*",
         lambda m: f"没有与「{_named(m.group(1))}」对应的简报：/issues 列出已保存的简报"),
        (r"('.*'|\".*\") matches (\d+) issues out of the index \((.*)\); name one by its number",
         lambda m: f"「{_named(m.group(1))}」对应 {m.group(2)} 份不在索引中的简报（{_listed(m.group(3))}）：请写明编号"),
        (r"('.*'|\".*\") matches (\d+) issues \((.*)\); name one by the number .*?(?:`bulletin remove (\d+)`.*)?",
         _ambiguous),
        (r"(.+) is already out of the index \((\w+);.*\)",
         lambda m: f"{_issue(m.group(1))}已不在索引中（{_STATES.get(m.group(2), m.group(2))}）"),
        (r"(.+) is in the index already", lambda m: f"{_issue(m.group(1))}已在索引中"),
    ))


def reason(text: str) -> str:
    """A refusal's English reason (a reader's, the store's, the catalog's) said in Chinese."""
    for pattern, chinese in _REASONS:
        if m := pattern.fullmatch(text):
            return chinese(m) if callable(chinese) else chinese.format(*m.groups())
    return _UNKNOWN


def refusal(error: BulletinError) -> str:
    """Why something an admin asked for was not done, in Chinese."""
    return DATABASE_GONE if isinstance(error, DatabaseGone) else reason(str(error))


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
    kind = _REFUSALS.get(result.error, "未能收录")
    return [_block(f"未收录 {result.document}", "b"), _block(f"{kind}：{reason(result.reason)}")]


ISSUES_SHOWN = 30  # a chat is no place for a long table: the command line lists them all


def issues_blocks(issues: Sequence[StoredIssue]) -> list[tuple[str, str]]:
    """The stored issues, newest first, each with its number, date, counts and state."""
    if not issues:
        return [_block("还没有收录任何简报。发送 .txt/.pdf/.docx 文件即可收录。")]
    blocks = [_block(f"已保存的简报（{len(issues)} 份）", "b")]
    for issue in list(reversed(issues))[:ISSUES_SHOWN]:
        name = " ".join(p for p in (issue.issue_name, issue.issue_number, issue.issue_period) if p)
        state = _STATES.get(issue.state, issue.state)
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
        others = "、".join(f"#{i.id} {i.document}（{_STATES.get(i.state, i.state)}）" for i in removed.others[:5])
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
