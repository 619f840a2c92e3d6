"""Keeping a deployment running: `bulletin health`, `bulletin backup` and `bulletin restore`."""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import os
import sys
import tempfile
from pathlib import Path

from bot.ops.health import Unhealthy, check, heartbeat_path
from bot.ops.settings import read_health_max_age
from index import Copied, Probe, Store, StoreError, backup, check_copy, index_root, open_library


def health(db: Path) -> int:
    """Print `ok: …` and return 0, or print why not and return 1 (what a container's HEALTHCHECK expects)."""
    try:
        print(check(db, read_health_max_age()).line())
    except Unhealthy as e:
        print(f"unhealthy: {e}", file=sys.stderr)
        return 1
    return 0


# what SQLite and this program keep beside the live database: a copy written over one of them loses data
_COMPANIONS = (("", "the live database itself"), ("-wal", "the live database's write-ahead log"),
               ("-shm", "the live database's shared-memory file"), ("-journal", "the live database's rollback journal"),
               (".lock", "the live database's writers' lock file"))


def live_files(db: Path) -> list[tuple[Path, str]]:
    """The live database, its companion files and its heartbeat, each with what it is."""
    files = [(db.with_name(db.name + end), what) for end, what in _COMPANIONS]
    return [*files, (heartbeat_path(db), "the running bot's heartbeat")]


def refuse_live_file(db: Path, path: Path, use: str) -> None:
    """Refuse a backup target or restore source that is one of the live database's files or in its index folder.

    Compared as given and with symlinks resolved on both sides, and by inode where both exist (a hard link).
    """
    given = {path.absolute(), _resolved(path)}
    for base in {db.absolute(), _resolved(db)}:
        for own, what in live_files(base):
            if {own, _resolved(own)} & given or _same_file(path, own):
                raise StoreError(f"{path} is {what} ({_resolved(own)}), not {use}; "
                                 "choose a path away from the database's files")
        folder = index_root(base)
        for mine in {folder, _resolved(folder)}:
            if any(p == mine or mine in p.parents for p in given):
                raise StoreError(f"{path} belongs to the live database's saved index ({mine}), not {use}; "
                                 "choose a path away from the database's files")


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as e:  # a symlink loop (RuntimeError before Python 3.13)
        raise StoreError(f"cannot follow the symlinks of {path}: {e}") from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist: then it is not the other
        return False


def make_backup(db: Path, target: str, *, force: bool) -> int:
    """Copy the live database (safe while the bot runs) and print one line about the copy."""
    refuse_live_file(db, Path(target), "a backup")  # before anything is made or written
    if target.endswith(("/", os.sep)):  # a folder, as `backup /data/backups/` says, even before it exists
        try:
            Path(target).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot make the folder {target}: {e.strerror or e}") from None
    print(backup(db, Path(target), force=force).line("backed up"))
    return 0


def previous_copy(db: Path, backup_file: Path) -> Path:
    """Where restore keeps the content it replaces (dated, never the backup being restored), so it can be undone."""
    kept = db.with_name(f"{db.name}.before-restore-{dt.datetime.now():%Y%m%d-%H%M%S}")
    return kept.with_name(kept.name + "-2") if kept.resolve() == backup_file.resolve() else kept


async def restore(db: Path, backup_file: Path) -> int:
    """Put a backup's content into the live database (a running bot switches to it), keeping the old content."""
    refuse_live_file(db, backup_file, "a backup to restore from")
    probed, kept = await asyncio.to_thread(_prepare, db, backup_file)
    async with await Store.open(db) as store:
        await store.restore(backup_file)
        await open_library(store)  # the saved index, so the next start (and the bot's reload) loads it
    print(f"restored {backup_file} into {db}: {probed.issues} issues, {probed.chunks} chunks; "
          "a running bot answers from it within seconds")
    if kept is not None:
        print(f"the replaced content is kept in {kept.target} (`bulletin restore {kept.target}` brings it back)")
    return 0


def refuse_read_only(db: Path) -> None:
    """Refuse a restore into a folder (or a database file) this process may not write, before anything is written.

    A restore writes the copy of what it replaces and a staged copy beside the database: in a read-only folder
    SQLite would only say it cannot open a file.
    """
    folder = db.parent
    if not folder.is_dir():
        return  # made when the database is (or refused then, with its own reason)
    try:
        with tempfile.TemporaryFile(dir=folder):  # the real test: a file made there, and gone at once
            pass
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise StoreError(f"cannot restore into {db}: its folder {folder} is read-only ({e.strerror}); "
                             "a restore writes the database and keeps the content it replaces beside it") from None
        raise StoreError(f"cannot restore into {db}: cannot write in {folder} ({e.strerror or e})") from None
    if db.exists() and not os.access(db, os.W_OK):
        raise StoreError(f"cannot restore into {db}: the database file is read-only")


def _prepare(db: Path, backup_file: Path) -> tuple[Probe, Copied | None]:
    """Check the backup (a damaged or foreign file changes nothing), then keep a copy of what it replaces."""
    if not backup_file.exists():  # else the database check speaks of a database to ingest bulletins into
        raise StoreError(f"cannot restore {backup_file}: the backup file is missing")
    refuse_read_only(db)
    probed = check_copy(backup_file)
    return probed, backup(db, previous_copy(db, backup_file), force=True) if db.exists() else None
