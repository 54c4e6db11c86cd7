from __future__ import annotations

import logging
from dataclasses import replace
from itertools import count
from typing import Any

import pytest

from adapters.backends.fake import FakeImageBackend
from application import PipelineRunner
from domain import (
    LearningRecord,
    RecordSerializationError,
    RecordSink,
    RunStatus,
    StageEvent,
    StageStatus,
    Txt2ImgStage,
    UpscaleStage,
    stages_from_names,
)
from tests.factories import make_config
from tests.fakes import FailingRecordSink, FakeClock, InMemoryArtifactStore, InMemoryRecordSink

THREE_STAGES = stages_from_names("txt2img,img2img,upscale")


def make_runner(sink: RecordSink | None = None, **backend: Any) -> PipelineRunner:
    ids = count(1)
    return PipelineRunner(
        FakeImageBackend(**backend),
        InMemoryArtifactStore(),
        FakeClock(),
        sink,
        run_ids=lambda: f"run-{next(ids)}",
    )


def test_stages_run_in_order_each_taking_the_previous_images() -> None:
    result = make_runner().run(make_config(stages=THREE_STAGES, batch_size=2, width=256, height=320))
    assert result.status is RunStatus.SUCCEEDED
    assert [e.stage for e in result.stage_events] == ["txt2img", "img2img", "upscale"]
    assert all(e.status is StageStatus.SUCCEEDED for e in result.stage_events)
    sizes = [(a.stage, a.width, a.height) for a in result.artifacts]
    assert sizes == [("txt2img", 256, 320)] * 2 + [("img2img", 256, 320)] * 2 + [("upscale", 512, 640)] * 2
    assert [e.image_count for e in result.stage_events] == [2, 2, 2]


def test_stage_events_are_timed_by_the_injected_clock() -> None:
    result = make_runner().run(make_config(stages=THREE_STAGES))
    for event in result.stage_events:
        assert event.started_at is not None
        assert event.finished_at is not None
        assert event.duration_ms == 250  # FakeClock steps 250 ms between readings
    assert result.started_at < result.stage_events[0].started_at  # type: ignore[operator]


def test_first_failing_stage_stops_the_run_and_later_ones_are_skipped() -> None:
    sink = InMemoryRecordSink()
    result = make_runner(sink, fail_stage="img2img").run(make_config(stages=THREE_STAGES))
    assert result.status is RunStatus.FAILED
    statuses = [(e.stage, e.status) for e in result.stage_events]
    assert statuses == [("txt2img", "succeeded"), ("img2img", "failed"), ("upscale", "skipped")]
    failed = result.stage_events[1]
    assert failed.error
    assert "img2img" in failed.error
    assert result.stage_events[2].started_at is None
    assert result.error
    assert result.error.startswith("img2img:")
    assert sink.records == []  # failure recording is off by default


def test_failed_runs_are_recorded_when_asked() -> None:
    sink = InMemoryRecordSink()
    backend = FakeImageBackend(fail_stage="upscale")
    runner = PipelineRunner(backend, InMemoryArtifactStore(), FakeClock(), sink, record_failures=True)
    result = runner.run(make_config())
    assert result.learning.recorded
    assert [r.status for r in sink.records] == ["failed"]
    assert sink.records[0].stages_executed == ("txt2img", "upscale")


def test_one_record_per_successful_run_when_learning_is_on() -> None:
    sink = InMemoryRecordSink()
    runner = make_runner(sink)
    first = runner.run(make_config(seed=1))
    second = runner.run(make_config(seed=2))
    assert [r.run_id for r in sink.records] == [first.run_id, second.run_id]
    assert first.learning.enabled
    assert first.learning.recorded
    assert first.learning.error is None
    record = sink.records[0]
    assert record.outputs == first.artifacts
    assert record.resolved["txt2img"]["seed"] == 1
    assert record.backend.kind == "fake"


def test_no_sink_means_no_learning_at_all() -> None:
    result = make_runner().run(make_config())
    assert result.learning.enabled is False
    assert result.learning.recorded is False


def test_disabled_learning_equals_a_runner_without_learning_code() -> None:
    with_no_sink = make_runner().run(make_config(seed=9))
    again = make_runner(None).run(make_config(seed=9))
    assert with_no_sink == again


class _CountingSink:
    def __init__(self) -> None:
        self.calls: list[LearningRecord] = []

    def append_record(self, record: LearningRecord) -> None:
        self.calls.append(record)


def test_at_most_one_append_per_run() -> None:
    sink = _CountingSink()
    make_runner(sink).run(make_config(stages=THREE_STAGES, batch_size=3))
    assert len(sink.calls) == 1


@pytest.mark.parametrize(
    "error",
    [
        OSError(30, "Read-only file system"),
        RecordSerializationError("cannot store a set"),
        RuntimeError("boom"),
    ],
)
def test_sink_failure_never_fails_the_run(error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    sink = FailingRecordSink(error)
    with caplog.at_level(logging.WARNING):
        result = make_runner(sink).run(make_config())
    assert result.status is RunStatus.SUCCEEDED
    assert len(result.artifacts) == 2
    assert result.learning.enabled
    assert not result.learning.recorded
    assert result.learning.error == str(error)
    assert sink.calls == 1
    assert result.run_id in caplog.text
    assert caplog.records[-1].levelno == logging.WARNING


def test_builder_failure_never_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_builder(*args: object, **kwargs: object) -> LearningRecord:
        raise ValueError("cannot build")

    monkeypatch.setattr("application.runner.build_learning_record", broken_builder)
    sink = InMemoryRecordSink()
    result = make_runner(sink).run(make_config())
    assert result.succeeded
    assert result.learning.error == "cannot build"
    assert sink.records == []


def test_observer_hears_every_stage_start_and_end() -> None:
    heard: list[str] = []

    class Observer:
        def stage_started(self, stage: str) -> None:
            heard.append(f"start {stage}")

        def stage_finished(self, event: StageEvent) -> None:
            heard.append(f"end {event.stage} {event.status}")

    make_runner().run(make_config(stages=THREE_STAGES), observer=Observer())
    assert heard == [
        "start txt2img", "end txt2img succeeded", "start img2img", "end img2img succeeded",
        "start upscale", "end upscale succeeded",
    ]  # fmt: skip


def test_result_is_reported_with_learning_outcome_only() -> None:
    sink = InMemoryRecordSink()
    on = make_runner(sink).run(make_config(seed=4))
    off = make_runner().run(make_config(seed=4))
    assert replace(on, learning=off.learning) == off


class _BrokenBackend(FakeImageBackend):
    def upscale(self, *args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("bug in an adapter")


class _InterruptedBackend(FakeImageBackend):
    def img2img(self, *args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt


def test_an_unexpected_adapter_error_fails_the_stage_and_keeps_earlier_images(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = PipelineRunner(_BrokenBackend(), InMemoryArtifactStore(), FakeClock(), InMemoryRecordSink())
    result = runner.run(make_config())
    assert result.status is RunStatus.FAILED
    assert result.stage_events[-1].error == "ZeroDivisionError: bug in an adapter"
    assert [a.stage for a in result.artifacts] == ["txt2img"]
    assert "bug in an adapter" in caplog.text  # logged with its traceback for whoever debugs it


def test_ctrl_c_during_a_stage_ends_the_run_as_interrupted() -> None:
    sink = InMemoryRecordSink()
    runner = PipelineRunner(
        _InterruptedBackend(), InMemoryArtifactStore(), FakeClock(), sink, record_failures=True
    )
    result = runner.run(make_config(stages=THREE_STAGES))
    assert result.status is RunStatus.INTERRUPTED
    assert [e.status for e in result.stage_events] == ["succeeded", "interrupted", "skipped"]
    assert [r.status for r in sink.records] == ["interrupted"]


class CountingBackend(FakeImageBackend):
    """The fake backend, counting the generations asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.generations = 0

    def txt2img(self, config: Any) -> Any:
        self.generations += 1
        return super().txt2img(config)


def test_a_refused_upscaler_fails_the_upscale_stage_before_anything_is_generated() -> None:
    backend = CountingBackend()
    runner = PipelineRunner(backend, InMemoryArtifactStore(), FakeClock())
    stages = (Txt2ImgStage(), UpscaleStage(upscaler="nope"))

    result = runner.run(make_config(stages=stages))

    assert backend.generations == 0
    assert [(e.stage, e.status) for e in result.stage_events] == [
        ("txt2img", "skipped"),
        ("upscale", "failed"),
    ]
    assert result.error is not None
    assert result.error.startswith("upscale: unknown upscaler 'nope'; the backend offers: None, Lanczos")
    assert "did you mean" not in result.error


def test_a_refused_sampler_fails_the_first_stage_unrun() -> None:
    backend = CountingBackend()
    runner = PipelineRunner(backend, InMemoryArtifactStore(), FakeClock())

    result = runner.run(make_config(stages=THREE_STAGES, sampler="Euler b"))

    assert backend.generations == 0
    assert [(e.stage, e.status) for e in result.stage_events] == [
        ("txt2img", "failed"),
        ("img2img", "skipped"),
        ("upscale", "skipped"),
    ]
    assert result.error is not None
    assert "did you mean 'Euler a'" in result.error


class _RunScopedBackend(FakeImageBackend):
    def __init__(self) -> None:
        super().__init__()
        self.runs: list[str] = []

    def begin_run(self, run_id: str) -> None:
        self.runs.append(run_id)


def test_a_run_scoped_backend_hears_each_run_id_before_its_stages() -> None:
    backend = _RunScopedBackend()
    ids = count(1)
    runner = PipelineRunner(backend, InMemoryArtifactStore(), FakeClock(), run_ids=lambda: f"run-{next(ids)}")

    first = runner.run(make_config())
    second = runner.run(make_config())

    assert backend.runs == [first.run_id, second.run_id] == ["run-1", "run-2"]
