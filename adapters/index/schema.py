"""The index file's tables. Raise VERSION whenever they or what they hold change: an index of
another version is dropped and rebuilt from the files on first use."""

from __future__ import annotations

import sqlite3

from adapters.index.columns import ROW_COLUMNS

COMBO = (
    "pack", "stages", "model_hash", "model", "sampler", "scheduler", "steps", "cfg_scale", "width", "height",
    "denoising_strength", "upscaler", "preset", "status",
)  # fmt: skip
"""The ``runs`` columns of a row that ``setting_totals`` is kept from (status as failed or not)."""
SETTING_COLUMNS = {
    "model": ("model",), "sampler": ("sampler",), "scheduler": ("scheduler",), "steps": ("steps",),
    "cfg": ("cfg_scale",), "size": ("width", "height"), "denoising": ("denoising_strength",),
    "upscaler": ("upscaler",), "preset": ("preset",),
}  # fmt: skip
"""The ``runs`` column(s) of each compared setting (``domain.insights.PARAMETERS``)."""

VERSION = 7
APPLICATION_ID = 0x534E4958  # "SNIX": marks the file as a StableNew history index

TEXT_OPTIONS = "words, content='', detail=none, tokenize='unicode61 remove_diacritics 0'"
"""The full-text table holds only the words (adapters/index/words.py), no copy of the text."""

RUN_TABLE_COLUMNS = ("seq", "run_id", "offset", "length", "odd", "moment", *ROW_COLUMNS)

TABLES = (
    # One row per source file: how far it was read and what identifies it (see files.py).
    """CREATE TABLE files (
        source TEXT PRIMARY KEY, path TEXT NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL,
        size INTEGER NOT NULL, lines INTEGER NOT NULL, bad INTEGER NOT NULL,
        head BLOB NOT NULL, tail BLOB NOT NULL, file_size INTEGER NOT NULL, mtime INTEGER NOT NULL
    )""",
    # The newest copy of each run; seq is the line number of that copy in the records file.
    f"""CREATE TABLE runs (seq INTEGER PRIMARY KEY, {", ".join(RUN_TABLE_COLUMNS[1:])})""",
    "CREATE INDEX runs_run_id ON runs (run_id)",
    f"CREATE VIRTUAL TABLE runs_text USING fts5({TEXT_OPTIONS})",
    # Current feedback per run (folded), every event id seen, and which lines concern which run.
    """CREATE TABLE feedback_state (
        run_id TEXT PRIMARY KEY, rating, tags TEXT NOT NULL, notes INTEGER NOT NULL,
        wins INTEGER NOT NULL, losses INTEGER NOT NULL
    ) WITHOUT ROWID""",
    "CREATE TABLE feedback_seen (event_id TEXT PRIMARY KEY) WITHOUT ROWID",
    # Every counted rating and choice, at the line that counted (what the insights read).
    """CREATE TABLE judgements (
        line INTEGER PRIMARY KEY, event_id TEXT NOT NULL, run_id TEXT NOT NULL, timestamp TEXT NOT NULL,
        by_kind TEXT NOT NULL, by_name TEXT NOT NULL, by_version TEXT, kind TEXT NOT NULL,
        rating INTEGER, worse_run_id TEXT
    )""",
    """CREATE TABLE feedback_lines (
        run_id TEXT NOT NULL, line INTEGER NOT NULL, offset INTEGER NOT NULL,
        length INTEGER NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (run_id, line)
    ) WITHOUT ROWID""",
    # What `records stats` of the whole history needs, kept up to date with runs (totals_part.py).
    """CREATE TABLE run_totals (
        field TEXT NOT NULL, value TEXT NOT NULL, runs INTEGER NOT NULL, PRIMARY KEY (field, value)
    ) WITHOUT ROWID""",
    """CREATE TABLE stage_totals (
        stage TEXT NOT NULL, ms INTEGER NOT NULL, runs INTEGER NOT NULL, PRIMARY KEY (stage, ms)
    ) WITHOUT ROWID""",
    "CREATE TABLE rating_totals (rating INTEGER PRIMARY KEY, runs INTEGER NOT NULL)",
    # Runs (and failed runs) per pack, stage list, model hash and model with each value of each
    # compared setting, for the insights; ``key`` is the others as JSON (a key NULLs cannot split).
    """CREATE TABLE setting_totals (
        key TEXT PRIMARY KEY, pack TEXT, stages TEXT NOT NULL, model_hash TEXT, model TEXT,
        parameter TEXT NOT NULL, value TEXT, runs INTEGER NOT NULL, failed INTEGER NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE bad_lines (
        source TEXT NOT NULL, line INTEGER NOT NULL, offset INTEGER NOT NULL, reason TEXT NOT NULL,
        PRIMARY KEY (source, line)
    ) WITHOUT ROWID""",
)


def current(db: sqlite3.Connection) -> bool:
    """True if ``db`` holds this version's tables (an empty new file does not)."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    application = db.execute("PRAGMA application_id").fetchone()[0]
    return bool(version == VERSION and application == APPLICATION_ID)


def create(db: sqlite3.Connection) -> None:
    """Inside the caller's write transaction: drop whatever the file holds, create this version."""
    virtual = "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
    for (name,) in db.execute(virtual).fetchall():  # first: dropping one drops its shadow tables
        db.execute(f'DROP TABLE IF EXISTS "{name}"')
    rest = "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
    for kind, name in db.execute(rest).fetchall():
        db.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
    for statement in TABLES:
        db.execute(statement)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {VERSION}")
