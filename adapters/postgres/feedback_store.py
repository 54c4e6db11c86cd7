"""PostgresFeedbackStore: feedback events as JSONB rows keyed by event id."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from adapters.postgres.documents import to_jsonb
from adapters.postgres.schema import FEEDBACK
from domain.feedback import FeedbackError, FeedbackEvent
from domain.ports import KeyedFeedbackStore
from domain.store_health import BadLine

if TYPE_CHECKING:
    import psycopg

    from adapters.postgres.database import PostgresDatabase


class PostgresFeedbackStore(KeyedFeedbackStore):
    """Events in ``stablenew_feedback`` in append order; an event id already there is kept as it was."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    def add_events(self, events: Sequence[FeedbackEvent]) -> int:
        rows = [(event.event_id, event.run_id, to_jsonb(event.to_dict())) for event in events]
        if not rows:
            return 0

        def insert(connection: psycopg.Connection[Any]) -> int:
            stored = 0
            with connection.cursor() as cursor:
                for row in rows:
                    cursor.execute(
                        f"INSERT INTO {FEEDBACK} (event_id, run_id, document) VALUES (%s, %s, %s::jsonb) "
                        "ON CONFLICT (event_id) DO NOTHING",
                        row,
                    )
                    stored += cursor.rowcount
            return stored

        return self._db.run(insert)

    def append(self, events: Sequence[FeedbackEvent]) -> None:
        self.add_events(events)

    def event_ids(self) -> set[str]:
        return {
            str(row[0])
            for row in self._db.run(lambda c: c.execute(f"SELECT event_id FROM {FEEDBACK}").fetchall())
        }

    def iter_events(self, *, on_bad_line: Callable[[BadLine], None] | None = None) -> Iterator[FeedbackEvent]:
        rows = self._db.run(lambda c: c.execute(f"SELECT document FROM {FEEDBACK} ORDER BY seq").fetchall())
        for number, (document,) in enumerate(rows, start=1):
            try:
                if not isinstance(document, dict):
                    raise FeedbackError("not a JSON object")
                yield FeedbackEvent.from_dict(document)
            except FeedbackError as exc:
                if on_bad_line is not None:
                    on_bad_line(BadLine(number, f"not a feedback event: {exc}"))

    def store_raw(self, event_id: str, payload: object) -> None:
        """A document stored as given, unchecked (tests: a damaged or foreign row)."""
        self._db.run(
            lambda c: c.execute(
                f"INSERT INTO {FEEDBACK} (event_id, run_id, document) VALUES (%s, '', %s::jsonb)",
                (event_id, json.dumps(payload)),
            )
        )
