"""The ETA of queued jobs from recorded stage timings per worker and model (domain/queue_eta.py)."""

from __future__ import annotations

import pytest

from domain.queue_eta import QueuedWork, QueueWorker, StageMedians, StageSample, queue_eta


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
