"""The corpus side: reading bulletins, cleaning, chunking, tokenizing, storing and ranking."""

from index.catalog import Removed, remove_issue, table
from index.dbfile import Copied, Probe, backup, check_copy, probe, read_only
from index.errors import (
    BulletinError,
    DuplicateBulletin,
    EmptyDocument,
    NoSuchIssue,
    StoreError,
    UnreadableFile,
    UnsupportedFile,
)
from index.figures import (
    ENUMERATED,
    TOTAL_WORDS,
    clause_before,
    extract_figures,
    resolve_period,
    same_dimension,
    same_unit,
    sentences,
    unit_kind,
    unit_names,
)
from index.ingest import RULES, IngestResult, ReindexResult, ingest_bytes, ingest_paths, refresh, reindex
from index.library import Library
from index.models import Article, Bulletin, Chunk, Figure, Hit, IssueMeta
from index.numerals import arabic_form, format_amount, parse_amount, parse_number
from index.periods import (
    OPEN_START,
    Period,
    covers,
    figure_period,
    find_periods,
    matches,
    parse_period,
    question_period,
)
from index.places import DISTRICTS, TOWNS, canonical, local, place_matches, place_names_in, places_in, within
from index.records import AskedQuestion, Downvoted, FeedbackStats, QuestionStats, Stats, StoredIssue, Vote
from index.resources import data_path, sample_bulletins
from index.sanitize import clean_name, clean_text, strip_invisible
from index.segment import Segmenter
from index.snapshot import open_library
from index.sources import LIMITS, MAX_BYTES, SUFFIXES, Limits, find_documents
from index.store import Store
from index.subjects import Subject, same_subject, subjects_in, subjects_of
from index.text import LIST_JOINER, normalize_chars

__all__ = [
    "DISTRICTS",
    "ENUMERATED",
    "LIMITS",
    "LIST_JOINER",
    "MAX_BYTES",
    "OPEN_START",
    "RULES",
    "SUFFIXES",
    "TOTAL_WORDS",
    "TOWNS",
    "Article",
    "AskedQuestion",
    "Bulletin",
    "BulletinError",
    "Chunk",
    "Copied",
    "Downvoted",
    "DuplicateBulletin",
    "EmptyDocument",
    "FeedbackStats",
    "Figure",
    "Hit",
    "IngestResult",
    "IssueMeta",
    "Library",
    "Limits",
    "NoSuchIssue",
    "Period",
    "Probe",
    "QuestionStats",
    "ReindexResult",
    "Removed",
    "Segmenter",
    "Stats",
    "Store",
    "StoreError",
    "StoredIssue",
    "Subject",
    "UnreadableFile",
    "UnsupportedFile",
    "Vote",
    "arabic_form",
    "backup",
    "canonical",
    "check_copy",
    "clause_before",
    "clean_name",
    "clean_text",
    "covers",
    "data_path",
    "extract_figures",
    "figure_period",
    "find_documents",
    "find_periods",
    "format_amount",
    "ingest_bytes",
    "ingest_paths",
    "local",
    "matches",
    "normalize_chars",
    "open_library",
    "parse_amount",
    "parse_number",
    "parse_period",
    "place_matches",
    "place_names_in",
    "places_in",
    "probe",
    "question_period",
    "read_only",
    "refresh",
    "reindex",
    "remove_issue",
    "resolve_period",
    "same_dimension",
    "same_subject",
    "same_unit",
    "sample_bulletins",
    "sentences",
    "strip_invisible",
    "subjects_in",
    "subjects_of",
    "table",
    "unit_kind",
    "unit_names",
    "within",
]
