"""The port contract suites run against the PostgreSQL adapters on a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.postgres.database import PostgresDatabase
from adapters.postgres.feedback_store import PostgresFeedbackStore
from adapters.postgres.record_store import PostgresRecordStore
from domain import LearningRecord, RecordSink
from domain.ports import FeedbackStore
from tests.contract.feedback_store_contract import FeedbackStoreContract
from tests.contract.record_sink_contract import RecordSinkContract


@pytest.fixture
def database(postgres_dsn: str) -> Iterator[PostgresDatabase]:
    database = PostgresDatabase(postgres_dsn)
    yield database
    database.close()


class TestPostgresRecordStore(RecordSinkContract):
    rejects_non_json = True
    keyed_by_run_id = True

    @pytest.fixture
    def sink(self, database: PostgresDatabase) -> RecordSink:
        return PostgresRecordStore(database)

    def stored_records(self, sink: RecordSink) -> list[LearningRecord]:
        assert isinstance(sink, PostgresRecordStore)
        bad: list[object] = []
        records = list(sink.iter_records(on_bad_line=bad.append))
        assert bad == []
        assert list(sink.iter_records(newest_first=True)) == records[::-1]
        return records


class TestPostgresFeedbackStore(FeedbackStoreContract):
    @pytest.fixture
    def store(self, database: PostgresDatabase) -> FeedbackStore:
        return PostgresFeedbackStore(database)

    def store_raw(self, store: FeedbackStore, payload: Any) -> None:
        assert isinstance(store, PostgresFeedbackStore)
        store.store_raw(f"raw-{id(payload)}-{len(str(payload))}", payload)

    def make_store(self, tmp_path: Path) -> FeedbackStore:
        raise AssertionError("the store fixture builds it")
