"""Refusals said in Chinese (operations room): every English reason a reader, the store or the catalog gives, and
the issue states, as the bot's and the site's admins read them (file names, units and settings quoted as they are)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from bot.ops.service import DatabaseGone
from index import BulletinError

DATABASE_GONE = ("数据库文件在机器人运行期间被删除或替换，这次操作没有保存。请恢复数据库（bulletin restore）后重启机器人；"
                 "在此之前照常回答问题，但不能收录、重建或移出简报。")

REFUSALS = {"UnsupportedFile": "不支持的文件类型", "UnreadableFile": "文件无法读取",
             "EmptyDocument": "文件里没有可用的正文", "StoreError": "未能保存"}
STATES = {"indexed": "在用", "replaced": "已被新版本替换", "removed": "已移出索引"}
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
         lambda m: f"{_issue(m.group(1))}已不在索引中（{STATES.get(m.group(2), m.group(2))}）"),
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
