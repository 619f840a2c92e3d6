"""Store (storage room): an open bulletin database — its door, its bulletins' rows and the saved index's rows in
one object (the corpus's SQL lives in this package; the usage log's in bot/ops/usage.py)."""

from __future__ import annotations

from index.storage.bulletins import BulletinRows
from index.storage.snapshot_rows import SnapshotRows


class Store(BulletinRows, SnapshotRows):
    """An open bulletin database. Use ``async with await Store.open(path) as store``."""
