"""Health: the running bot's heartbeat file, and `bulletin health`'s verdict on the database and that heartbeat."""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from index import BulletinError, probe, read_only


class Unhealthy(BulletinError):
    """The database cannot answer, or the running bot has stopped polling Telegram."""


def heartbeat_path(db: Path) -> Path:
    """The heartbeat file beside a database: one bot serves one database."""
    return db.with_name(db.name + ".heartbeat")


def file_identity(path: Path) -> tuple[int, int] | None:
    """The device and inode the path leads to now (symlinks followed, as SQLite follows them), or None if none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


class Heartbeat:
    """A file whose change time says when the bot last heard from Telegram; it names the bot's process and file."""

    def __init__(self, db: Path) -> None:
        self.path = heartbeat_path(db)
        self.db = db
        self.serving: tuple[int, int] | None = None  # the database file the bot opened, taken at the first start

    def start(self) -> None:
        """Say this process is the bot and which database file it serves (written whole, then renamed into place)."""
        # kept from the first start: a restart after the heartbeat was removed must not adopt a replaced file
        self.serving = self.serving or file_identity(self.db)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        record = {"pid": os.getpid(), "started": started, "db": list(self.serving) if self.serving else None}
        partial.write_text(json.dumps(record) + "\n", encoding="utf-8")
        os.replace(partial, self.path)

    def beat(self) -> None:
        """Mark a successful poll: only the change time moves, so a beat costs one system call."""
        try:
            os.utime(self.path)
        except FileNotFoundError:  # someone removed it: say again who we are
            self.start()

    def stop(self) -> None:
        """Remove the file on a clean exit, if it is still ours (a newer bot may have taken over)."""
        if _owner(self.path) == os.getpid():
            self.path.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True)
class Health:
    """A healthy verdict, and what it rests on."""

    issues: int
    chunks: int
    bot_pid: int | None  # None: no bot is serving this database
    polled_ago: float | None

    def line(self) -> str:
        """One line for `bulletin health` to print."""
        bot = (f"bot pid {self.bot_pid} polled Telegram {self.polled_ago:.0f} s ago" if self.bot_pid is not None
               else "no bot running")
        held = (f"{self.issues} issues, {self.chunks} chunks" if self.chunks
                else "no bulletins indexed yet (send one to the bot, or `bulletin ingest FILE`)")
        return f"ok: {held}; {bot}"


def check(db: Path, max_age: float, now: float | None = None) -> Health:
    """Open the database read-only and query it, then read the heartbeat; raise Unhealthy with the reason."""
    if reason := _serving_another_file(db):
        raise Unhealthy(reason)
    try:
        with read_only(db) as connection:
            found = probe(connection, db)
    except BulletinError as e:
        raise Unhealthy(str(e)) from None
    # a new office's bot holds no bulletin until an admin sends one: it runs and says so, which is healthy
    beat = heartbeat_path(db)
    try:
        changed = beat.stat().st_mtime
    except FileNotFoundError:
        return Health(found.issues, found.chunks, None, None)
    pid = _owner(beat)
    age = (time.time() if now is None else now) - changed
    if pid is None or not _alive(pid):
        raise Unhealthy(f"the bot (pid {pid}) has stopped without cleaning up: its heartbeat {beat} is {age:.0f} s "
                        "old (remove that file if the bot is meant to be stopped)")
    if age > max_age:
        raise Unhealthy(f"the bot (pid {pid}) has not polled Telegram for {age:.0f} s "
                        f"(more than BULLETIN_HEALTH_MAX_AGE={max_age:.0f})")
    return Health(found.issues, found.chunks, pid, age)


def _serving_another_file(db: Path) -> str | None:
    """Why a running bot serves a file no longer at db (deleted, or another put in its place), or None if it does not."""
    beat = heartbeat_path(db)
    pid = _owner(beat)
    served = _record(beat).get("db")
    if pid is None or not _alive(pid) or not isinstance(served, list):
        return None  # no bot (or one from before the file was recorded): the checks below speak
    now = file_identity(db)
    if now is not None and list(now) == served:
        return None
    what = "deleted" if now is None else "replaced by another file"
    return (f"the database {db} was {what} while the bot (pid {pid}) ran: it answers from the old file and refuses "
            "uploads (restore the database, then restart the bot)")


def _record(path: Path) -> dict[str, object]:
    """The heartbeat file's JSON, or {} if it is missing or unreadable."""
    with contextlib.suppress(OSError, ValueError):
        found = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(found, dict):
            return found
    return {}


def _owner(path: Path) -> int | None:
    pid = _record(path).get("pid")
    return pid if isinstance(pid, int) and not isinstance(pid, bool) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True
