"""JsonlRecordSink: learning records as JSON lines, appended safely by any number of processes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from adapters.jsonl_log import Durability, JsonlLog
from domain.errors import UnsupportedSchemaVersion
from domain.ports import BadLine, RecordReader, RecordSink
from domain.record import LearningRecord


class JsonlRecordSink(RecordSink, RecordReader):
    """Appends one line per record to ``records_path`` and reads them back."""

    def __init__(self, records_path: Path | str, *, durability: Durability = "fsync") -> None:
        self._log = JsonlLog(records_path, durability=durability)

    @property
    def records_path(self) -> Path:
        return self._log.path

    def append_record(self, record: LearningRecord) -> None:
        self._log.append([record.to_dict()])

    write = append_record

    def append_records(self, records: Iterable[LearningRecord]) -> None:
        """Many records with one lock, one write and one fsync (group commit); all or none."""
        self._log.append([record.to_dict() for record in records])

    def iter_records(
        self, *, newest_first: bool = False, on_bad_line: Callable[[BadLine], None] | None = None
    ) -> Iterator[LearningRecord]:
        for payload in self._log.iter_payloads(newest_first=newest_first, on_bad_line=on_bad_line):
            try:
                yield LearningRecord.from_dict(payload)
            except UnsupportedSchemaVersion:
                raise
            except (KeyError, TypeError, ValueError) as exc:
                if on_bad_line:
                    on_bad_line(BadLine(0, f"not a learning record: {exc!r}"))
