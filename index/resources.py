"""Locate the bundled data files (installed as the `bulletin_data` package), from any working directory."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(name: str) -> Path:
    """Return the path of a bundled data file, e.g. ``userdict.txt``."""
    return Path(str(resources.files("bulletin_data").joinpath(name)))


def sample_bulletins() -> list[Path]:
    """Return the bundled sample bulletins, sorted by name."""
    folder = data_path("bulletins")
    suffixes = {".txt", ".md", ".pdf", ".docx"}
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in suffixes and p.is_file())
