"""The corpus side: reading bulletins, cleaning, chunking, tokenizing, storing and ranking."""

from index.errors import BulletinError, EmptyDocument, StoreError, UnreadableFile, UnsupportedFile
from index.figures import extract_figures
from index.ingest import IngestResult, ingest_bytes, ingest_paths
from index.library import Library
from index.models import Article, Bulletin, Chunk, Figure, Hit, IssueMeta
from index.places import places_in
from index.resources import data_path, sample_bulletins
from index.segment import Segmenter
from index.store import Stats, Store

__all__ = [
    "Article", "Bulletin", "BulletinError", "Chunk", "EmptyDocument", "Figure", "Hit", "IngestResult",
    "IssueMeta", "Library", "Segmenter", "Stats", "Store", "StoreError", "UnreadableFile", "UnsupportedFile",
    "data_path", "extract_figures", "ingest_bytes", "ingest_paths", "places_in", "sample_bulletins",
]
