"""Bringing the ``runs`` table and its full-text table up to date with the records file.

Called inside the caller's write transaction. Reading from the start into empty tables (a
build) inserts in big batches with the run-id index dropped, then recreates it; reading new
lines into a filled index replaces older copies of the same run ids batch by batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from adapters.index.columns import record_columns
from adapters.index.lines import LineCursor, entries
from adapters.index.schema import RUN_TABLE_COLUMNS
from adapters.index.totals_part import STORED_COLUMNS, Totals, ratings_of, recount_ratings
from adapters.index.totals_part import clear as clear_totals
from adapters.index.words import searchable
from domain.errors import UnsupportedSchemaVersion
from domain.record import NOT_A_RECORD, not_a_record
from domain.store_health import BadLine

BATCH = 8192
_INSERT_RUN = (
    f"INSERT INTO runs ({', '.join(RUN_TABLE_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_TABLE_COLUMNS))})"
)
_INSERT_TEXT = "INSERT INTO runs_text (rowid, words) VALUES (?, ?)"
_DELETE_TEXT = "INSERT INTO runs_text (runs_text, rowid, words) VALUES ('delete', ?, ?)"
_SKIPPED = (*NOT_A_RECORD, OverflowError)
_STORED = f"seq, prompt, negative_prompt, {STORED_COLUMNS}, run_id"
_RUN_ID = -1


def clear(db: sqlite3.Connection) -> None:
    clear_totals(db)
    db.execute("DELETE FROM runs")
    db.execute("INSERT INTO runs_text (runs_text) VALUES ('delete-all')")
    db.execute("DELETE FROM bad_lines WHERE source = 'records'")


def read_records(
    db: sqlite3.Connection, fd: int, cursor: LineCursor, end: int, on_bad: Callable[[BadLine], None]
) -> int:
    """Index the record lines in ``[cursor.offset, end)``; returns how many were bad."""
    build = cursor.offset == 0
    if build:
        clear(db)
    totals = Totals()
    writer = _Build(db, totals) if build else _Append(db, totals)
    bad: list[tuple[str, int, int, str]] = []

    def skip(line: BadLine) -> None:
        bad.append(("records", line.line_number, line.byte_offset or 0, line.reason))
        on_bad(line)

    rows: list[tuple[Any, ...]] = []
    texts: list[tuple[int, str]] = []
    add_row, add_text = rows.append, texts.append
    for number, offset, length, payload in entries(fd, cursor, end, skip):
        run_id = payload.get("run_id")
        try:
            columns, words = record_columns(payload)
        except UnsupportedSchemaVersion:
            raise
        except _SKIPPED as exc:
            skip(BadLine(number, not_a_record(exc), offset))
            continue
        add_row((number, run_id, offset, length, *columns))
        add_text((number, words))
        if len(rows) >= BATCH:
            writer.write(rows, texts)
            rows.clear()
            texts.clear()
    writer.write(rows, texts)
    writer.finish()
    totals.write(db)
    db.executemany("INSERT OR REPLACE INTO bad_lines (source, line, offset, reason) VALUES (?, ?, ?, ?)", bad)
    return len(bad)


class _Build:
    """Into empty tables: no index to maintain while inserting; duplicates found with a set."""

    def __init__(self, db: sqlite3.Connection, totals: Totals) -> None:
        self._db = db
        self._totals = totals
        self._seen: set[str] = set()
        self._again: set[str] = set()
        db.execute("DROP INDEX IF EXISTS runs_run_id")

    def write(self, rows: list[tuple[Any, ...]], texts: list[tuple[int, str]]) -> None:
        seen, again = self._seen, self._again
        for row in rows:
            run_id = row[1]
            if run_id in seen:
                again.add(run_id)
            else:
                seen.add(run_id)
        self._db.executemany(_INSERT_RUN, rows)
        self._db.executemany(_INSERT_TEXT, texts)
        self._totals.add(rows)

    def finish(self) -> None:
        self._db.execute("CREATE INDEX runs_run_id ON runs (run_id)")
        for run_id in self._again:
            older = self._db.execute(
                f"SELECT {_STORED} FROM runs WHERE run_id = ? ORDER BY seq DESC", (run_id,)
            ).fetchall()[1:]
            _delete(self._db, older, self._totals)
        recount_ratings(self._db)


class _Append:
    """Into a filled index: a run id seen before loses its older copy."""

    def __init__(self, db: sqlite3.Connection, totals: Totals) -> None:
        self._db = db
        self._totals = totals

    def write(self, rows: list[tuple[Any, ...]], texts: list[tuple[int, str]]) -> None:
        if not rows:
            return
        newest: dict[str, int] = {}
        for index, row in enumerate(rows):
            newest[row[1]] = index
        if len(newest) < len(rows):  # the same run twice in this batch: keep its last copy
            keep = set(newest.values())
            rows = [row for index, row in enumerate(rows) if index in keep]
            texts = [text for index, text in enumerate(texts) if index in keep]
        stored = self._stored(list(newest))
        _delete(self._db, stored, self._totals)
        self._db.executemany(_INSERT_RUN, rows)
        self._db.executemany(_INSERT_TEXT, texts)
        self._totals.add(rows)
        first_seen = set(newest) - {row[_RUN_ID] for row in stored}
        for rating in ratings_of(self._db, list(first_seen)).values():
            self._totals.rate(None, rating)

    def _stored(self, run_ids: list[str]) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(run_ids), 500):
            part = run_ids[start : start + 500]
            marks = ", ".join("?" * len(part))
            query = f"SELECT {_STORED} FROM runs WHERE run_id IN ({marks})"
            found += self._db.execute(query, part).fetchall()
        return found

    def finish(self) -> None:
        pass


def _delete(db: sqlite3.Connection, rows: Iterable[tuple[Any, ...]], totals: Totals) -> None:
    """Remove stored rows (selected as ``_STORED``) with their words and their part of the totals."""
    rows = list(rows)
    db.executemany(_DELETE_TEXT, [(row[0], searchable(row[1], row[2])) for row in rows])
    db.executemany("DELETE FROM runs WHERE seq = ?", [(row[0],) for row in rows])
    totals.remove(row[3:_RUN_ID] for row in rows)
