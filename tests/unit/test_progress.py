"""Progress while a stage generates: polled on a side thread, never told after the stage ended."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from adapters.backends.fake import FakeImageBackend
from adapters.clock import SystemClock
from adapters.storage.filesystem import FilesystemArtifactStore
from application.progress_poller import ProgressPoller
from application.runner import PipelineRunner
from domain import PipelineConfig, StageEvent, stages_from_names
from domain.run import StageProgress


class Reporter:
    def __init__(self) -> None:
        self.calls = 0

    def progress(self) -> StageProgress | None:
        self.calls += 1
        return StageProgress(min(1.0, self.calls / 10), self.calls, 10, 1.0)


class Heard:
    """Everything an observer is told, in order, with the thread that told it."""

    def __init__(self) -> None:
        self.told: list[tuple[str, str, object]] = []

    def stage_started(self, stage: str) -> None:
        self.told.append(("started", stage, threading.current_thread().name))

    def stage_progress(self, stage: str, progress: StageProgress) -> None:
        self.told.append(("progress", stage, progress))

    def stage_finished(self, event: StageEvent) -> None:
        self.told.append(("finished", event.stage, event.status))


def test_the_poller_tells_progress_while_the_block_runs_and_never_after() -> None:
    reporter, heard = Reporter(), Heard()
    with ProgressPoller(reporter, heard, "txt2img", interval=0.02):
        time.sleep(0.3)
    told = len(heard.told)
    calls = reporter.calls
    time.sleep(0.2)
    assert told >= 3
    assert (len(heard.told), reporter.calls) == (told, calls)
    assert all(kind == "progress" and stage == "txt2img" for kind, stage, _p in heard.told)


def test_a_run_on_the_slow_fake_backend_reports_each_generating_stage_before_it_ends(tmp_path: Path) -> None:
    runner = PipelineRunner(FakeImageBackend(latency=0.6), FilesystemArtifactStore(tmp_path), SystemClock())
    heard = Heard()
    config = PipelineConfig(prompt="a lighthouse", steps=20, stages=stages_from_names("txt2img,upscale"))
    result = runner.run(config, observer=heard)
    assert result.succeeded
    for stage in ("txt2img", "upscale"):
        kinds = [kind for kind, name, _x in heard.told if name == stage]
        assert kinds[0] == "started"
        assert kinds[-1] == "finished"
        assert kinds.count("finished") == 1
        assert "progress" in kinds  # told while it slept, between started and finished
    fractions = [p.fraction for kind, name, p in heard.told if kind == "progress" and name == "txt2img"]
    assert fractions == sorted(fractions)
    assert all(0 < f <= 1 for f in fractions)
    steps = [p.steps for kind, name, p in heard.told if kind == "progress" and name == "txt2img"]
    assert set(steps) == {20}


def test_an_observer_without_progress_is_not_polled(tmp_path: Path) -> None:
    class Plain:
        def __init__(self) -> None:
            self.stages: list[str] = []

        def stage_started(self, stage: str) -> None:
            self.stages.append(stage)

        def stage_finished(self, event: StageEvent) -> None:
            pass

    backend = FakeImageBackend(latency=0.2)
    polled: list[object] = []
    backend.progress = lambda: polled.append(1)  # type: ignore[method-assign]
    runner = PipelineRunner(backend, FilesystemArtifactStore(tmp_path), SystemClock())
    observer = Plain()
    assert runner.run(PipelineConfig(prompt="x"), observer=observer).succeeded
    assert (observer.stages, polled) == (["txt2img"], [])


def test_the_fake_backend_says_nothing_when_idle() -> None:
    assert FakeImageBackend(latency=0.5).progress() is None
