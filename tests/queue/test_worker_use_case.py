"""RunWorker, SubmitRun and QueuePlan in one process, on the in-memory queue and the fake backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adapters.backends.fake import FakeImageBackend
from adapters.job_queue.memory import InMemoryJobQueue
from application.job_payload import run_payload
from application.queue_jobs import SubmitRun
from application.worker import RunWorker, WorkerPolicy, listened_queues
from domain.config import PipelineConfig
from domain.jobs import DEFAULT_QUEUE, INTERACTIVE_PRIORITY, JobRequest, JobState
from domain.record import LearningRecord
from tests.fakes import FakeClock, InMemoryArtifactStore, InMemoryRecordSink

POLICY = WorkerPolicy(heartbeat=0.05, stalled_after=0.25, max_attempts=2, poll=0.05)


def _config(prompt: str = "a lighthouse", model: str = "fake-a") -> PipelineConfig:
    return PipelineConfig(prompt=prompt, model=model, width=64, height=64, steps=1)


def _worker(
    queue: InMemoryJobQueue, sink: InMemoryRecordSink, **backend: object
) -> tuple[RunWorker, Callable[[str], LearningRecord | None]]:
    def find(run_id: str) -> LearningRecord | None:
        return next((r for r in sink.records if r.run_id == run_id), None)

    worker = RunWorker(
        queue,
        FakeImageBackend(models=("fake-a",), **backend),  # type: ignore[arg-type]
        InMemoryArtifactStore(),
        FakeClock(),
        sink,
        find,
        POLICY,
    )
    return worker, find


def test_a_worker_runs_a_submitted_job_records_it_with_its_run_id_and_worker() -> None:
    queue, sink = InMemoryJobQueue(), InMemoryRecordSink()
    submitted = SubmitRun(queue, lambda: "run-1")(_config())
    worker, _ = _worker(queue, sink)
    report = worker("alpha", ("fake-a",), stop=lambda: False, max_jobs=1)
    assert [o.status for o in report.outcomes] == ["succeeded"]
    assert [r.run_id for r in sink.records] == [submitted.run_id]
    assert sink.records[0].metadata["queue"] == {
        "job_id": submitted.job_id,
        "queue": "fake-a",
        "worker": "alpha",
    }
    assert queue.status().total(JobState.SUCCEEDED) == 1


def test_a_job_whose_record_exists_ends_as_a_duplicate_without_running_again() -> None:
    queue, sink = InMemoryJobQueue(), InMemoryRecordSink()
    SubmitRun(queue, lambda: "run-1")(_config())
    worker, _ = _worker(queue, sink)
    worker("alpha", ("fake-a",), stop=lambda: False, max_jobs=1)
    queue.submit(JobRequest("fake-a", "run-1", run_payload(_config())))  # the same run again
    report = worker("alpha", ("fake-a",), stop=lambda: False, max_jobs=1)
    assert [o.status for o in report.outcomes] == ["duplicate"]
    assert len(sink.records) == 1
    assert queue.status().total(JobState.SUCCEEDED) == 2


def test_a_failed_run_fails_its_job_with_the_error_and_the_worker_goes_on() -> None:
    queue, sink = InMemoryJobQueue(), InMemoryRecordSink()
    SubmitRun(queue, lambda: "bad")(
        _config(model="fake-a").__class__(prompt="x", model="fake-a", sampler="Nope")
    )
    SubmitRun(queue, lambda: "good")(_config())
    worker, _ = _worker(queue, sink)
    report = worker("alpha", ("fake-a",), stop=lambda: False, max_jobs=2)
    assert sorted(o.status for o in report.outcomes) == ["failed", "succeeded"]
    failure = queue.status().failures[0]
    assert failure.run_id == "bad"
    assert "Nope" in failure.reason


def test_a_payload_that_cannot_run_fails_its_job_with_one_line() -> None:
    queue, sink = InMemoryJobQueue(), InMemoryRecordSink()
    queue.submit(JobRequest("fake-a", "r", {"config": {"prompt": "x", "steps": -3}}))
    worker, _ = _worker(queue, sink)
    report = worker("alpha", ("fake-a",), stop=lambda: False, max_jobs=1)
    assert report.outcomes[0].status == "failed"
    assert "steps" in (report.outcomes[0].reason or "")
    assert sink.records == []


def test_stop_lets_the_running_job_finish_then_the_worker_returns() -> None:
    queue, sink = InMemoryJobQueue(), InMemoryRecordSink()
    for n in range(3):
        SubmitRun(queue, lambda n=n: f"run-{n}")(_config())  # type: ignore[misc]
    worker, _ = _worker(queue, sink)
    asked: list[bool] = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) > 1  # asked once before the first job, then again after it

    report = worker("alpha", ("fake-a",), stop=stop)
    assert [o.status for o in report.outcomes] == ["succeeded"]
    assert queue.status().total(JobState.PENDING) == 2


def test_ctrl_c_during_a_job_hands_it_back() -> None:
    queue, sink = InMemoryJobQueue(), InMemoryRecordSink()
    SubmitRun(queue, lambda: "run-1")(_config())

    def interrupted(run_id: str) -> LearningRecord | None:
        raise KeyboardInterrupt

    worker = RunWorker(
        queue,
        FakeImageBackend(models=("fake-a",)),
        InMemoryArtifactStore(),
        FakeClock(),
        sink,
        interrupted,
        POLICY,
    )
    with pytest.raises(KeyboardInterrupt):
        worker("alpha", ("fake-a",), stop=lambda: False)
    assert queue.status().total(JobState.PENDING, "fake-a") == 1
    assert queue.status().workers == ()


def test_submit_is_interactive_and_goes_to_its_models_queue() -> None:
    queue = InMemoryJobQueue()
    SubmitRun(queue, lambda: "r1")(_config(model=""))
    pending = queue.status().pending[0]
    assert (pending.queue, pending.priority) == (DEFAULT_QUEUE, INTERACTIVE_PRIORITY)


def test_a_worker_listens_to_its_backends_models_and_the_default_queue() -> None:
    backend = FakeImageBackend(models=("fake-b", "fake-a"))
    assert listened_queues(backend) == ("fake-b", "fake-a", DEFAULT_QUEUE)


def test_stalled_after_below_five_heartbeats_is_refused() -> None:
    with pytest.raises(ValueError, match="5 times"):
        WorkerPolicy(heartbeat=10, stalled_after=49)


def test_queueing_a_plan_twice_adds_nothing_and_done_cells_are_never_queued(tmp_path: Path) -> None:
    from adapters.plans.plan_file import load_plan_source
    from application.queue_jobs import QueuePlan
    from tests.queue.cluster import plan_text

    path = tmp_path / "plan.toml"
    path.write_text(plan_text("twice", ["fake-a"], seeds=3))
    plan = load_plan_source(path).plan
    queue, sink = InMemoryJobQueue(), InMemoryRecordSink()
    reader = _Reader(sink)
    first = QueuePlan(queue, reader, reader)(plan, {})
    again = QueuePlan(queue, reader, reader)(plan, {})
    assert (first.new, again.new, len(again.queued)) == (3, 0, 3)
    worker, _ = _worker(queue, sink)
    worker("alpha", ("fake-a",), stop=lambda: False, max_jobs=3)
    done = QueuePlan(queue, reader, reader)(plan, {})
    assert (done.done_before, len(done.queued)) == (3, 0)
    assert all(record.metadata["plan"]["cell"] for record in sink.records)


class _Reader:
    """An in-memory sink's records, and the plans' journal of them (its records with a plan id)."""

    def __init__(self, sink: InMemoryRecordSink) -> None:
        self._sink = sink

    def plan_records(self, *, newest_first: bool = False) -> Iterator[LearningRecord]:
        records = [record for record in self._sink.records if record.plan_id]
        return iter(records[::-1] if newest_first else records)

    def iter_records(self, **_: object) -> Iterator[LearningRecord]:
        return iter(list(self._sink.records))


def test_a_payload_without_a_config_fails_its_job_and_the_worker_goes_on() -> None:
    queue, sink = InMemoryJobQueue(), InMemoryRecordSink()
    queue.submit(JobRequest("fake-a", "r0", {"nothing": 1}))
    SubmitRun(queue, lambda: "r1")(_config())
    worker, _ = _worker(queue, sink)
    report = worker("alpha", ("fake-a",), stop=lambda: False, max_jobs=2)
    outcomes = {o.job.run_id: o for o in report.outcomes}
    assert (outcomes["r0"].status, outcomes["r1"].status) == ("failed", "succeeded")
    assert "KeyError" in (outcomes["r0"].reason or "")
