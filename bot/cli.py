"""The `bulletin` command: ingest bulletins, ask questions, chat, and show what the index holds.

Usage:
    bulletin ask "青浦有多少套公租房"
    bulletin ingest issue-05.pdf more/bulletins/
    bulletin list
    bulletin remove 8                   (its number in `bulletin list`, file name, 第5期 or date; --purge deletes it)
    bulletin reindex
    bulletin ask - --json < questions.txt
    bulletin ask --explain "徐汇和长宁一共有多少个快递网点"
    bulletin chat
    bulletin eval tests/qa/sample.jsonl --show 5
    bulletin stats
    TELEGRAM_BOT_TOKEN=… bulletin serve
    bulletin web --port 8080            (the web page; BULLETIN_WEB_ADMIN_TOKEN=… lets admins log in)
    bulletin health                     (exit 0 when the database answers and a running bot polls)
    bulletin backup /backups/           (safe while the bot runs; `bulletin restore FILE` puts one back)
    bulletin bench --chunks 10000 --json bench.json
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from bot.answering.engine import EmptyQuestion, Engine, default_db, normalize_question, prepare
from bot.answering.explain import explain
from bot.answering.render import error_answer, render_plain, to_json
from bot.ops import backups, usage
from bot.ops.settings import SettingsError, check_environment, load_dotenv, read_limits, read_log_level
from index import (
    Alongside,
    BulletinError,
    IngestResult,
    Limits,
    Segmenter,
    Store,
    find_documents,
    ingest_paths,
    open_library,
    parsed_in_children,
    reindex,
    remove_issue,
    table,
)

LAST_ERROR = Path.home() / ".cache" / "bulletin" / "last-error.txt"  # the user's own, not a shared /tmp name


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS,
                        help="database file (default: $BULLETIN_DB, else ~/.local/share/bulletin/bulletins.db)")
    parser = argparse.ArgumentParser(prog="bulletin", description="简报问答: ask the work bulletins.",
                                     parents=[common])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("ingest", parents=[common], help="add bulletin files or folders (.txt .md .pdf .docx)")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p = sub.add_parser("list", parents=[common], help="the stored issues: date, number, articles, figures, state")
    p.add_argument("--all", action="store_true",
                   help="also the older versions a corrected file replaced (hidden otherwise)")
    p = sub.add_parser("remove", parents=[common], help="take an issue out of the index (kept in the database)")
    p.add_argument("issue", metavar="ISSUE",
                   help="its number in `bulletin list` (bulletin remove 8), file name, issue number (第5期) or date")
    p.add_argument("--purge", action="store_true",
                   help="delete it from the database too (the version it replaced, if any, goes back into the index)")
    sub.add_parser("reindex", parents=[common],
                   help="re-derive chunks, terms and figures of every stored issue from its original text")
    p = sub.add_parser("ask", parents=[common], help="answer a question ('-' reads one per line from stdin)")
    p.add_argument("question", metavar="QUESTION",
                   help="the question, in quotes; '-' reads one question per line from stdin (a blank line is an "
                        "error on stderr, and the exit status 1)")
    p.add_argument("--json", action="store_true", help="print one JSON object per answer")
    p.add_argument("--explain", action="store_true",
                   help="also show the question analysis, the candidates and why the answer won (stderr with --json)")
    p = sub.add_parser(
        "eval", parents=[common], help="score the answers on a question set (JSON Lines)",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # the metrics one a line, as the report prints them
        description="Ask every question of a question set and score the answers. A set may name its corpus in\n"
                    "<set>.corpus.json beside it ({\"corpus\": [files or folders, relative to that file]}), or\n"
                    "--corpus names one: that corpus is then ingested into a temporary database (deleted after)\n"
                    "and the database (--db) is neither read nor changed. Without a corpus, the database answers.",
        epilog="the report explains each metric; its legend is also shown here")
    # the legend comes from the developer tools, read only when asked for: `serve` never loads them
    p.format_help = functools.partial(_eval_help, p, p.format_help)  # type: ignore[method-assign]
    p.add_argument("questions", type=Path, metavar="QUESTIONS.jsonl")
    p.add_argument("--corpus", type=Path, action="append", metavar="PATH",
                   help="score on these bulletin files or folders instead of the set's own corpus (repeatable)")
    p.add_argument("--show", type=int, default=0, metavar="N", help="list the first N failures")
    sub.add_parser("chat", parents=[common], help="a conversation in the terminal")
    sub.add_parser("stats", parents=[common], help="what the index holds")
    sub.add_parser("serve", parents=[common], help="run the Telegram bot (long polling; settings from the environment)",
                   description="Run the Telegram bot by long polling. TELEGRAM_BOT_TOKEN (from @BotFather) is "
                               "required; BULLETIN_ADMIN_IDS lists the Telegram user ids allowed to upload bulletins "
                               "and use /reindex, /stats, /issues and /remove. Both may come from a .env file in the "
                               "working directory. Ctrl-C or SIGTERM stops it.")
    p = sub.add_parser("web", parents=[common],
                       help="serve the web page: ask, manage bulletins, see usage (admin login: "
                            "BULLETIN_WEB_ADMIN_TOKEN; without it the site is read-only)",
                       description="Serve the web page over the same database as the bot. BULLETIN_WEB_ADMIN_TOKEN "
                                   "(at least 16 characters) is what an admin types to log in, or sends as "
                                   "'Authorization: Bearer <token>' to POST /api/bulletins; without it the site is "
                                   "read-only. Ctrl-C or SIGTERM stops it.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface, as in a container)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    sub.add_parser("health", parents=[common],
                   help="exit 0 if the database answers and the running bot (if any) polled Telegram lately")
    p = sub.add_parser("backup", parents=[common], help="copy the live database, consistent even while the bot runs")
    p.add_argument("target", metavar="PATH",
                   help="the backup file, or a folder to put a dated one in (a path ending in / is made if missing)")
    p.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    p = sub.add_parser("restore", parents=[common],
                       help="replace the database's content with a backup's (the old content is kept beside it)")
    p.add_argument("backup", type=Path, metavar="BACKUP", help="a file `bulletin backup` wrote")
    p = sub.add_parser("bench", help="time ingest, start-up and questions on a seeded synthetic corpus")
    p.add_argument("--chunks", type=int, required=True, metavar="N", help="about how many chunks the corpus holds")
    p.add_argument("--seed", type=int, default=7, metavar="S", help="the corpus generator's seed (7)")
    p.add_argument("--workdir", type=Path, metavar="DIR",
                   help="keep the corpus, database and caches here (default: a temporary folder, deleted after)")
    p.add_argument("--questions", type=int, default=300, metavar="Q", help="questions timed (300)")
    p.add_argument("--naive", type=int, default=20, metavar="K", help="questions timed on naive rank-bm25 (20; 0: none)")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write every figure as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    load_dotenv()  # before any setting is read: BULLETIN_DB and BULLETIN_CACHE_DIR may come from it too
    db = getattr(args, "db", None) or Path(os.environ.get("BULLETIN_DB") or default_db())
    try:
        check_environment()  # a typo in a setting's name or value stops every command, not just the bot
        if args.command == "serve":
            return _serve(db)
        if args.command == "web":
            return _web(db, args.host, args.port)
        if args.command == "health":
            return backups.health(db)
        if args.command == "backup":
            return backups.make_backup(db, args.target, force=args.force)
        if args.command == "restore":
            return asyncio.run(backups.restore(db, args.backup))
        if args.command == "bench":
            return _bench(args)
        return asyncio.run(_run(args, db))
    except EmptyQuestion as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BulletinError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (| head): stop quietly, and keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as e:  # a bug: one line for the user, the traceback kept for whoever fixes it
        kept = _keep_traceback()
        print(f"error: unexpected {type(e).__name__}: {e} (a bug{'; the traceback is in ' + str(kept) if kept else ''})",
              file=sys.stderr)
        return 1


def _eval_help(parser: argparse.ArgumentParser, plain: Callable[[], str]) -> str:
    """`eval --help`: the metrics one a line, as the report explains them."""
    from bot.tools.evaluate import metric_legend

    parser.epilog = "\n".join(["what each metric counts:", *metric_legend()])
    return plain()


def _keep_traceback() -> Path | None:
    """Write the current exception's traceback to LAST_ERROR (a file of this user's own); None if it cannot."""
    try:
        LAST_ERROR.parent.mkdir(parents=True, exist_ok=True)
        LAST_ERROR.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        return None
    return LAST_ERROR


async def _run(args: argparse.Namespace, db: Path) -> int:
    if args.command == "ask" and args.question != "-":
        normalize_question(args.question)  # refuse an empty question before loading anything
    if args.command == "eval":  # a developer's tool: loaded only for it
        from bot.tools.evaluate import corpus_engine, evaluation, load_questions, named_corpus
    questions = load_questions(args.questions) if args.command == "eval" else []  # a bad set, before loading
    if args.command == "eval" and (corpus := args.corpus or named_corpus(args.questions)):
        # the set's own corpus in a database of its own: its scores, whatever the user's database holds
        engine = await corpus_engine(corpus, read_limits())
        shown = ", ".join(os.path.normpath(p) for p in corpus)  # noqa: ASYNC240 (a string operation, no I/O)
        print(f"scoring on {shown} (ingested into a temporary database)", file=sys.stderr)
        print(evaluation(engine, questions, show=args.show))
        return 0
    limits = read_limits()
    # only the commands a newcomer starts with make a database (and fill a new one with the sample); the others
    # read or change one that exists, and a mistyped path is an error rather than a new, empty database
    newcomer = args.command in ("ask", "chat")
    async with await Store.open(db, create=newcomer or args.command == "ingest", on_wait=_say_waiting) as store:
        if args.command == "stats":
            return await _stats(store)
        if args.command == "list":
            return await _list(store, everything=args.all)
        if args.command == "remove":
            print((await remove_issue(store, args.issue, purge=args.purge)).line())
            await open_library(store)  # the next start loads the saved index rather than building it
            return 0
        if args.command == "ingest":
            return await _ingest(store, args.paths, limits)
        if args.command == "reindex":
            status = await _reindex(store)
            await open_library(store)  # the next start loads the saved index rather than building it
            return status
        segmenter = Segmenter()
        if notice := await prepare(store, segmenter, sample=newcomer):
            print(notice, file=sys.stderr)
        engine = await Engine.load(store, segmenter)
    if engine.empty:
        print(f"no bulletins are indexed in {db}; `bulletin ingest FILE` adds one", file=sys.stderr)
    if args.command == "chat":
        return _chat(engine, sys.stdin, sys.stdout)
    if args.command == "eval":
        print(evaluation(engine, questions, show=args.show))
        return 0  # like qa_eval: the scores are the result, not the exit status
    if args.question == "-":
        return _ask_lines(engine, sys.stdin, sys.stdout, as_json=args.json, explained=args.explain)
    return _ask_one(engine, args.question, sys.stdout, as_json=args.json, explained=args.explain)


def _serve(db: Path) -> int:
    from bot.ops.settings import BotSettings
    from bot.telegram.app import serve  # imported here: only serve needs python-telegram-bot

    settings = BotSettings.from_env()
    logging.basicConfig(level=read_log_level(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return serve(settings, db)


def _web(db: Path, host: str, port: int) -> int:
    from bot.ops.settings import WebSettings
    from bot.web.app import serve  # imported here: only web needs aiohttp and jinja2

    if not 0 < port < 65536:
        raise SettingsError(f"--port {port} is not a port number (1-65535)")
    settings = WebSettings.from_env()
    logging.basicConfig(level=read_log_level(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return serve(db, settings, host, port)


def _bench(args: argparse.Namespace) -> int:
    from bot.tools.bench import BadOption, Options, bench  # imported here: only bench needs it

    try:
        report = bench(Options(args.chunks, args.seed, args.workdir, args.questions, args.naive, args.json))
    except BadOption as e:
        print(f"error: {e}", file=sys.stderr)
        return 2  # like argparse's own errors
    print(report.table())
    return 0


def _say_waiting() -> None:
    print("waiting for another ingest or reindex of this database to finish…", file=sys.stderr, flush=True)


async def _ingest(store: Store, paths: list[Path], limits: Limits) -> int:
    started = time.perf_counter()
    files = list(find_documents(paths))
    if not files:
        print("refused: no bulletin files (.txt .md .pdf .docx) found", file=sys.stderr)
        return 1
    # a large ingest builds the saved index in a child process as the bulletins are stored (a small one after: the
    # child's start-up would cost more than it saves); either way the next start loads it rather than building it
    async with Alongside(store, child=parsed_in_children(files)) as alongside:
        if sys.stderr.isatty() and len(files) > 1:
            from tqdm import tqdm  # a bar on a terminal; plain lines when the output goes to a file or a script

            with tqdm(total=len(files), unit="file", file=sys.stderr, leave=False) as bar:

                def show(result: IngestResult) -> None:
                    bar.write(result.line(), file=sys.stdout)
                    bar.update()

                results = await ingest_paths(store, None, files, limits, show)
        else:
            results = await ingest_paths(store, None, files, limits, lambda r: print(r.line(), flush=True))
        await alongside.finish()
    counts = {status: sum(r.status == status for r in results)
              for status in ("added", "updated", "restored", "unchanged", "refused")}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n or status in ("added", "refused"))
    print(f"{summary} in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 1 if counts["refused"] else 0


async def _list(store: Store, *, everything: bool = False) -> int:
    issues = await store.issues()
    if not issues:
        print("no issues stored yet; `bulletin ingest FILE` adds one", file=sys.stderr)
        return 0
    # an older version a correction replaced answers nothing: listed on asking, so the list shows what is searched
    # (and the removed issues, which only an admin's remove took out)
    shown = issues if everything else [i for i in issues if i.state != "replaced"]
    print("\n".join(table(shown)))
    if hidden := len(issues) - len(shown):
        print(f"{hidden} older version{'s' if hidden > 1 else ''} replaced by a corrected file not shown; "
              "`bulletin list --all` shows them", file=sys.stderr)
    return 0


async def _reindex(store: Store) -> int:
    # no questions to leave a core for; a segmenter is made only if the corpus is small enough to parse here
    done = await reindex(store, None, processes=os.cpu_count())
    # the counts of what is searched, as `bulletin stats` gives them; every stored version was derived afresh
    print(f"reindexed {done.versions} stored versions ({done.issues} issues in the index: {done.articles} articles, "
          f"{done.chunks} chunks, {done.figures} figures) in {done.seconds:.2f} s")
    if done.kept:
        print(f"kept the old index of {', '.join(done.kept)} (its text no longer parses)", file=sys.stderr)
    return 0


async def _stats(store: Store) -> int:
    s = await store.stats()
    q = await usage.question_stats(store, top=3)
    f = await usage.feedback_stats(store, top=3)
    print(f"issues    {s.issues}\narticles  {s.articles}\nchunks    {s.chunks}\nfigures   {s.figures}\n"
          f"newest issue date  {s.newest_issue or '-'}\nlast ingest        {_age(s.last_ingest)}\n"
          f"questions (Telegram)  {q.asked} asked, {q.answered} answered, {q.not_found} not found")
    if s.out_of_index:
        print(f"stored versions out of the index  {s.out_of_index} (older versions and removed issues: "
              "`bulletin list --all`)")
    for question, n in q.top_not_found:
        print(f"  not found {n}×  {question}")
    share = f" ({f.down / f.votes:.0%} down)" if f.votes else ""
    print(f"feedback  {f.votes} votes, {f.up} up, {f.down} down{share}")
    for d in f.most_down:
        print(f"  down {d.downs}×  {d.question} → {d.answer}" + (f" ({d.document})" if d.document else ""))
    return 0


def _age(stamp: str | None) -> str:
    """Say when something happened and how long ago: 2026-11-28T15:03:00+00:00 (12 min ago)."""
    if not stamp:
        return "-"
    seconds = (dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(stamp)).total_seconds()
    for size, unit in ((86400, "days"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{stamp} ({seconds / size:.0f} {unit} ago)"
    return f"{stamp} ({seconds:.0f} s ago)"


def _ask_one(engine: Engine, question: str, out: TextIO, *, as_json: bool, explained: bool = False) -> int:
    result = engine.ask(question)
    if as_json:
        out.write(json.dumps(to_json(result), ensure_ascii=False) + "\n")
    else:
        out.write(render_plain(result) + "\n")
    if explained:
        # the JSON contract stays one object per line: the explanation goes to stderr then
        (sys.stderr if as_json else out).write("\n" + explain(result) + "\n")
    return 0


def _ask_lines(engine: Engine, stream: TextIO, out: TextIO, *, as_json: bool, explained: bool = False) -> int:
    """Answer one question per input line, in order; a blank line gets an error answer (with --json; the JSON
    stream keeps one object per line), and its error goes to stderr either way."""
    # The exit status is 1 if any line could not be asked, with or without --json, so a script notices.
    status = 0
    for number, line in enumerate(stream, 1):
        question = line.rstrip("\n")
        explanation = ""
        try:
            answer = engine.ask(question)
            result: object = to_json(answer) if as_json else render_plain(answer)
            explanation = explain(answer) if explained else ""
        except BulletinError as e:
            print(f"error: line {number}: {e}", file=sys.stderr, flush=True)
            status = 1
            if not as_json:
                continue  # nothing on stdout: its error is on stderr
            result = error_answer(question, str(e))
        out.write((json.dumps(result, ensure_ascii=False) if as_json else f"{result}\n") + "\n")
        if explanation:  # with --json, stdout stays one object per line
            (sys.stderr if as_json else out).write(explanation + "\n\n")
        out.flush()
    return status


def _chat(engine: Engine, stream: TextIO, out: TextIO) -> int:
    from bot.chat import chat  # the conversation, its commands and its line editing live there

    return chat(engine, stream, out)
