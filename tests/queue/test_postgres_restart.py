"""PostgreSQL restarted while workers run a plan: they reconnect and the plan completes, each cell
recorded once; the outage's error lines never show the password."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.jobs import JobState
from tests.postgres_server import PostgresServer
from tests.queue.cluster import Cluster, all_done, plan_text

pytestmark = pytest.mark.slow


def test_workers_reconnect_after_a_restart_and_the_plan_completes(
    tmp_path: Path, private_postgres: PostgresServer
) -> None:
    cluster = Cluster(tmp_path, private_postgres.dsn, latency=0.1)
    (tmp_path / "plan.toml").write_text(plan_text("restart", ["fake-a", "fake-b"], seeds=20))
    try:
        cluster.start("w1", ("fake-a", "fake-b"))
        cluster.start("w2", ("fake-b", "fake-a"))
        cluster.wait_registered(2)
        assert cluster.cli("plan", "run", "plan.toml", "--queue").returncode == 0
        cluster.wait_for(lambda s: s.total(JobState.SUCCEEDED) >= 8, what="8 jobs done before the outage")
        private_postgres.stop()
        cluster.wait_for_log("the queue is unreachable")
        private_postgres.start()
        final = cluster.wait_for(all_done(40), what="40 finished jobs after the restart")
    finally:
        cluster.stop_all()
    assert final.total(JobState.SUCCEEDED) == 40
    records = cluster.records()
    assert len(records) == 40
    assert len({record["run_id"] for record in records}) == 40
    assert private_postgres.password not in cluster.logs()
