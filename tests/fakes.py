"""Test doubles. Each one runs through the contract suite of its port (tests/contract/)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.record import LearningRecord


class FakeClock:
    """A clock that moves forward by ``step`` every time it is read."""

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(milliseconds=250)) -> None:
        self._now = start or datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)
        self._step = step

    def now(self) -> datetime:
        current = self._now
        self._now += self._step
        return current


class InMemoryRecordSink:
    """Keeps appended records in a list, as a JSONL sink would keep them in a file."""

    def __init__(self) -> None:
        self.records: list[LearningRecord] = []

    def append_record(self, record: LearningRecord) -> None:
        self.records.append(record)


class FailingRecordSink:
    """Refuses every append, the way a sink on a read-only disk would."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error or OSError("disk is read-only")
        self.calls = 0

    def append_record(self, record: LearningRecord) -> None:
        self.calls += 1
        raise self.error
