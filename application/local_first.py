"""Local first, then shared: the local file keeps every record even while the shared history is down."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from domain.errors import RecordSerializationError, SharedStoreUnavailable
from domain.feedback import FeedbackEvent
from domain.ports import FeedbackStore, KeyedFeedbackStore, KeyedRecordStore, RecordSink
from domain.record import LearningRecord
from domain.store_health import BadLine

SYNC_HINT = "`stablenew records sync` sends it when the database is back"


class LocalFirstRecordSink(RecordSink):
    """Appends each record to ``local`` (the crash-proof file), then to ``shared``.

    A failure of the local append raises as before: the record is not stored. A shared history
    that cannot be reached never fails the run: ``warn`` gets one line and the record stays local
    until ``records sync``. A record the shared history cannot hold (a NUL character in a text)
    stays local too, with a warning.
    """

    def __init__(self, local: RecordSink, shared: KeyedRecordStore, warn: Callable[[str], None]) -> None:
        self._local = local
        self._shared = shared
        self._warn = warn

    def append_record(self, record: LearningRecord) -> None:
        self._local.append_record(record)
        try:
            self._shared.add_records([record])
        except SharedStoreUnavailable as exc:
            self._warn(f"run {record.run_id} is recorded only locally for now ({exc}); {SYNC_HINT}")
        except RecordSerializationError as exc:  # the file took it, the database cannot hold it
            self._warn(f"run {record.run_id} is recorded only locally: {exc}")


class LocalFirstFeedbackStore(FeedbackStore):
    """Feedback appended to ``local`` first, then to ``shared``; read from ``shared`` (every machine's)."""

    def __init__(self, local: FeedbackStore, shared: KeyedFeedbackStore, warn: Callable[[str], None]) -> None:
        self._local = local
        self._shared = shared
        self._warn = warn

    def append(self, events: Sequence[FeedbackEvent]) -> None:
        if not events:
            return
        self._local.append(events)
        try:
            self._shared.add_events(events)
        except SharedStoreUnavailable as exc:
            self._warn(f"feedback is recorded only locally for now ({exc}); {SYNC_HINT}")
        except RecordSerializationError as exc:
            self._warn(f"feedback is recorded only locally: {exc}")

    def iter_events(self, *, on_bad_line: Callable[[BadLine], None] | None = None) -> Iterator[FeedbackEvent]:
        return self._shared.iter_events(on_bad_line=on_bad_line)
