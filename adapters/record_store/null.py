"""NullRecordSink: learning switched off; every record is accepted and dropped."""

from __future__ import annotations

from collections.abc import Iterable

from domain.ports import RecordSink
from domain.record import LearningRecord


class NullRecordSink(RecordSink):
    """Stores nothing, never fails, never touches the disk (the RecordSink contract minus storage)."""

    def append_record(self, record: LearningRecord) -> None:
        return None

    write = append_record

    def append_records(self, records: Iterable[LearningRecord]) -> None:
        return None
