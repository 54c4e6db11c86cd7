"""PostgresRecordStore: learning records as JSONB rows keyed by run id (one copy per run)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from adapters.postgres.documents import to_jsonb
from adapters.postgres.schema import RECORDS
from domain.errors import UnsupportedSchemaVersion
from domain.ports import AppendOutcome, KeyedRecordStore
from domain.record import NOT_A_RECORD, LearningRecord, not_a_record
from domain.store_health import BadLine

if TYPE_CHECKING:
    import psycopg

    from adapters.postgres.database import PostgresDatabase

BATCH = 500


class PostgresRecordStore(KeyedRecordStore):
    """Records in ``stablenew_records``; an append of a run id already there is a duplicate, not a row."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._db = database

    def add_records(self, records: Sequence[LearningRecord]) -> list[AppendOutcome]:
        rows = [(record.run_id, to_jsonb(record.to_dict())) for record in records]
        if not rows:
            return []

        def insert(connection: psycopg.Connection[Any]) -> set[str]:
            # One statement for the whole batch, rows in the given order (their seq follows it).
            stored = connection.execute(
                f"INSERT INTO {RECORDS} (run_id, document) "
                "SELECT run_id, document::jsonb FROM unnest(%s::text[], %s::text[]) "
                "WITH ORDINALITY AS batch(run_id, document, place) ORDER BY place "
                "ON CONFLICT (run_id) DO NOTHING RETURNING run_id",
                ([run_id for run_id, _ in rows], [document for _, document in rows]),
            ).fetchall()
            return {str(row[0]) for row in stored}

        stored = self._db.run(insert)
        outcomes: list[AppendOutcome] = []
        for run_id, _document in rows:
            outcomes.append("stored" if run_id in stored else "duplicate")
            stored.discard(run_id)  # a run id twice in one batch: the first is the one stored
        return outcomes

    def add_record(self, record: LearningRecord) -> AppendOutcome:
        return self.add_records([record])[0]

    def append_record(self, record: LearningRecord) -> None:
        self.add_records([record])

    def append_records(self, records: Iterable[LearningRecord]) -> None:
        self.add_records(list(records))

    def run_ids(self) -> set[str]:
        return {
            str(row[0])
            for row in self._db.run(lambda c: c.execute(f"SELECT run_id FROM {RECORDS}").fetchall())
        }

    def count(self) -> int:
        row = self._db.run(lambda c: c.execute(f"SELECT count(*) FROM {RECORDS}").fetchone())
        return int(row[0]) if row else 0

    def iter_records(
        self, *, newest_first: bool = False, on_bad_line: Callable[[BadLine], None] | None = None
    ) -> Iterator[LearningRecord]:
        """Oldest (or newest) first, as the table was when iteration began; a row that is not a
        record is skipped and reported numbered like a file's line (1, 2... or -1, -2...)."""
        last = self._db.run(lambda c: c.execute(f"SELECT coalesce(max(seq), 0) FROM {RECORDS}").fetchone())
        bound = int(last[0]) if last else 0
        for number, document in enumerate(self._documents(bound, newest_first), start=1):
            try:
                yield LearningRecord.from_dict(document)
            except UnsupportedSchemaVersion:
                raise
            except NOT_A_RECORD as exc:
                if on_bad_line is not None:
                    on_bad_line(BadLine(-number if newest_first else number, not_a_record(exc)))

    def _documents(self, bound: int, newest_first: bool) -> Iterator[dict[str, Any]]:
        after = bound + 1 if newest_first else 0
        order, compare = ("DESC", "<") if newest_first else ("ASC", ">")
        query = (
            f"SELECT seq, document FROM {RECORDS} WHERE seq {compare} %s AND seq <= %s "
            f"ORDER BY seq {order} LIMIT {BATCH}"
        )
        while True:
            params = (after, bound)
            rows = self._db.run(lambda c, p=params: c.execute(query, p).fetchall())  # type: ignore[misc]
            if not rows:
                return
            for seq, document in rows:
                after = int(seq)
                if isinstance(document, dict):
                    yield document
                else:
                    yield {"not an object": document}

    def store_raw(self, run_id: str, payload: object) -> None:
        """A document stored as given, unchecked (tests: a damaged or foreign row)."""
        import json

        self._db.run(
            lambda c: c.execute(
                f"INSERT INTO {RECORDS} (run_id, document) VALUES (%s, %s::jsonb)",
                (run_id, json.dumps(payload)),
            )
        )
