"""PipelineRunner: run the stages in order through the ports and, if asked, record the run."""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from application.progress_poller import ProgressObserver, ProgressPoller
from application.record_builder import build_learning_record
from domain.config import Img2ImgStage, PipelineConfig, StageSpec, Txt2ImgStage, UpscaleStage
from domain.errors import BackendError, GenerationInterrupted, StableNewError
from domain.images import BackendInfo, ImageArtifact, ImageData, StageOutput
from domain.ports import ArtifactStore, Clock, ImageBackend, ProgressReporter, RecordSink, RunScoped
from domain.run import (
    LearningOutcome,
    PipelineRunResult,
    RunContext,
    RunStatus,
    StageEvent,
    StageStatus,
)
from domain.timefmt import duration_ms

logger = logging.getLogger(__name__)


class RunObserver(Protocol):
    """Hears about a run while it works (a CLI shows progress with it). An observer that is also a
    ``ProgressObserver`` hears how far each stage is, when the backend is a ``ProgressReporter``."""

    def stage_started(self, stage: str) -> None: ...

    def stage_finished(self, event: StageEvent) -> None: ...


class _Silent:
    def stage_started(self, stage: str) -> None:
        pass

    def stage_finished(self, event: StageEvent) -> None:
        pass


def new_run_id() -> str:
    return uuid.uuid4().hex


@dataclass
class _Progress:
    """The mutable state of one run while its stages execute."""

    images: tuple[ImageData, ...] = ()
    events: list[StageEvent] = field(default_factory=list)
    artifacts: list[ImageArtifact] = field(default_factory=list)
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)
    backend: BackendInfo | None = None
    status: RunStatus = RunStatus.SUCCEEDED
    error: str | None = None
    retryable: bool = False


class PipelineRunner:
    """Runs a pipeline's stages in order; each later stage takes the previous stage's images.

    Rules: the backend checks the whole config before any stage runs (``prepare``); a refusal
    fails the stage it concerns, unrun, and skips the others. Then a StageEvent per planned stage,
    timed by the injected clock; the first failing stage is marked failed with its error and
    later stages skipped. With a sink, a successful run
    (or, with ``record_failures``, any run) is recorded exactly once; a failure to build or
    append the record is logged at WARNING with the run_id, reported in ``result.learning``
    and never fails the run. With no sink the runner behaves as if learning did not exist.
    """

    def __init__(
        self,
        backend: ImageBackend,
        artifacts: ArtifactStore,
        clock: Clock,
        sink: RecordSink | None = None,
        *,
        record_failures: bool = False,
        run_ids: Callable[[], str] = new_run_id,
    ) -> None:
        self._backend = backend
        self._artifacts = artifacts
        self._clock = clock
        self._sink = sink
        self._record_failures = record_failures
        self._run_ids = run_ids

    def run(
        self,
        config: PipelineConfig,
        context: RunContext | None = None,
        *,
        observer: RunObserver | None = None,
    ) -> PipelineRunResult:
        """Run ``config`` to the end or to its first failing stage; ``observer`` hears each stage."""
        observer = observer or _Silent()
        run_id = self._run_ids()
        if isinstance(self._backend, RunScoped):
            self._backend.begin_run(run_id)
        started_at = self._clock.now()
        progress = _Progress()
        refusal = self._preflight(config, progress)
        for stage in config.stages:
            if refusal is not None and refusal.stage == stage.name:
                progress.events.append(refusal)
                observer.stage_finished(refusal)
                continue
            if progress.status is not RunStatus.SUCCEEDED:
                progress.events.append(StageEvent(stage=stage.name, status=StageStatus.SKIPPED))
                continue
            observer.stage_started(stage.name)
            with self._progress_of(stage.name, observer):
                event = self._run_stage(run_id, config, stage, progress)
            progress.events.append(event)
            observer.stage_finished(event)
        result = PipelineRunResult(
            run_id=run_id,
            status=progress.status,
            config=config,
            started_at=started_at,
            finished_at=self._clock.now(),
            stage_events=tuple(progress.events),
            artifacts=tuple(progress.artifacts),
            backend=progress.backend,
            resolved=progress.resolved,
            error=progress.error,
            retryable=progress.retryable,
        )
        if self._sink is None:
            return result
        return replace(result, learning=self._learn(config, result, context))

    def _progress_of(self, stage: str, observer: RunObserver) -> AbstractContextManager[object]:
        """Progress polled from the backend while ``stage`` runs, when both sides can take part."""
        if isinstance(self._backend, ProgressReporter) and isinstance(observer, ProgressObserver):
            return ProgressPoller(self._backend, observer, stage)
        return nullcontext()

    def _preflight(self, config: PipelineConfig, progress: _Progress) -> StageEvent | None:
        """The backend's check of every name before anything is generated; a refusal comes back as
        the failed event of the stage it concerns (the first stage unless the error names one)."""
        started = self._clock.now()
        try:
            self._backend.prepare(config)
        except (Exception, KeyboardInterrupt) as exc:
            names = [stage.name for stage in config.stages]
            blamed = exc.stage if isinstance(exc, BackendError) and exc.stage in names else names[0]
            return self._failed(blamed, exc, started, progress)
        return None

    def _run_stage(
        self, run_id: str, config: PipelineConfig, stage: StageSpec, progress: _Progress
    ) -> StageEvent:
        started = self._clock.now()
        try:
            outputs = self._call_backend(config, stage, progress.images)
            saved = [
                self._save(run_id, stage.name, index, image) for index, image in enumerate(_images(outputs))
            ]
        except (Exception, KeyboardInterrupt) as exc:  # a failing stage ends the run, never the process
            return self._failed(stage.name, exc, started, progress)
        progress.images = tuple(_images(outputs))
        progress.artifacts.extend(saved)
        progress.backend = outputs[-1].backend if outputs else progress.backend
        progress.resolved[stage.name] = dict(outputs[0].resolved) if outputs else {}
        return self._event(stage.name, StageStatus.SUCCEEDED, started, image_count=len(saved))

    def _call_backend(
        self, config: PipelineConfig, stage: StageSpec, inputs: tuple[ImageData, ...]
    ) -> list[StageOutput]:
        if isinstance(stage, Txt2ImgStage):
            return [self._backend.txt2img(config)]
        if isinstance(stage, Img2ImgStage):
            if not inputs:
                inputs = tuple(self._artifacts.load(path) for path in stage.init_images)
            return [self._backend.img2img(config, image, stage.denoising_strength) for image in inputs]
        if isinstance(stage, UpscaleStage):
            return [self._backend.upscale(image, stage.upscaler, stage.scale) for image in inputs]
        raise AssertionError(f"unhandled stage {stage!r}")  # PipelineConfig admits no other stage

    def _save(self, run_id: str, stage: str, index: int, image: ImageData) -> ImageArtifact:
        path = self._artifacts.save(run_id, stage, index, image.data)
        return ImageArtifact(
            stage=stage,
            index=index,
            path=path,
            width=image.width,
            height=image.height,
            seed=image.seed,
            sha256=hashlib.sha256(image.data).hexdigest(),
        )

    def _failed(self, stage: str, exc: BaseException, started: datetime, progress: _Progress) -> StageEvent:
        """The event of a stage that raised, with the run's status and error set to match."""
        if isinstance(exc, (GenerationInterrupted, KeyboardInterrupt)):
            reason = str(exc) or "interrupted"
            progress.status, progress.error = RunStatus.INTERRUPTED, f"{stage}: {reason}"
            return self._event(stage, StageStatus.INTERRUPTED, started, error=reason)
        if isinstance(exc, (StableNewError, OSError)):
            reason = str(exc)
        else:
            logger.error("stage %s failed unexpectedly", stage, exc_info=exc)
            reason = f"{type(exc).__name__}: {exc}"
        progress.status, progress.error = RunStatus.FAILED, f"{stage}: {reason}"
        progress.retryable = isinstance(exc, BackendError) and exc.retryable
        return self._event(stage, StageStatus.FAILED, started, error=reason)

    def _event(
        self,
        stage: str,
        status: StageStatus,
        started: datetime,
        *,
        image_count: int = 0,
        error: str | None = None,
    ) -> StageEvent:
        finished = self._clock.now()
        return StageEvent(
            stage=stage,
            status=status,
            started_at=started,
            finished_at=finished,
            duration_ms=duration_ms(started, finished),
            image_count=image_count,
            error=error,
        )

    def _learn(
        self, config: PipelineConfig, result: PipelineRunResult, context: RunContext | None
    ) -> LearningOutcome:
        assert self._sink is not None
        if not (result.succeeded or self._record_failures):
            return LearningOutcome(enabled=True)
        try:
            self._sink.append_record(build_learning_record(config, result, context))
        except Exception as exc:  # a record must never fail the run it describes
            logger.warning("learning record for run %s was not stored: %s", result.run_id, exc)
            return LearningOutcome(enabled=True, error=str(exc))
        return LearningOutcome(enabled=True, recorded=True)


def _images(outputs: list[StageOutput]) -> list[ImageData]:
    return [image for output in outputs for image in output.images]
