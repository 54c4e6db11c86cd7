"""Opening the index: the file beside the records (WAL), or an in-memory one built from the files."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from adapters.index import queries, schema

MEMORY = ":memory:"
SUFFIXES = ("", "-wal", "-shm", "-journal")

# Primary SQLite result codes the index handles (sqlite3.Error.sqlite_errorcode & 0xFF).
PERM, BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB = 3, 5, 6, 8, 10, 11, 13, 14, 26


def default_path(records_path: Path) -> Path:
    """``<records>.index.sqlite``, beside the records file."""
    return records_path.with_name(f"{records_path.name}.index.sqlite")


def open_file(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """The index file at ``path``, created (mode 0600) if missing, of this version.

    Raises sqlite3.Error when it cannot be opened, written or used; OSError when it cannot be
    created.
    """
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    db = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode = WAL").fetchone()
        db.execute("PRAGMA synchronous = NORMAL")  # a lost last commit is read again, never wrong
        db.execute("PRAGMA journal_size_limit = 67108864")
        _prepare(db)
    except BaseException:
        db.close()
        raise
    return db


def open_memory() -> sqlite3.Connection:
    db = sqlite3.connect(MEMORY, isolation_level=None, check_same_thread=False)
    _prepare(db)
    return db


def remove(path: Path) -> None:
    """Delete the index file and its companions (the files are the truth: nothing is lost)."""
    for suffix in SUFFIXES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def error_code(exc: sqlite3.Error) -> int:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else 0


def _prepare(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA cache_size = -65536")
    db.execute("PRAGMA temp_store = MEMORY")
    if not schema.current(db):
        db.execute("BEGIN IMMEDIATE")
        try:
            if not schema.current(db):  # another process may have created it meanwhile
                schema.create(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    queries.register(db)
