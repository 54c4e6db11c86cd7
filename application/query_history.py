"""Ask the history anything in SQL: runs, stage durations and every feedback event."""

from __future__ import annotations

from typing import Any

from application.history import History
from domain.ports import FeedbackStore, HistoryQueryEngine


class QueryHistory:
    """Runs ``sql`` over the runs as the history index has them and the whole feedback file."""

    def __init__(self, history: History, feedback: FeedbackStore, engine: HistoryQueryEngine) -> None:
        self._history = history
        self._feedback = feedback
        self._engine = engine

    def __call__(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows; raises QueryError for a statement the engine refuses."""
        return self._engine.query(sql, self._history.iter_rows(), self._feedback.iter_events())
