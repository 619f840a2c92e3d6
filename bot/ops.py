"""Keeping a deployment running: `bulletin health`, `bulletin backup` and `bulletin restore`."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path

from bot.health import Unhealthy, check
from bot.settings import read_health_max_age
from index import Copied, Probe, Store, StoreError, backup, check_copy, open_library


def health(db: Path) -> int:
    """Print `ok: …` and return 0, or print why not and return 1 (what a container's HEALTHCHECK expects)."""
    try:
        print(check(db, read_health_max_age()).line())
    except Unhealthy as e:
        print(f"unhealthy: {e}", file=sys.stderr)
        return 1
    return 0


def make_backup(db: Path, target: str, *, force: bool) -> int:
    """Copy the live database (safe while the bot runs) and print one line about the copy."""
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
    probed, kept = await asyncio.to_thread(_prepare, db, backup_file)
    async with await Store.open(db) as store:
        await store.restore(backup_file)
        await open_library(store)  # the saved index, so the next start (and the bot's reload) loads it
    print(f"restored {backup_file} into {db}: {probed.issues} issues, {probed.chunks} chunks; "
          "a running bot answers from it within seconds")
    if kept is not None:
        print(f"the replaced content is kept in {kept.target} (`bulletin restore {kept.target}` brings it back)")
    return 0


def _prepare(db: Path, backup_file: Path) -> tuple[Probe, Copied | None]:
    """Check the backup (a damaged or foreign file changes nothing), then keep a copy of what it replaces."""
    probed = check_copy(backup_file)
    if backup_file.resolve() == db.resolve():
        raise StoreError("that is the database itself, not a backup of it")
    return probed, backup(db, previous_copy(db, backup_file), force=True) if db.exists() else None
