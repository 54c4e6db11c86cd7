"""JsonlRecordStore: learning records as JSON lines, appended safely by any number of processes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from adapters.jsonl_log import Durability, JsonlLog, Repair, Verification
from domain.errors import UnsupportedSchemaVersion
from domain.ports import MaintainedFile, RecordStore
from domain.record import NOT_A_RECORD, LearningRecord, not_a_record
from domain.store_health import BadLine


class JsonlRecordStore(RecordStore, MaintainedFile):
    """Appends one checksummed line per record to ``records_path`` and reads them back.

    ``durability="fsync"`` (default): a record is on disk when ``append_record`` returns.
    ``durability="none"``: it is in the page cache only; a power loss may lose the last seconds.
    """

    def __init__(
        self, records_path: Path | str, *, durability: Durability = "fsync", lock_timeout: float = 60.0
    ) -> None:
        self._log = JsonlLog(records_path, durability=durability, lock_timeout=lock_timeout)

    @property
    def records_path(self) -> Path:
        return self._log.path

    @property
    def log(self) -> JsonlLog:
        return self._log

    def append_record(self, record: LearningRecord) -> None:
        self._log.append([record.to_dict()])

    write = append_record

    def append_records(self, records: Iterable[LearningRecord]) -> None:
        """Many records with one lock, one write and one fsync (group commit); all or none."""
        self._log.append([record.to_dict() for record in records])

    def iter_records(
        self, *, newest_first: bool = False, on_bad_line: Callable[[BadLine], None] | None = None
    ) -> Iterator[LearningRecord]:
        entries = self._log.iter_entries(newest_first=newest_first, on_bad_line=on_bad_line)
        for number, offset, payload in entries:
            try:
                record = LearningRecord.from_dict(payload)
            except UnsupportedSchemaVersion:
                raise
            except NOT_A_RECORD as exc:
                if on_bad_line is not None:
                    on_bad_line(BadLine(number, not_a_record(exc), offset))
            else:
                yield record

    def recover_tail(self) -> int:
        """Quarantine a torn last line left by a killed writer (appends also do this first)."""
        return self._log.recover_tail()

    def verify(self) -> Verification:
        """Count good and bad lines; a newer schema_version raises UnsupportedSchemaVersion."""
        return self._log.verify(record_problem)

    def repair(self) -> Repair:
        """Move bad lines to the quarantine and keep the good ones in order (see JsonlLog.repair)."""
        return self._log.repair(record_problem)

    def close(self) -> None:
        self._log.close()


def record_problem(payload: Mapping[str, Any]) -> str | None:
    """Why ``payload`` is not a learning record this version can read, or None if it is one.

    A newer schema_version is not a bad line: it raises UnsupportedSchemaVersion.
    """
    try:
        LearningRecord.from_dict(payload)
    except UnsupportedSchemaVersion:
        raise
    except NOT_A_RECORD as exc:
        return not_a_record(exc)
    return None
