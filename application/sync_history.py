"""SyncHistory: make the shared history hold what the local files hold, or the other way round."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from domain.errors import RecordSerializationError
from domain.ports import FeedbackStore, KeyedFeedbackStore, KeyedRecordStore, RecordStore
from domain.store_health import BadLine

T = TypeVar("T")
BATCH = 500


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one sync did: per kind, how many the source had, how many were sent, how many the
    destination held already (sent ones it turned out to hold count as held), lines skipped as bad."""

    direction: str  # "to the database" or "from the database"
    records_seen: int
    records_sent: int
    records_held: int
    events_seen: int
    events_sent: int
    events_held: int
    bad_lines: int
    refused: tuple[str, ...] = ()  # ids the destination cannot hold, each with why

    @property
    def changed(self) -> bool:
        return bool(self.records_sent or self.events_sent)


class SyncHistory:
    """Copies records (by run id) and feedback events (by event id) the other side lacks.

    Idempotent: a second sync sends nothing. ``push`` reads the local files and sends what the
    shared history lacks; ``pull`` appends to the local files what they lack of the shared
    history, in its order. Bad local lines are skipped (counted, passed to ``on_bad_line``).
    Raises ``SharedStoreUnavailable`` when the shared history cannot be reached; what was sent
    until then stays sent, and the next sync carries on.
    """

    def __init__(
        self,
        local_records: RecordStore,
        local_feedback: FeedbackStore,
        shared_records: KeyedRecordStore,
        shared_feedback: KeyedFeedbackStore,
    ) -> None:
        self._local_records = local_records
        self._local_feedback = local_feedback
        self._shared_records = shared_records
        self._shared_feedback = shared_feedback

    def push(self, on_bad_line: Callable[[str, BadLine], None] | None = None) -> SyncReport:
        bad: list[BadLine] = []
        held_runs = self._shared_records.run_ids()
        records = list(self._local_records.iter_records(on_bad_line=_counting(bad, "records", on_bad_line)))
        missing = _newest_per_id([r for r in records if r.run_id not in held_runs], lambda r: r.run_id)
        sent_records, refused_runs = _send(
            missing,
            lambda batch: self._shared_records.add_records(batch).count("stored"),
            lambda record: f"run {record.run_id}",
        )
        held_events = self._shared_feedback.event_ids()
        events = list(self._local_feedback.iter_events(on_bad_line=_counting(bad, "feedback", on_bad_line)))
        missing_events = _first_per_id(
            [e for e in events if e.event_id not in held_events], lambda e: e.event_id
        )
        sent_events, refused_events = _send(
            missing_events, self._shared_feedback.add_events, lambda event: f"event {event.event_id}"
        )
        return SyncReport(
            "to the database",
            len(records),
            sent_records,
            len(records) - sent_records - len(refused_runs),
            len(events),
            sent_events,
            len(events) - sent_events - len(refused_events),
            len(bad),
            (*refused_runs, *refused_events),
        )

    def pull(self, on_bad_line: Callable[[str, BadLine], None] | None = None) -> SyncReport:
        bad: list[BadLine] = []
        held_runs = {
            r.run_id
            for r in self._local_records.iter_records(on_bad_line=_counting(bad, "records", on_bad_line))
        }
        shared = list(self._shared_records.iter_records())
        missing = [r for r in shared if r.run_id not in held_runs]
        for batch in _batches(missing):
            self._local_records.append_records(batch)
        held_events = {
            e.event_id
            for e in self._local_feedback.iter_events(on_bad_line=_counting(bad, "feedback", on_bad_line))
        }
        events = list(self._shared_feedback.iter_events())
        missing_events = [e for e in events if e.event_id not in held_events]
        for events_batch in _batches(missing_events):
            self._local_feedback.append(events_batch)
        return SyncReport(
            "from the database",
            len(shared),
            len(missing),
            len(shared) - len(missing),
            len(events),
            len(missing_events),
            len(events) - len(missing_events),
            len(bad),
        )


def _send(
    items: Sequence[T], add: Callable[[list[T]], int], name: Callable[[T], str]
) -> tuple[int, list[str]]:
    """Send ``items`` in batches, each in one go; a batch that holds an item the database cannot
    store, one by one. Returns how many were stored and, for each item refused, its name and why."""
    sent = 0
    refused: list[str] = []
    for batch in _batches(items):
        try:
            sent += add(batch)
        except RecordSerializationError:
            for item in batch:
                try:
                    sent += add([item])
                except RecordSerializationError as exc:
                    refused.append(f"{name(item)}: {exc}")
    return sent, refused


def _counting(
    bad: list[BadLine], source: str, report: Callable[[str, BadLine], None] | None
) -> Callable[[BadLine], None]:
    def count(line: BadLine) -> None:
        bad.append(line)
        if report is not None:
            report(source, line)

    return count


def _newest_per_id(items: Sequence[T], key: Callable[[T], str]) -> list[T]:
    """One item per id, the newest (a run stored twice locally: its newest copy wins), in order."""
    last = {key(item): index for index, item in enumerate(items)}
    return [item for index, item in enumerate(items) if last[key(item)] == index]


def _first_per_id(items: Sequence[T], key: Callable[[T], str]) -> list[T]:
    """One item per id, the first (a repeated event id: the first event counts, as fold_feedback does)."""
    seen: set[str] = set()
    kept: list[T] = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return kept


def _batches(items: Iterable[T]) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH)):
        yield batch
