"""A 200-cell plan fanned out over 4 real worker processes on the fake backend, through a real
PostgreSQL queue and into the shared history (learning.sink = "postgres"): every cell runs once,
where its model is, and no output shows the password."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from adapters.postgres.database import PostgresDatabase
from adapters.postgres.record_store import PostgresRecordStore
from domain.jobs import JobState
from tests.postgres_server import password_of
from tests.queue.cluster import Cluster, all_done, plan_text

pytestmark = pytest.mark.slow

MODELS = {"w1": ("fake-a",), "w2": ("fake-b",), "w3": ("fake-a", "fake-b"), "w4": ("fake-b", "fake-a")}


def test_a_200_cell_plan_runs_once_per_cell_over_4_workers(tmp_path: Path, postgres_dsn: str) -> None:
    cluster = Cluster(tmp_path, postgres_dsn, latency=0.02, sink="postgres")
    (tmp_path / "plan.toml").write_text(plan_text("fan-out", ["fake-a", "fake-b"], seeds=100))
    try:
        for name, models in MODELS.items():
            cluster.start(name, models)
        cluster.wait_registered(4)
        queued = cluster.cli("plan", "run", "plan.toml", "--queue")
        assert queued.returncode == 0, queued.stderr
        assert "200 cell(s) queued" in queued.stdout
        status = cluster.wait_for(all_done(200), what="200 finished jobs")
        again = cluster.cli("plan", "run", "plan.toml", "--queue")  # a cell done anywhere is done
        shown = cluster.cli("queue", "status")
    finally:
        cluster.stop_all()
    assert status.total(JobState.SUCCEEDED) == 200
    assert status.total(JobState.FAILED) == 0
    records = cluster.records()
    assert len(records) == 200
    assert len({record["run_id"] for record in records}) == 200
    by_worker = Counter(record["metadata"]["queue"]["worker"] for record in records)
    assert set(by_worker) == set(MODELS), by_worker
    for record in records:
        assert record["config"]["model"] in MODELS[record["metadata"]["queue"]["worker"]]
        assert record["backend"]["model"] == record["config"]["model"]
    shared = PostgresRecordStore(PostgresDatabase(postgres_dsn))
    assert shared.run_ids() == {record["run_id"] for record in records}
    assert again.returncode == 0
    assert "0 cell(s) queued" in again.stdout
    assert "200 done before" in again.stdout
    assert "200 succeeded" in shown.stdout
    password = password_of(postgres_dsn)
    assert password
    assert password not in cluster.logs()
    assert password not in cluster.records_path.read_text()
