"""The RunIndex contract against the shared history on PostgreSQL as records list/show/stats,
insights and the review page read it when ``learning.sink = "postgres"``: a local copy of the
tables (PostgresHistoryMirror) and the SQLite index over the copy (MirroredRunIndex).

Every write goes to the database and, as far as the database keeps it, to JSONL files that the
contract's full-scan reference reads. The one documented difference: the shared history keeps the
FIRST copy of a run id (``ON CONFLICT DO NOTHING``), so the contract's three checks of a later
copy replacing an earlier one are replaced here by the same checks of the first copy staying.
Bad entries a database can hold (JSON objects that are not records) replace the file's bad lines.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.index.sqlite_index import SqliteRunIndex
from adapters.postgres.database import PostgresDatabase
from adapters.postgres.feedback_store import PostgresFeedbackStore
from adapters.postgres.mirror import PostgresHistoryMirror
from adapters.postgres.record_store import PostgresRecordStore
from application.mirrored_index import MirroredRunIndex
from domain.feedback import FeedbackEvent
from domain.images import BackendInfo
from domain.ports import BadLineReport, RunIndex
from domain.record import LearningRecord
from domain.run import StageEvent, StageStatus
from tests.contract.run_index_contract import (
    ALICE,
    HistoryFiles,
    Reported,
    RunIndexContract,
    varied_records,
)
from tests.factories import make_record


class DatabaseHistory(HistoryFiles):
    """The shared history, mirrored into the files the reference reads."""

    def __init__(self, folder: Path, database: PostgresDatabase) -> None:
        super().__init__(folder)
        self.records = PostgresRecordStore(database)
        self.events = PostgresFeedbackStore(database)

    def add(self, *records: LearningRecord) -> None:
        outcomes = self.records.add_records(records)
        kept = [record for record, outcome in zip(records, outcomes, strict=True) if outcome == "stored"]
        if kept:
            self.sink.append_records(kept)

    def rate(self, *events: FeedbackEvent) -> None:
        self.events.add_events(events)
        self.store.append(events)

    def raw(self, source: str, data: bytes) -> None:
        """The JSON objects of ``data`` stored unchecked (what else a file can hold, a table cannot)."""
        for line in data.splitlines():
            try:
                payload = json.loads(line)
            except ValueError:
                continue
            if not isinstance(payload, dict):
                continue
            payload.pop("_crc", None)
            key = str(payload.get("run_id" if source == "records" else "event_id", line.hex()[:40]))
            if source == "records":
                self.records.store_raw(key, payload)
            else:
                self.events.store_raw(f"raw-{line.hex()[:40]}", payload)
            super().raw(source, line + b"\n")


def mirrored_index(
    database: PostgresDatabase, folder: Path, on_bad_line: BadLineReport | None = None
) -> MirroredRunIndex:
    mirror = PostgresHistoryMirror(database, folder)
    return MirroredRunIndex(
        mirror,
        SqliteRunIndex(
            mirror.records_path, mirror.feedback_path, on_bad_line=on_bad_line, on_notice=_no_notice
        ),
    )


def _no_notice(message: str) -> None:
    raise AssertionError(f"the index fell back unexpectedly: {message}")


class TestPostgresRunIndex(RunIndexContract):
    @pytest.fixture
    def database(self, postgres_dsn: str) -> Iterator[PostgresDatabase]:
        database = PostgresDatabase(postgres_dsn)
        yield database
        database.close()

    @pytest.fixture
    def files(self, tmp_path: Path, database: PostgresDatabase) -> Iterator[HistoryFiles]:
        files = DatabaseHistory(tmp_path, database)
        yield files
        files.close()

    @pytest.fixture
    def index(self, database: PostgresDatabase, reported: Reported, tmp_path: Path) -> RunIndex:
        return mirrored_index(database, tmp_path / "copy", lambda source, bad: reported.append((source, bad)))

    # -- the first copy of a run id stays (ON CONFLICT DO NOTHING) --------------------------------

    def test_a_run_stored_twice_is_shown_once_at_its_newest_copy(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        rows = list(index.rows())
        original = varied_records()[5]
        assert [row.run_id for row in rows].count(original.run_id) == 1
        assert index.record(original.run_id) == original  # the first copy, not the "failed" one
        assert rows == list(varied.history().iter_rows())

    def test_stats_follow_appends_replacements_and_ratings(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        from domain.history_stats import compute_stats

        before = index.stats()
        first = varied_records()[0]
        varied.add(replace(first, status="interrupted", backend=BackendInfo("fake", model="replaced-model")))
        assert index.stats() == before  # a repeat changes nothing
        varied.add(
            make_record(
                "late0001", stage_events=(StageEvent("upscale", StageStatus.SUCCEEDED, duration_ms=7),)
            )
        )
        varied.rate(FeedbackEvent("late-r", "late0001", "2026-11-24T11:00:00Z", ALICE, "rating", rating=1))
        stats = index.stats()
        assert stats == compute_stats(varied.history().iter_rows())
        assert ("replaced-model", 1) not in stats.by_model
        assert stats.runs == before.runs + 1

    def test_later_appends_are_seen_by_the_next_call(self, index: RunIndex, files: HistoryFiles) -> None:
        files.add(make_record("first001"))
        assert [row.run_id for row in index.rows()] == ["first001"]
        files.add(make_record("second01"))
        files.rate(FeedbackEvent("x1", "first001", "2026-11-24T10:00:00Z", ALICE, "rating", rating=4))
        rows = list(index.rows())
        assert [row.run_id for row in rows] == ["second01", "first001"]
        assert rows[1].rating == 4
        assert index.resolve("seco") == "second01"
        files.add(replace(make_record("first001"), status="failed"))
        assert [(row.run_id, row.status) for row in index.rows()] == [
            ("second01", "succeeded"),
            ("first001", "succeeded"),
        ]

    # -- bad entries: what a table can hold -------------------------------------------------------

    def test_bad_lines_are_skipped_and_reported_once_as_the_readers_number_them(
        self, index: RunIndex, files: HistoryFiles, reported: Reported
    ) -> None:
        files.add(make_record("good0001"))
        files.raw("records", json.dumps({"run_id": "nope", "schema_version": 1}).encode())
        files.raw("records", json.dumps({**make_record("type0001").to_dict(), "prompt_pack_id": 1}).encode())
        files.add(make_record("good0002"))
        files.raw(
            "feedback", json.dumps({"schema_version": 1, "event_id": "e", "run_id": "good0001"}).encode()
        )
        files.rate(FeedbackEvent("ok1", "good0001", "2026-11-24T10:00:00Z", ALICE, "rating", rating=2))
        assert [row.run_id for row in index.rows()] == ["good0002", "good0001"]
        assert index.feedback("good0001").rating == 2
        index.resolve("good0001")
        assert len(reported) == len(set(reported)) == 3
        assert {(source, line.line_number) for source, line in reported} == {
            ("records", 2),
            ("records", 3),
            ("feedback", 1),
        }
        reasons = {line.reason for _source, line in reported}
        assert "not a learning record: prompt_pack_id must be text or null, got 1" in reasons
