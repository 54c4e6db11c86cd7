"""SqliteRunIndex: the RunIndex kept in an SQLite file beside the records (docs/history-index.md).

The JSONL files stay the only truth; the index is derived from them and may be deleted at any
time. When the file cannot be used (locked too long by another process, read-only, damaged
beyond replacing), the same index is built in memory from the files for this object's life,
with a one-line notice: never a traceback, never a wrong row.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from adapters.index import (
    check,
    connection,
    feedback_part,
    insights_queries,
    queries,
    records_part,
    totals_part,
)
from adapters.index.catch_up import Part, Seen, catch_up, is_behind
from adapters.index.files import Source, load_mark
from adapters.index.lines import read_line
from adapters.index.schema import VERSION
from domain.errors import RecordStoreError
from domain.feedback import FeedbackEvent, RunFeedback, fold_feedback
from domain.history_stats import HistoryStats, compute_stats
from domain.index_state import IndexCheck, IndexedFile, IndexStatus
from domain.ports import BadLineReport, RunIndex
from domain.record import LearningRecord
from domain.run_filter import RunFilter
from domain.run_lookup import MIN_PREFIX, RunNotFound, not_found, pick_run_id, wanted_run_id
from domain.run_row import RunRow
from domain.run_search import Search
from domain.setting_counts import SettingCount, count_settings, merge_counts
from domain.store_health import BadLine

logger = logging.getLogger(__name__)

T = TypeVar("T")
SOURCES = ("records", "feedback")
ATTEMPTS = 4
PAGE = 1000


class StaleLine(Exception):
    """A stored offset no longer holds the line the index expects: read that file again."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.source = source


class SqliteRunIndex(RunIndex):
    """A RunIndex in ``index_path`` (default ``<records>.index.sqlite``), caught up on every call.

    ``on_bad_line`` hears each skipped line once per object; ``on_notice`` hears one line when the
    index file cannot be used and an in-memory index serves instead (default: a logged warning).
    ``busy_timeout`` is how long to wait for another process that is updating the index.
    Thread-safe; after a fork the child opens its own connection.
    """

    def __init__(
        self,
        records_path: Path | str,
        feedback_path: Path | str,
        *,
        index_path: Path | str | None = None,
        on_bad_line: BadLineReport | None = None,
        on_notice: Callable[[str], None] | None = None,
        busy_timeout: float = 10.0,
    ) -> None:
        self.records_path = Path(records_path)
        self.feedback_path = Path(feedback_path)
        self.index_path = Path(index_path) if index_path else connection.default_path(self.records_path)
        self._on_bad_line = on_bad_line
        self._on_notice = on_notice or logger.warning
        self._busy_timeout = busy_timeout
        self._parts = (
            Part("records", self.records_path, records_part.clear, records_part.read_records),
            Part("feedback", self.feedback_path, feedback_part.clear, feedback_part.read_feedback),
        )
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self._identity: tuple[int, int] | None = None
        self._memory_note = ""
        self._reset_tried = False
        self._reported: set[tuple[str, BadLine]] = set()
        self._known_bad: dict[str, tuple[int, int, int, int]] = {}
        self._stored_bad: dict[str, set[BadLine]] = {source: set() for source in SOURCES}
        self._incomplete: dict[str, BadLine | None] = {}

    # -- the port ------------------------------------------------------------------------------

    def rows(
        self,
        run_filter: RunFilter | None = None,
        *,
        search: str | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> Iterator[RunRow]:
        if limit is not None and limit <= 0:
            return
        wanted = Search.parse(search)
        size = PAGE if limit is None else min(max(limit + limit // 2, 32), PAGE)
        after: int | None = None
        shown = 0
        first = True
        while True:
            page = partial(
                self._page,
                run_filter=run_filter,
                search=wanted,
                after=after,
                newest_first=newest_first,
                size=size,
            )
            rows, after, done = self._call(page, fresh=first)
            first = False
            for row in rows:
                yield row
                shown += 1
                if limit is not None and shown >= limit:
                    return
            if done:
                return

    def stats(self, run_filter: RunFilter | None = None, *, search: str | None = None) -> HistoryStats:
        if (run_filter is None or run_filter == RunFilter()) and not Search.parse(search):
            return self._call(totals_part.stats)
        return compute_stats(self.rows(run_filter, search=search))

    def resolve(self, text: str) -> str:
        wanted = wanted_run_id(text)
        try:
            wanted.encode()
        except UnicodeEncodeError:
            raise not_found(wanted) from None
        return self._call(lambda db: _resolve(db, wanted))

    def record(self, run_id: str) -> LearningRecord:
        return self._call(lambda db: self._record(db, run_id))

    def feedback(self, run_id: str) -> RunFeedback:
        return self._call(lambda db: self._feedback(db, run_id))

    def status(self) -> IndexStatus:
        return self._call(self._status, fresh=False)

    def rebuild(self) -> IndexStatus:
        self._call(lambda db: None, restart=SOURCES)
        return self.status()

    def check(self) -> IndexCheck:
        self._call(lambda db: None)
        with self._lock:
            known = {(source, line) for source, lines in self._stored_bad.items() for line in lines}
            known.update((source, line) for source, line in self._incomplete.items() if line is not None)
        return check.compare(self, self.records_path, self.feedback_path, known)

    def setting_counts(self, run_filter: RunFilter | None = None) -> list[SettingCount]:
        def counts(db: sqlite3.Connection) -> list[SettingCount]:
            exact = insights_queries.exact_counts(db, run_filter)
            odd = [self._row_from_line(stored) for stored in insights_queries.odd_rows(db, run_filter)]
            return [
                *exact,
                *count_settings(row for row in odd if run_filter is None or run_filter.matches(row)),
            ]

        return merge_counts(self._call(counts))

    def runs(self, run_ids: Collection[str]) -> Iterator[RunRow]:
        wanted = sorted(set(run_ids))

        def rows(db: sqlite3.Connection) -> list[RunRow]:
            stored = insights_queries.rows_of(db, wanted)
            return [self._row_from_line(row) if row[1] else queries.stored_row(row) for row in stored]

        return iter(self._call(rows))

    def judgements(self) -> Iterator[FeedbackEvent]:
        return iter(self._call(lambda db: list(insights_queries.judgements(db))))

    def plan_records(self, *, newest_first: bool = False) -> Iterator[LearningRecord]:
        def records(db: sqlite3.Connection) -> list[LearningRecord]:
            stored = queries.plan_runs(db, newest_first=newest_first)
            return [self._record_at(run_id, offset, length) for run_id, offset, length in stored]

        return iter(self._call(records))

    def close(self) -> None:
        with self._lock:
            self._close()

    def __enter__(self) -> SqliteRunIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- answering -----------------------------------------------------------------------------

    def _page(
        self,
        db: sqlite3.Connection,
        run_filter: RunFilter | None,
        search: Search,
        after: int | None,
        newest_first: bool,
        size: int,
    ) -> tuple[list[RunRow], int | None, bool]:
        values = queries.page(db, run_filter, search, after, newest_first, size)
        rows = []
        for stored in values:
            row = self._row_from_line(stored) if stored[1] else queries.stored_row(stored)
            if (run_filter is None or run_filter.matches(row)) and search.matches(
                row.prompt, row.negative_prompt
            ):
                rows.append(row)
        return rows, values[-1][0] if values else after, len(values) < size

    def _row_from_line(self, stored: tuple[Any, ...]) -> RunRow:
        """A row whose stored values are approximate, computed from its line as History would."""
        record = self._record_at(stored[4], stored[2], stored[3])
        return replace(RunRow.of(record), **queries.feedback_values(stored))

    def _record(self, db: sqlite3.Connection, run_id: str) -> LearningRecord:
        found = db.execute("SELECT offset, length FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if found is None:
            raise RunNotFound(f"no run with id {run_id!r} in the history")
        return self._record_at(run_id, found[0], found[1])

    def _record_at(self, run_id: str, offset: int, length: int) -> LearningRecord:
        payload = self._line(self.records_path, "records", offset, length)
        if payload.get("run_id") != run_id:
            raise StaleLine("records")
        return LearningRecord.from_dict(payload)

    def _feedback(self, db: sqlite3.Connection, run_id: str) -> RunFeedback:
        lines = db.execute(
            "SELECT offset, length, event_id FROM feedback_lines WHERE run_id = ? ORDER BY line", (run_id,)
        ).fetchall()
        events = []
        for offset, length, event_id in lines:
            payload = self._line(self.feedback_path, "feedback", offset, length)
            if payload.get("event_id") != event_id:
                raise StaleLine("feedback")
            events.append(FeedbackEvent.from_dict(payload))
        return fold_feedback(events).get(run_id) or RunFeedback(run_id=run_id)

    def _line(self, path: Path, source: str, offset: int, length: int) -> dict[str, Any]:
        opened = Source(path)
        try:
            payload = read_line(opened.fd, offset, length) if opened.fd is not None else None
        except OSError as exc:
            raise RecordStoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
        finally:
            opened.close()
        if payload is None:
            raise StaleLine(source)
        return payload

    def _status(self, db: sqlite3.Connection) -> IndexStatus:
        files = []
        fresh = True
        for part in self._parts:
            mark = load_mark(db, part.source, part.path)
            try:
                size = os.stat(part.path).st_size
            except OSError:
                size = 0
            files.append(IndexedFile(str(part.path), size, mark.size, mark.bad))
            fresh = fresh and not is_behind(part, db)
        return IndexStatus(
            location=connection.MEMORY if self._memory_note else str(self.index_path),
            version=VERSION,
            runs=db.execute("SELECT count(*) FROM runs").fetchone()[0],
            events=db.execute("SELECT count(*) FROM feedback_seen").fetchone()[0],
            records=files[0],
            feedback=files[1],
            fresh=fresh,
            note=self._memory_note,
        )

    # -- keeping the index usable ----------------------------------------------------------------

    def _call(
        self, action: Callable[[sqlite3.Connection], T], *, fresh: bool = True, restart: Collection[str] = ()
    ) -> T:
        with self._lock:
            again = set(restart)
            for _attempt in range(ATTEMPTS):
                try:
                    db = self._connection()
                    if fresh or again:
                        self._catch_up(db, again)
                        again.clear()
                    return action(db)
                except StaleLine as stale:
                    again.add(stale.source)
                except (sqlite3.Error, OSError) as exc:
                    self._recover(exc)
            raise RecordStoreError(f"the history index kept failing; delete {self.index_path} and try again")

    def _connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # after a fork: never use the parent's connection
            self._db, self._pid, self._identity = None, os.getpid(), None
        if self._db is not None:
            if self._memory_note or self._identity == _identity(self.index_path):
                return self._db
            self._close()  # the index file was deleted or replaced: open the one there now
        if not self._memory_note and not self.index_path.parent.is_dir():
            # no folder yet (nothing was ever recorded there): not worth a notice
            self._memory_note = f"the folder {self.index_path.parent} does not exist"
        if self._memory_note:
            self._db = connection.open_memory()
            self._catch_up(self._db, ())
            return self._db
        self._db = connection.open_file(self.index_path, self._busy_timeout)
        self._identity = _identity(self.index_path)
        return self._db

    def _catch_up(self, db: sqlite3.Connection, restart: Collection[str]) -> None:
        seen = catch_up(db, self._parts, restart)
        self._report(db, seen)

    def _recover(self, exc: sqlite3.Error | OSError) -> None:
        if self._memory_note:
            raise RecordStoreError(f"the in-memory history index failed: {exc}") from exc
        self._close()
        code = connection.error_code(exc) if isinstance(exc, sqlite3.Error) else 0
        if code in (connection.CORRUPT, connection.NOTADB) and not self._reset_tried:
            self._reset_tried = True
            try:
                connection.remove(self.index_path)
            except OSError as removing:
                self._use_memory(f"is damaged and cannot be replaced ({removing.strerror or removing})")
                return
            self._on_notice(f"history index {self.index_path} was damaged; it is rebuilt from the files")
            return
        self._use_memory(_reason(exc, code, self._busy_timeout))

    def _use_memory(self, reason: str) -> None:
        self._memory_note = f"the index file {reason}"
        self._on_notice(
            f"history index {self.index_path} {reason}: using an index built in memory from the files"
        )
        self._close()

    def _close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db, self._identity = None, None

    def _report(self, db: sqlite3.Connection, seen: dict[str, Seen]) -> None:
        for source, state in seen.items():
            mark = state.mark
            key = (mark.dev, mark.ino, mark.size, mark.bad)
            if self._known_bad.get(source) != key:
                self._known_bad[source] = key
                query = "SELECT line, offset, reason FROM bad_lines WHERE source = ? ORDER BY line"
                stored = db.execute(query, (source,)).fetchall() if mark.bad else []
                self._stored_bad[source] = {BadLine(line, reason, offset) for line, offset, reason in stored}
                for line, offset, reason in stored:
                    self._tell(source, BadLine(line, reason, offset))
            self._incomplete[source] = state.incomplete
            if state.incomplete is not None:
                self._tell(source, state.incomplete)

    def _tell(self, source: str, line: BadLine) -> None:
        key = (source, line)
        if key not in self._reported:
            self._reported.add(key)
            if self._on_bad_line is not None:
                self._on_bad_line(source, line)


def _resolve(db: sqlite3.Connection, wanted: str) -> str:
    if db.execute("SELECT 1 FROM runs WHERE run_id = ?", (wanted,)).fetchone():
        return wanted
    if len(wanted) < MIN_PREFIX:
        raise not_found(wanted)
    last = wanted[-1]
    if ord(last) < 0x10FFFF:
        query = "SELECT run_id, seq FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id LIMIT 50"
        found = db.execute(query, (wanted, wanted[:-1] + chr(ord(last) + 1))).fetchall()
    else:
        query = "SELECT run_id, seq FROM runs WHERE run_id >= ? ORDER BY run_id LIMIT 50"
        found = db.execute(query, (wanted,)).fetchall()
    found.sort(key=lambda item: -item[1])
    return pick_run_id(wanted, [run_id for run_id, _seq in found if run_id.startswith(wanted)])


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _reason(exc: sqlite3.Error | OSError, code: int, busy_timeout: float) -> str:
    if code in (connection.BUSY, connection.LOCKED):
        return f"is busy (another process has been updating it for over {busy_timeout:g} s)"
    if code in (connection.READONLY, connection.PERM, connection.CANTOPEN) or isinstance(
        exc, PermissionError
    ):
        return "cannot be written (a read-only disk or folder?)"
    if code in (connection.CORRUPT, connection.NOTADB):
        return "is damaged"
    if isinstance(exc, OSError):
        return f"cannot be created ({exc.strerror or exc})"
    return f"cannot be used ({exc})"
