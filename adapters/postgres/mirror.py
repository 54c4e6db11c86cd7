"""PostgresHistoryMirror: the shared history's tables copied into local JSON-lines files.

Each copied table has one file, one line per row (the row's document as PostgreSQL prints it) in
seq order, and beside it a state file: the table's oid, the last seq copied, how many rows that
was and the file's size after copying them. A refresh asks the database for one line of figures
and copies only the rows after the last seq. It copies the whole table again, into a new file
renamed over the old one, when anything else changed: no state, or one that does not match the
file's size (a crash between the two writes, a copy cut, grown or deleted by hand), a table that was
recreated, or a table that holds a different number of rows up to the last seq (rows deleted, or
a row that committed after a later seq was copied: seqs are taken before their rows commit).

The index over the files takes their lines as the shared history's entries, numbered alike.
Writers hold ``<file>.lock`` as the JSONL stores' writers do, so a reader never takes a line
being appended for a torn one; files are private (0600, folders 0700) and never opened through a
symbolic link, as the stores' files are.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from filelock import lock_descriptor

from adapters.jsonl_log.files import make_directories, open_file, refuse_shared_directories, write_all
from adapters.postgres.schema import FEEDBACK, RECORDS
from domain.errors import RecordStoreError
from domain.ports import HistoryMirror

if TYPE_CHECKING:
    import psycopg

    from adapters.postgres.database import PostgresDatabase

BATCH = 5000
RECORDS_FILE = "learning_records.jsonl"
FEEDBACK_FILE = "feedback.jsonl"
_NAMING = ("host", "hostaddr", "port", "dbname", "user")  # what names a copy's folder


@dataclass(frozen=True, slots=True)
class CopyState:
    """How far a file holds its table: rows with seq <= ``upto`` (``rows`` of them), ``size`` bytes."""

    table: int
    upto: int
    rows: int
    size: int


class PostgresHistoryMirror(HistoryMirror):
    """Copies ``stablenew_records`` (and ``stablenew_feedback`` if ``feedback``) into ``folder``."""

    def __init__(self, database: PostgresDatabase, folder: Path, *, feedback: bool = True) -> None:
        self._db = database
        self._folder = folder
        self._tables = [(RECORDS, self.records_path)]
        if feedback:
            self._tables.append((FEEDBACK, self.feedback_path))

    @property
    def records_path(self) -> Path:
        return self._folder / RECORDS_FILE

    @property
    def feedback_path(self) -> Path:
        return self._folder / FEEDBACK_FILE

    def refresh(self, *, start_over: bool = False) -> None:
        try:
            refuse_shared_directories(self._folder.parent)
            make_directories(self._folder)
            for table, path in self._tables:
                lock = open_file(Path(f"{path}.lock"), os.O_RDWR | os.O_CREAT)
                try:
                    lock_descriptor(lock)
                    self._refresh(table, path, start_over)
                finally:
                    os.close(lock)
        except OSError as exc:
            raise RecordStoreError(
                f"cannot write the local copy of the shared history in {self._folder}: {exc.strerror or exc}"
            ) from exc

    def _refresh(self, table: str, path: Path, start_over: bool) -> None:
        state = None if start_over else _load(path)
        upto = state.upto if state else 0
        query = (
            "SELECT to_regclass(%s)::oid, count(*) FILTER (WHERE seq <= %s), coalesce(max(seq), 0)"
            f" FROM {table}"
        )
        oid, counted, last = self._db.run(lambda c: c.execute(query, (table, upto)).fetchone() or (0, 0, 0))
        if state is None or (state.table, state.rows, state.size) != (oid, counted, _size(path)):
            fresh = path.with_name(f"{path.name}.new")
            rows, size = self._copy(table, fresh, 0, last, os.O_TRUNC)
            os.replace(fresh, path)
            _save(path, CopyState(oid, last, rows, size))
        elif last > upto:
            rows, size = self._copy(table, path, upto, last, os.O_APPEND)
            _save(path, CopyState(oid, last, state.rows + rows, size))

    def _copy(self, table: str, path: Path, after: int, last: int, mode: int) -> tuple[int, int]:
        """Append the rows with ``after < seq <= last`` to ``path``; returns (rows, file size)."""
        fd = open_file(path, os.O_WRONLY | os.O_CREAT | mode)
        try:
            copied = 0
            for lines in self._lines(table, after, last):
                write_all(fd, b"".join(lines))
                copied += len(lines)
            return copied, os.fstat(fd).st_size
        finally:
            os.close(fd)

    def _lines(self, table: str, after: int, last: int) -> Iterator[list[bytes]]:
        query = (
            f"SELECT seq, document::text FROM {table} WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT {BATCH}"
        )
        while after < last:
            bounds = (after, last)

            def batch(connection: psycopg.Connection[Any], bounds: tuple[int, int] = bounds) -> list[Any]:
                return connection.execute(query, bounds).fetchall()

            rows = self._db.run(batch)
            if not rows:
                return
            after = int(rows[-1][0])
            yield [f"{document}\n".encode() for _seq, document in rows]


def mirror_folder(parent: Path, dsn: str) -> Path:
    """Where the copy of the database named by ``dsn`` lives under ``parent``: a folder per server,
    database and user, named by a hash of them (never of the password)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # a DSN psycopg cannot parse fails with its own message at the first query
        parts = {"dsn": dsn}
    named = {key: str(value) for key, value in parts.items() if key in _NAMING}
    digest = hashlib.sha256(orjson.dumps(named, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
    return parent / "shared-history" / digest


def _state_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.state")


def _load(path: Path) -> CopyState | None:
    try:
        values = orjson.loads(_state_path(path).read_bytes())
        return CopyState(*(int(values[key]) for key in ("table", "upto", "rows", "size")))
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _save(path: Path, state: CopyState) -> None:
    target = _state_path(path)
    fresh = target.with_name(f"{target.name}.new")
    fd = open_file(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        write_all(fd, orjson.dumps(asdict(state)))
    finally:
        os.close(fd)
    os.replace(fresh, target)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1
