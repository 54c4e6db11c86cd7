"""What the shared stores add to the ports: one copy per id, "duplicate" outcomes, clean outage errors."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.postgres.database import PostgresDatabase
from adapters.postgres.feedback_store import PostgresFeedbackStore
from adapters.postgres.record_store import PostgresRecordStore
from adapters.record_store.jsonl import JsonlRecordStore
from application.local_first import LocalFirstRecordSink
from application.sync_history import SyncHistory
from domain.errors import RecordSerializationError, SharedStoreUnavailable
from domain.ports import KeyedFeedbackStore, KeyedRecordStore
from tests.contract.feedback_store_contract import event
from tests.contract.record_sink_contract import contract_record
from tests.postgres_server import PostgresServer, password_of


def test_a_repeat_is_reported_duplicate_and_never_a_second_row(postgres_dsn: str) -> None:
    store = PostgresRecordStore(PostgresDatabase(postgres_dsn))
    assert isinstance(store, KeyedRecordStore)
    first = contract_record("run-1")
    assert store.add_records([first, contract_record("run-2")]) == ["stored", "stored"]
    changed = contract_record("run-1", status="failed")
    assert store.add_records([changed, contract_record("run-3")]) == ["duplicate", "stored"]
    assert store.add_record(first) == "duplicate"
    twice = [contract_record("run-4"), contract_record("run-4", status="failed")]
    assert store.add_records(twice) == ["stored", "duplicate"]
    assert store.count() == 4
    assert [r.status for r in store.iter_records()][-1] == "succeeded"
    assert store.count() == 4
    assert [r.run_id for r in store.iter_records()] == ["run-1", "run-2", "run-3", "run-4"]
    assert next(iter(store.iter_records())).status == "succeeded"  # the first copy is kept
    assert store.run_ids() == {"run-1", "run-2", "run-3", "run-4"}


def test_many_writers_of_the_same_runs_leave_one_row_each(postgres_dsn: str) -> None:
    records = [contract_record(f"run-{i}") for i in range(40)]

    def write(_: int) -> list[str]:
        database = PostgresDatabase(postgres_dsn)
        try:
            return [PostgresRecordStore(database).add_record(r) for r in records]
        finally:
            database.close()

    with ThreadPoolExecutor(4) as pool:
        outcomes = [o for result in pool.map(write, range(4)) for o in result]
    assert outcomes.count("stored") == 40
    assert outcomes.count("duplicate") == 120
    assert PostgresRecordStore(PostgresDatabase(postgres_dsn)).count() == 40


def test_feedback_events_are_kept_once_per_event_id(postgres_dsn: str) -> None:
    store = PostgresFeedbackStore(PostgresDatabase(postgres_dsn))
    assert isinstance(store, KeyedFeedbackStore)
    assert store.add_events([event(1), event(2)]) == 2
    assert store.add_events([event(2), event(3)]) == 1
    store.append([event(1)])
    assert [e.event_id for e in store.iter_events()] == ["ev-0001", "ev-0002", "ev-0003"]
    assert store.event_ids() == {"ev-0001", "ev-0002", "ev-0003"}


def test_a_nul_character_is_refused_as_unstorable_and_nothing_is_stored(postgres_dsn: str) -> None:
    store = PostgresRecordStore(PostgresDatabase(postgres_dsn))
    with pytest.raises(RecordSerializationError):
        store.add_records([contract_record("ok"), contract_record("nul", metadata={"x": "a\x00b"})])
    assert store.count() == 0


def test_an_outage_raises_one_line_without_the_password_and_the_store_recovers(
    private_postgres: PostgresServer,
) -> None:
    database = PostgresDatabase(private_postgres.dsn, connect_timeout=5)
    store = PostgresRecordStore(database)
    store.add_record(contract_record("before"))
    private_postgres.stop()
    with pytest.raises(SharedStoreUnavailable) as caught:
        store.add_record(contract_record("during"))
    message = str(caught.value)
    assert "\n" not in message
    assert private_postgres.password not in message
    assert "unavailable" in message
    private_postgres.start()
    assert store.add_record(contract_record("after")) == "stored"
    assert [r.run_id for r in store.iter_records()] == ["before", "after"]


def test_a_wrong_password_is_reported_without_it(private_postgres: PostgresServer) -> None:
    dsn = private_postgres.dsn.replace(private_postgres.password, "Wr0ng-Secret-99")
    assert password_of(dsn) == "Wr0ng-Secret-99"
    with pytest.raises(SharedStoreUnavailable) as caught:
        PostgresRecordStore(PostgresDatabase(dsn)).count()
    assert "Wr0ng-Secret-99" not in str(caught.value)
    assert "password authentication failed" in str(caught.value)
    with psycopg.connect(private_postgres.dsn) as conn:  # the server itself is fine
        conn.execute("SELECT 1")


def test_a_record_the_database_cannot_hold_stays_local_with_a_warning(
    tmp_path: Path, postgres_dsn: str
) -> None:
    local = JsonlRecordStore(tmp_path / "records.jsonl")
    shared = PostgresRecordStore(PostgresDatabase(postgres_dsn))
    warnings: list[str] = []
    sink = LocalFirstRecordSink(local, shared, warnings.append)
    sink.append_record(contract_record("fine"))
    sink.append_record(contract_record("nul", metadata={"x": "a\x00b"}))
    assert [r.run_id for r in local.iter_records()] == ["fine", "nul"]
    assert shared.run_ids() == {"fine"}
    assert len(warnings) == 1
    assert "nul" in warnings[0]
    assert "NUL character" in warnings[0]

    local.append_record(contract_record("later"))
    feedback = PostgresFeedbackStore(PostgresDatabase(postgres_dsn))
    sync = SyncHistory(local, JsonlFeedbackStore(tmp_path / "feedback.jsonl"), shared, feedback)
    report = sync.push()
    assert (report.records_sent, report.records_held) == (1, 1)
    assert len(report.refused) == 1
    assert report.refused[0].startswith("run nul:")
    assert shared.run_ids() == {"fine", "later"}


def test_a_reader_sees_rows_committed_late_and_a_table_emptied_by_hand(postgres_dsn: str) -> None:
    import psycopg

    reader = PostgresRecordStore(PostgresDatabase(postgres_dsn))
    writer = PostgresRecordStore(PostgresDatabase(postgres_dsn))
    writer.add_record(contract_record("r1"))
    with psycopg.connect(postgres_dsn) as late:  # takes seq 2 now, commits after seq 3 is read
        late.execute(
            "INSERT INTO stablenew_records (run_id, document) VALUES (%s, %s::jsonb)",
            ("r2", json.dumps(contract_record("r2").to_dict())),
        )
        writer.add_record(contract_record("r3"))
        assert [r.run_id for r in reader.iter_records()] == ["r1", "r3"]
    assert [r.run_id for r in reader.iter_records()] == ["r1", "r2", "r3"]
    assert [r.run_id for r in reader.iter_records(newest_first=True)] == ["r3", "r2", "r1"]
    with psycopg.connect(postgres_dsn) as admin:
        admin.execute("DELETE FROM stablenew_records")
    writer.add_record(contract_record("r4"))
    assert [r.run_id for r in reader.iter_records()] == ["r4"]
