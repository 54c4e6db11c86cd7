"""SQL over the history with DuckDB: tables ``runs``, ``stages`` and ``feedback`` in memory.

DuckDB is an optional extra (``stablenew[query]``); without it every entry point raises
DuckDbMissing with the one-line fix. Queries run on an in-memory copy with file access turned
off, so no query can change (or read) any file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson

from adapters.query.flat import FEEDBACK_COLUMNS, RUN_COLUMNS, STAGE_COLUMNS, flat_event, flat_run
from domain.errors import MissingDependency, QueryError
from domain.feedback import FeedbackEvent
from domain.ports import HistoryQueryEngine
from domain.run_row import RunRow

READING = frozenset({"SELECT", "EXPLAIN"})
INSTALL_HINT = "uv sync --extra query (or pip install 'stablenew[query]')"
DuckDbMissing = MissingDependency  # the names this module had before the errors moved to the domain
__all__ = ["DuckDbMissing", "DuckDbQueryEngine", "HistoryDatabase", "QueryError", "load_duckdb"]


class DuckDbQueryEngine(HistoryQueryEngine):
    """Each query loads the runs, their stages and the events into a fresh in-memory database."""

    def query(
        self, sql: str, runs: Iterable[RunRow], events: Iterable[FeedbackEvent]
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        rows = list(runs)
        stages = (
            {"run_id": row.run_id, "stage": name, "duration_ms": ms}
            for row in rows
            for name, ms in row.stage_durations
        )
        flat_events = (flat_event(event) for event in events)
        with HistoryDatabase((flat_run(row) for row in rows), flat_events, stages) as database:
            return database.query(sql)


def load_duckdb(purpose: str) -> ModuleType:
    try:
        import duckdb
    except ImportError:
        raise MissingDependency(f"{purpose} needs DuckDB: {INSTALL_HINT}") from None
    return duckdb


class HistoryDatabase:
    """An in-memory DuckDB database holding the given rows; close it (or use ``with``)."""

    def __init__(
        self,
        runs: Iterable[dict[str, Any]],
        events: Iterable[dict[str, Any]] = (),
        stages: Iterable[dict[str, Any]] = (),
        *,
        purpose: str = "records query",
    ) -> None:
        self._duckdb = load_duckdb(purpose)
        self._con = self._duckdb.connect(":memory:")
        with tempfile.TemporaryDirectory(prefix="stablenew-query-") as folder:
            self._load("runs", RUN_COLUMNS, runs, Path(folder))
            self._load("feedback", FEEDBACK_COLUMNS, events, Path(folder))
            self._load("stages", STAGE_COLUMNS, stages, Path(folder))

    def _load(
        self, table: str, columns: dict[str, str], rows: Iterable[dict[str, Any]], folder: Path
    ) -> None:
        path = folder / f"{table}.jsonl"
        with path.open("wb") as out:
            for row in rows:
                out.write(orjson.dumps(row) + b"\n")
        spec = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items()) + "}"
        self._con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_json(?, format='newline_delimited', columns={spec})",
            [str(path)],
        )

    def copy_runs_to_parquet(self, target: Path) -> None:
        self._con.execute("COPY runs TO ? (FORMAT parquet)", [str(target)])

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of ``sql``; raises QueryError with DuckDB's message."""
        self._con.execute("SET enable_external_access = false")
        try:
            statements = self._duckdb.extract_statements(sql)
            if not statements:  # DuckDB would return no cursor at all
                raise QueryError("no SQL statement given: write one, e.g. SELECT * FROM runs LIMIT 5")
            kinds = {statement.type.name for statement in statements}
            if kinds - READING:
                changing = ", ".join(sorted(kinds - READING))
                raise QueryError(
                    f"the history is only read here: {changing} statements are refused; use SELECT"
                )
            cursor = self._con.execute(sql)
            if cursor.description is None:
                return [], []
            columns = [column[0] for column in cursor.description]
            return columns, cursor.fetchall()
        except self._duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise QueryError(first) from None

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> HistoryDatabase:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
