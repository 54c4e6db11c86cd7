"""Workers killed with SIGKILL mid-job, between storing a record and finishing its job, and by a job
that kills every worker that runs it: nothing lost, nothing recorded twice."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from adapters.backends.fake import FakeImageBackend
from adapters.clock import SystemClock
from adapters.job_queue.procrastinate_queue import ProcrastinateJobQueue
from adapters.record_store.jsonl import JsonlRecordStore
from adapters.storage.filesystem import FilesystemArtifactStore
from application.worker import RunWorker, WorkerPolicy
from domain.jobs import Job, JobState, QueueStatus
from domain.record import LearningRecord
from tests.queue.cluster import HEARTBEAT, STALLED_AFTER, Cluster, all_done, plan_text

pytestmark = pytest.mark.slow

TRIALS = 5


def test_a_worker_killed_mid_job_has_its_job_rerun_elsewhere(tmp_path: Path, postgres_dsn: str) -> None:
    cluster = Cluster(tmp_path, postgres_dsn, latency=1.0)
    (tmp_path / "plan.toml").write_text(plan_text("kills", ["fake-a"], seeds=14))
    killed: set[str] = set()
    try:
        for n in (1, 2):
            cluster.start(f"w{n}", ("fake-a",))
        cluster.wait_registered(2)
        assert cluster.cli("plan", "run", "plan.toml", "--queue").returncode == 0
        for trial in range(TRIALS):
            status = cluster.wait_for(
                lambda s: _running_worker(s, killed) is not None, what=f"a running job (trial {trial})"
            )
            name = _running_worker(status, killed)
            victim = next(w for w in cluster.workers if w.name == name)
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait(timeout=60)
            killed.add(victim.name)
            cluster.workers.remove(victim)
            cluster.start(f"r{trial}", ("fake-a",))
        final = cluster.wait_for(all_done(14), what="14 finished jobs")
    finally:
        cluster.stop_all()
    assert final.total(JobState.SUCCEEDED) == 14
    records = cluster.records()
    assert len(records) == 14
    assert len({record["run_id"] for record in records}) == 14
    assert cluster.executions() <= 14 + TRIALS


def _running_worker(status: QueueStatus, killed: set[str]) -> str | None:
    return next(
        (
            count.worker
            for count in status.counts
            if count.state is JobState.RUNNING and count.worker and count.worker not in killed
        ),
        None,
    )


class _Died(BaseException):
    """The worker process "died" (its heartbeat stops; it never finishes the job)."""


class _DiesBeforeFinishing:
    """The queue as a worker sees it when killed right after storing the record."""

    def __init__(self, queue: ProcrastinateJobQueue) -> None:
        self._queue = queue

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)

    def succeed(self, job: Job) -> None:
        raise _Died

    def unregister_worker(self, worker_id: str) -> None:
        pass  # a killed process says no goodbye


def test_a_kill_between_the_record_and_the_jobs_end_finds_the_record(
    tmp_path: Path, postgres_dsn: str
) -> None:
    cluster = Cluster(tmp_path, postgres_dsn)
    submitted = cluster.cli(
        "submit", "-p", "a lighthouse", "--model", "fake-a", "--stages", "txt2img", "--width", "64",
        "--height", "64", "--json",
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    store = JsonlRecordStore(cluster.records_path)
    queue = ProcrastinateJobQueue(postgres_dsn)
    dying = RunWorker(
        _DiesBeforeFinishing(queue),  # type: ignore[arg-type]
        FakeImageBackend(models=("fake-a",)),
        FilesystemArtifactStore(tmp_path / "output"),
        SystemClock(),
        store,
        lambda run_id: _find(store, run_id),
        WorkerPolicy(HEARTBEAT, STALLED_AFTER, 3, 0.5),
    )
    with pytest.raises(_Died):
        dying("dying", ["fake-a"], stop=lambda: False, max_jobs=1)
    queue.close()
    assert [record["run_id"] for record in cluster.records()] == [job["run_id"]]
    try:
        cluster.start("w1", ("fake-a",))
        final = cluster.wait_for(all_done(1), what="the job to end")
    finally:
        cluster.stop_all()
    assert final.total(JobState.SUCCEEDED) == 1
    assert [record["run_id"] for record in cluster.records()] == [job["run_id"]]
    assert f"job {job['job_id']} run {job['run_id']}: duplicate" in cluster.logs()


def _find(store: JsonlRecordStore, run_id: str) -> LearningRecord | None:
    return next((record for record in store.iter_records() if record.run_id == run_id), None)


def test_a_job_that_always_kills_its_worker_fails_with_its_reason(tmp_path: Path, postgres_dsn: str) -> None:
    cluster = Cluster(tmp_path, postgres_dsn, kill_prompt="CRASH", max_attempts=2)
    (tmp_path / "plan.toml").write_text(plan_text("survivors", ["fake-a"], seeds=6))
    try:
        for n in (1, 2):
            cluster.start(f"w{n}", ("fake-a",))
        cluster.wait_registered(2)
        crash = cluster.cli(
            "submit", "-p", "CRASH the worker", "--model", "fake-a", "--stages", "txt2img", "--json"
        )
        assert crash.returncode == 0, crash.stderr
        assert cluster.cli("plan", "run", "plan.toml", "--queue").returncode == 0
        final = cluster.wait_for(all_done(7), what="7 finished jobs", on_poll=cluster.restart_dead)
        shown = cluster.cli("queue", "status")
    finally:
        cluster.stop_all()
    crash_job = json.loads(crash.stdout)["job_id"]
    assert final.total(JobState.SUCCEEDED) == 6
    assert [f.job_id for f in final.failures] == [crash_job]
    reason = final.failures[0].reason
    assert "failed for good" in reason
    assert "attempt 2 of 2" in reason
    assert cluster.kills >= 2
    records = cluster.records()
    assert len(records) == len({record["run_id"] for record in records}) == 6
    assert f"failed: job {crash_job} (fake-a): failed for good" in shown.stdout
