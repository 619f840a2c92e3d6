"""Errors the corpus side raises; each carries a one-line message fit to show a user."""

from __future__ import annotations


class BulletinError(Exception):
    """Base of every error a user can be shown as one line."""


class UnsupportedFile(BulletinError):
    """The file is not a kind of document we read."""


class UnreadableFile(BulletinError):
    """The file is of a supported kind but cannot be read (damaged, encrypted, scanned …)."""


class EmptyDocument(BulletinError):
    """The document holds no answerable text."""


class StoreError(BulletinError):
    """The database cannot be opened or is not a bulletin database."""


class DuplicateBulletin(BulletinError):
    """A bulletin with the same content is already stored."""


class NoSuchIssue(BulletinError):
    """No stored bulletin matches what was named, or more than one does."""
