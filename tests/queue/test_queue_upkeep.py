"""Upkeep of the shared queue and history: a worker sends what its local files hold and the database
lacks before it takes jobs; `queue prune` deletes the jobs that ended long ago."""

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


def test_queue_prune_deletes_the_ended_jobs_and_keeps_the_pending_ones_and_the_records(
    tmp_path: Path, postgres_dsn: str
) -> None:
    cluster = Cluster(tmp_path, postgres_dsn)
    for prompt in ("a lighthouse", "a harbour"):
        submitted = cluster.cli(
            "submit", "-p", prompt, "--model", "fake-a", "--stages", "txt2img", "--width", "64",
            "--height", "64",
        )  # fmt: skip
        assert submitted.returncode == 0, submitted.stderr
    worked = cluster.cli("worker", "--name", "w1", "--max-jobs", "1", models=("fake-a",))
    assert worked.returncode == 0, worked.stderr

    kept = cluster.cli("queue", "prune")  # the default: ended over 7 days ago
    assert kept.returncode == 0, kept.stderr
    assert "deleted 0 succeeded job(s) that ended over 7d ago" in kept.stdout
    pruned = cluster.cli("queue", "prune", "--older-than", "0m")
    assert pruned.returncode == 0, pruned.stderr
    assert "deleted 1 succeeded job(s)" in pruned.stdout
    status = json.loads(cluster.cli("queue", "status", "--json").stdout)
    assert (status["counts"]["succeeded"], status["counts"]["pending"]) == (0, 1)
    assert len(cluster.records()) == 1  # the run's record stays
    bad = cluster.cli("queue", "prune", "--older-than", "soon")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: --older-than: 'soon' is not an age (use 30m, 12h, 7d or 2w)"
