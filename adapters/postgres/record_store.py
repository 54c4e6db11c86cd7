"""PostgresRecordStore: learning records as JSONB rows keyed by run id (one copy per run)."""

from __future__ import annotations

import threading
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
        self._decoded: list[LearningRecord | str] = []  # each row read so far: its record, or why not one
        self._read_upto = 0  # the seq of the last row in _decoded
        self._cache_lock = threading.Lock()

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
        record is skipped and reported numbered like a file's line (1, 2... or -1, -2...).

        Oldest first: rows are never changed (ON CONFLICT DO NOTHING), so the decoded rows are
        kept and each call reads only the rows added since the last one: a long-lived reader pays
        for the whole table once. A row that shows up below what was read (a transaction that
        committed late) makes it read the table again whole. Newest first reads from the end in
        batches, only as far as the caller iterates (the newest runs of a large table cost the
        same as of a small one).
        """
        if newest_first:
            return self._newest_first(on_bad_line)
        return self._oldest_first(on_bad_line)

    def _oldest_first(self, on_bad_line: Callable[[BadLine], None] | None) -> Iterator[LearningRecord]:
        for number, item in enumerate(self._catch_up(), start=1):
            if isinstance(item, LearningRecord):
                yield item
            elif on_bad_line is not None:
                on_bad_line(BadLine(number, item))

    def _newest_first(self, on_bad_line: Callable[[BadLine], None] | None) -> Iterator[LearningRecord]:
        row = self._db.run(lambda c: c.execute(f"SELECT max(seq) FROM {RECORDS}").fetchone())
        below = (int(row[0]) + 1) if row and row[0] is not None else 0
        query = f"SELECT seq, document FROM {RECORDS} WHERE seq < %s ORDER BY seq DESC LIMIT {BATCH}"
        number = 0
        while below > 0:
            rows = self._db.run(lambda c, bound=below: c.execute(query, (bound,)).fetchall())  # type: ignore[misc]
            if not rows:
                return
            for seq, document in rows:
                below, number = int(seq), number + 1
                item = _decoded(document)  # a newer schema raises
                if isinstance(item, LearningRecord):
                    yield item
                elif on_bad_line is not None:
                    on_bad_line(BadLine(-number, item))

    def _catch_up(self) -> list[LearningRecord | str]:
        totals = f"SELECT coalesce(max(seq), 0), count(*) FROM {RECORDS}"
        row = self._db.run(lambda c: c.execute(totals).fetchone())
        bound, count = (int(row[0]), int(row[1])) if row else (0, 0)
        with self._cache_lock:
            if count < len(self._decoded):  # rows deleted by hand: what was read is no longer there
                self._decoded, self._read_upto = [], 0
            self._read(bound)
            if len(self._decoded) < count:
                # A row committed after a later seq was read (seqs are taken before commit), or the
                # table was replaced: read it again whole, in seq order.
                self._decoded, self._read_upto = [], 0
                self._read(bound)
            return list(self._decoded)

    def _read(self, bound: int) -> None:
        for seq, document in self._documents(self._read_upto, bound):
            self._decoded.append(_decoded(document))  # a newer schema raises: not kept, raised again
            self._read_upto = seq

    def _documents(self, after: int, bound: int) -> Iterator[tuple[int, object]]:
        query = f"SELECT seq, document FROM {RECORDS} WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT {BATCH}"
        while True:
            params = (after, bound)
            rows = self._db.run(lambda c, p=params: c.execute(query, p).fetchall())  # type: ignore[misc]
            if not rows:
                return
            for seq, document in rows:
                after = int(seq)
                yield after, document

    def store_raw(self, run_id: str, payload: object) -> None:
        """A document stored as given, unchecked (tests: a damaged or foreign row)."""
        import json

        self._db.run(
            lambda c: c.execute(
                f"INSERT INTO {RECORDS} (run_id, document) VALUES (%s, %s::jsonb)",
                (run_id, json.dumps(payload)),
            )
        )


def _decoded(document: object) -> LearningRecord | str:
    """The row's record, or why it is not one (a newer schema_version raises)."""
    if not isinstance(document, dict):
        return f"not a learning record: a JSON {type(document).__name__}, not an object"
    try:
        return LearningRecord.from_dict(document)
    except UnsupportedSchemaVersion:
        raise
    except NOT_A_RECORD as exc:
        return not_a_record(exc)
