"""Ctrl-C on a real worker process: once, it finishes its job and exits 0; twice, the job goes back
to the queue at once and it exits 130."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from domain.jobs import JobState
from tests.queue.cluster import Cluster

pytestmark = pytest.mark.slow


def _submit(cluster: Cluster) -> str:
    result = cluster.cli(
        "submit", "-p", "a lighthouse", "--model", "fake-a", "--stages", "txt2img", "--width", "64",
        "--height", "64", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return str(json.loads(result.stdout)["job_id"])


def test_one_ctrl_c_finishes_the_job_then_stops(tmp_path: Path, postgres_dsn: str) -> None:
    cluster = Cluster(tmp_path, postgres_dsn, latency=3.0)
    job_id = _submit(cluster)
    worker = cluster.start("w1", ("fake-a",))
    try:
        cluster.wait_for(lambda s: s.total(JobState.RUNNING) == 1, what="the job running")
        worker.process.send_signal(signal.SIGINT)
        assert worker.process.wait(timeout=120) == 0
    finally:
        cluster.stop_all()
    status = cluster.status()
    assert status.total(JobState.SUCCEEDED) == 1
    assert len(cluster.records()) == 1
    assert f"job {job_id} run" in cluster.logs()
    assert "stopping after the current job" in cluster.logs()


def test_a_second_ctrl_c_hands_the_job_back(tmp_path: Path, postgres_dsn: str) -> None:
    cluster = Cluster(tmp_path, postgres_dsn, latency=30.0)
    _submit(cluster)
    worker = cluster.start("w1", ("fake-a",))
    try:
        cluster.wait_for(lambda s: s.total(JobState.RUNNING) == 1, what="the job running")
        worker.process.send_signal(signal.SIGINT)
        cluster.wait_for_log("stopping after the current job")
        worker.process.send_signal(signal.SIGINT)
        assert worker.process.wait(timeout=120) == 130
    finally:
        cluster.stop_all()
    status = cluster.status()
    assert status.total(JobState.PENDING) == 1
    assert status.total(JobState.RUNNING) == 0
    assert cluster.records() == []
    assert "handed back" in cluster.logs()
