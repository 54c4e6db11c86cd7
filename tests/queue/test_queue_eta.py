"""The ETA of queued jobs from recorded stage timings per worker and model (domain/queue_eta.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.queue_eta import QueuedWork, QueueWorker, StageMedians, StageSample, queue_eta
from domain.record import LearningRecord


def _samples() -> list[StageSample]:
    return [
        StageSample("fast", "m1", "txt2img", 1000),
        StageSample("fast", "m1", "txt2img", 3000),  # median 2 s
        StageSample("slow", "m1", "txt2img", 8000),
        StageSample(None, "m2", "txt2img", 5000),  # no worker: the model's timing on any machine
        StageSample(None, "m2", "upscale", 1000),
    ]


def test_each_job_goes_to_the_worker_that_finishes_it_first() -> None:
    workers = [QueueWorker("fast", ("m1",)), QueueWorker("slow", ("m1",))]
    eta = queue_eta([QueuedWork("m1", ("txt2img",))] * 5, workers, StageMedians(_samples()))
    # fast takes 2 s a job, slow 8 s: fast does 4 (8 s), slow 1 (8 s)
    assert eta.seconds == pytest.approx(8.0)
    assert (eta.timed, eta.untimed) == (5, 0)
    assert dict(eta.per_worker) == {"fast": pytest.approx(8.0), "slow": pytest.approx(8.0)}


def test_a_worker_without_its_own_timing_uses_the_models_then_the_stages() -> None:
    medians = StageMedians(_samples())
    assert medians.seconds("anyone", QueuedWork("m2", ("txt2img", "upscale"))) == pytest.approx(6.0)
    # no m3 timing anywhere: the txt2img median of every model (1, 3, 8, 5 s)
    assert medians.seconds("anyone", QueuedWork("m3", ("txt2img",))) == pytest.approx(4.0)
    assert medians.seconds("anyone", QueuedWork("m1", ("img2img",))) is None


def test_jobs_no_worker_listens_for_or_without_timings_are_untimed() -> None:
    workers = [QueueWorker("fast", ("m1",))]
    work = [QueuedWork("m1", ("txt2img",)), QueuedWork("m9", ("txt2img",)), QueuedWork("m1", ("img2img",))]
    eta = queue_eta(work, workers, StageMedians(_samples()))
    assert (eta.seconds, eta.timed, eta.untimed) == (pytest.approx(2.0), 1, 2)


def test_no_workers_or_no_work_gives_no_seconds() -> None:
    assert queue_eta([QueuedWork("m1", ("txt2img",))], [], StageMedians(_samples())).seconds is None
    assert queue_eta([], [QueueWorker("fast", ("m1",))], StageMedians(_samples())).seconds is None


def test_the_eta_is_timed_by_the_newest_runs_of_the_history_only() -> None:
    from dataclasses import replace

    from application.queue_jobs import TIMED_RUNS, estimate
    from domain.jobs import QueueStatus, WorkerInfo
    from domain.run import StageEvent, StageStatus
    from tests.factories import make_record

    def run(number: int, milliseconds: int) -> LearningRecord:
        event = StageEvent("txt2img", StageStatus.SUCCEEDED, duration_ms=milliseconds)
        return replace(make_record(f"run{number:06d}"), stage_events=(event,))

    old = [run(number, 60_000) for number in range(TIMED_RUNS)]  # a slower machine, long ago
    new = [run(TIMED_RUNS + number, 2_000) for number in range(TIMED_RUNS)]

    class Records:
        def iter_records(self, *, newest_first: bool = False, **_: object) -> Iterator[LearningRecord]:
            every = old + new
            return iter(every[::-1] if newest_first else every)

    status = QueueStatus((), (WorkerInfo("w1", "gpu-1", ("fake-model-v1",), 1.0),))
    eta = estimate(status, Records(), [QueuedWork("fake-model-v1", ("txt2img",))] * 3)
    assert eta.seconds == pytest.approx(6.0)  # 3 jobs of the newest runs' 2 s, not 60 s
