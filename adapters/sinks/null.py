"""NullRecordSink: learning switched off; every record is accepted and dropped."""

from __future__ import annotations

from domain.ports import RecordSink
from domain.record import LearningRecord


class NullRecordSink(RecordSink):
    """Stores nothing, never fails."""

    def append_record(self, record: LearningRecord) -> None:
        return None
