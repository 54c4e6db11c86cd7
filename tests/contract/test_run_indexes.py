"""The RunIndex contract run against the SQLite index (file and in-memory) and the full-scan index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.index.sqlite_index import SqliteRunIndex
from adapters.record_store.jsonl import JsonlRecordStore
from application.scan_index import ScanRunIndex
from domain.ports import RunIndex
from domain.store_health import BadLine
from tests.contract.run_index_contract import RunIndexContract


def _no_notice(message: str) -> None:
    raise AssertionError(f"the index fell back unexpectedly: {message}")


class TestSqliteRunIndex(RunIndexContract):
    def make_index(
        self, records_path: Path, feedback_path: Path, on_bad_line: Callable[[str, BadLine], None]
    ) -> RunIndex:
        return SqliteRunIndex(records_path, feedback_path, on_bad_line=on_bad_line, on_notice=_no_notice)


class TestSqliteRunIndexInMemory(RunIndexContract):
    """The fallback: the index file cannot be created (its folder is a file), so it lives in memory."""

    def make_index(
        self, records_path: Path, feedback_path: Path, on_bad_line: Callable[[str, BadLine], None]
    ) -> RunIndex:
        blocker = records_path.parent / "not-a-folder"
        blocker.write_text("")
        notices: list[str] = []
        return SqliteRunIndex(
            records_path,
            feedback_path,
            index_path=blocker / "index.sqlite",
            on_bad_line=on_bad_line,
            on_notice=notices.append,
        )


class TestScanRunIndex(RunIndexContract):
    def make_index(
        self, records_path: Path, feedback_path: Path, on_bad_line: Callable[[str, BadLine], None]
    ) -> RunIndex:
        return ScanRunIndex(JsonlRecordStore(records_path), JsonlFeedbackStore(feedback_path), on_bad_line)
