"""A worker on the shared history first sends what its local files hold and the database lacks
(records a database outage left only there), then takes jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.postgres.database import PostgresDatabase
from adapters.postgres.feedback_store import PostgresFeedbackStore
from adapters.postgres.record_store import PostgresRecordStore
from adapters.record_store.jsonl import JsonlRecordStore
from domain.feedback import FeedbackAuthor, FeedbackEvent
from tests.factories import make_record
from tests.queue.cluster import Cluster

pytestmark = pytest.mark.slow


def test_a_worker_sends_the_local_records_the_database_lacks_before_its_first_job(
    tmp_path: Path, postgres_dsn: str
) -> None:
    cluster = Cluster(tmp_path, postgres_dsn, sink="postgres")
    local = JsonlRecordStore(cluster.records_path)
    local.append_records([make_record("left0001"), make_record("left0002")])
    local.close()
    event = FeedbackEvent(
        "ev-left", "left0001", "2026-11-24T10:00:00Z", FeedbackAuthor.person("al"), "rating", rating=4
    )
    feedback = JsonlFeedbackStore(cluster.records_path.parent / "feedback.jsonl")
    feedback.append([event])
    feedback.close()
    database = PostgresDatabase(postgres_dsn)
    shared = PostgresRecordStore(database)
    shared.add_records([make_record("left0001")])  # one of them reached the database already
    submitted = cluster.cli(
        "submit", "-p", "a lighthouse", "--model", "fake-a", "--stages", "txt2img", "--width", "64",
        "--height", "64", "--json",
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    run_id = str(json.loads(submitted.stdout)["run_id"])

    result = cluster.cli("worker", "--name", "w1", "--max-jobs", "1", models=("fake-a",))

    assert result.returncode == 0, result.stderr
    assert "records: 1 sent to the database, 1 already there" in result.stderr
    assert shared.run_ids() == {"left0001", "left0002", run_id}
    assert [e.event_id for e in PostgresFeedbackStore(database).iter_events()] == ["ev-left"]
    assert result.stderr.index("sent to the database") < result.stderr.index(run_id[:8])
    database.close()
