"""The database schema as numbered migrations (append-only)."""

from __future__ import annotations

_M001 = """
CREATE TABLE bulletins (
    id INTEGER PRIMARY KEY,
    document TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    issue_name TEXT, issue_number TEXT, issue_date TEXT,
    distribution TEXT NOT NULL DEFAULT '',
    raw_text TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    bulletin_id INTEGER NOT NULL REFERENCES bulletins(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, title TEXT NOT NULL, place TEXT  -- its text is its chunks' text
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, text TEXT NOT NULL,
    tokens TEXT NOT NULL  -- index terms joined by spaces (terms never contain spaces)
);
CREATE TABLE figures (
    id INTEGER PRIMARY KEY,
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    text TEXT NOT NULL, value REAL NOT NULL, value_max REAL, unit TEXT, kind TEXT NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, sentence TEXT NOT NULL,
    qualifier TEXT, approx TEXT, words_before TEXT NOT NULL, words_after TEXT NOT NULL,
    places TEXT NOT NULL, period TEXT
);
CREATE INDEX articles_bulletin ON articles(bulletin_id);
CREATE INDEX chunks_article ON chunks(article_id);
CREATE INDEX figures_chunk ON figures(chunk_id);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Every question the bot was asked, for /stats; user ids are stored hashed, never raw.
_M002 = """
CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,
    user_hash TEXT NOT NULL,
    question TEXT NOT NULL,
    found INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    document TEXT  -- the bulletin the answer came from
);
CREATE INDEX questions_found ON questions(found);
"""

# The figure index: what each figure measures, searchable by it; and which version of the derivation rules
# (cleaning, chunking, figures) built each bulletin's index, so a newer program re-derives stale ones.
_M003 = """
ALTER TABLE figures ADD COLUMN measure TEXT NOT NULL DEFAULT '';
ALTER TABLE bulletins ADD COLUMN derived_with INTEGER NOT NULL DEFAULT 1;
CREATE INDEX figures_measure ON figures(measure);
"""

# Versions of an issue: a corrected file of the same issue (same issue_key) replaces the indexed one, which stays
# stored as 'replaced'; `bulletin remove` takes one out of the index as 'removed'. Only 'indexed' ones are searched.
# The generation counts committed changes to the index, so a running bot sees another process's ingest.
_M004 = """
ALTER TABLE bulletins ADD COLUMN issue_key TEXT;
ALTER TABLE bulletins ADD COLUMN state TEXT NOT NULL DEFAULT 'indexed'
    CHECK (state IN ('indexed', 'replaced', 'removed'));
ALTER TABLE bulletins ADD COLUMN replaced_by INTEGER REFERENCES bulletins(id) ON DELETE SET NULL;
CREATE INDEX bulletins_issue_key ON bulletins(issue_key, state);
INSERT OR IGNORE INTO settings VALUES ('generation', '1');
"""

# 👍/👎 on the bot's answers, for /stats: one vote per person per answer (a second tap changes it), user ids hashed.
# chunk_id is no foreign key: a reindex renumbers the chunks, and the vote must outlive them.
_M005 = """
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY,
    voted_at TEXT NOT NULL,
    answer_key TEXT NOT NULL,  -- the answer's button key: one per answer shown
    user_hash TEXT NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (1, -1)),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,  -- the headline shown
    document TEXT,  -- the bulletin the answer came from
    chunk_id INTEGER,
    UNIQUE (answer_key, user_hash)
);
"""

# The period an issue covers, as its header or opening clause says it (2024年12月, 2020年一季度, 截至2023年6月23日);
# its series is issue_name. Filled when the bulletins are re-derived (the rules version went up with it).
_M006 = """
ALTER TABLE bulletins ADD COLUMN issue_period TEXT;
"""

# A figure refers to its sentence by where it stands in its chunk's text instead of holding a copy: a run-on
# sentence of thousands of figures made storage grow with the square of the text. The spans are found from the
# copies before they go (a heading joined across its line break is not found: then the whole chunk), so a database
# that is loaded without being re-derived first (a restored backup, a running bot's reload) still answers; the rules
# version went up with it, so the next `ask` or start re-derives every row.
_M007 = """
ALTER TABLE figures ADD COLUMN sentence_start INTEGER NOT NULL DEFAULT 0;
ALTER TABLE figures ADD COLUMN sentence_end INTEGER NOT NULL DEFAULT 0;
UPDATE figures SET (sentence_start, sentence_end) = (
    SELECT CASE WHEN at > 0 THEN at - 1 ELSE 0 END, CASE WHEN at > 0 THEN at - 1 + length(figures.sentence)
                                                         ELSE length(text) END
    FROM (SELECT instr(c.text, figures.sentence) AS at, c.text FROM chunks c WHERE c.id = figures.chunk_id));
ALTER TABLE figures DROP COLUMN sentence;
"""

# Every start asks whether any bulletin was derived by older rules, and an ingest which bulletins are indexed.
# Without an index each asks reads every bulletin's row, whose stored raw text spills into overflow pages before
# derived_with or state is reached: the cost grows with the stored text.
_M008 = """
CREATE INDEX bulletins_derived ON bulletins(derived_with);
CREATE INDEX bulletins_state ON bulletins(state, id);
"""

# Append-only: migration N is MIGRATIONS[N - 1]. Never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (_M001, _M002, _M003, _M004, _M005, _M006, _M007, _M008)
