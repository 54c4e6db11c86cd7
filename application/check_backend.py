"""Check an image backend: what it serves and, when asked, that it really generates."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from domain.backend_report import BackendReport, GenerationProbe
from domain.config import PipelineConfig, Txt2ImgStage
from domain.ports import BackendInspector, Clock, ImageBackend, RunScoped
from domain.timefmt import duration_ms

PROBE_SIZE = 64
PROBE_PROMPT = "stablenew backend check"


@dataclass(frozen=True, slots=True)
class BackendCheck:
    report: BackendReport
    generation: GenerationProbe | None


class CheckBackend:
    """Reads the backend's report and, with ``generate``, makes one 64x64 one-step image with its
    current (or first) model, first sampler and first scheduler; A1111 and Forge tell their version
    only with a generation."""

    def __init__(self, backend: ImageBackend, clock: Clock) -> None:
        self._backend = backend
        self._clock = clock

    def __call__(self, *, generate: bool = False) -> BackendCheck:
        report = self._report()
        if not generate:
            return BackendCheck(report, None)
        probe = self._probe(
            report.samplers[0] if report.samplers else "Euler a",
            report.schedulers[0] if report.schedulers else "",
        )
        report = replace(
            report,
            version=probe.version or report.version,
            current_model=report.current_model or probe.model,
        )
        return BackendCheck(report, probe)

    def _report(self) -> BackendReport:
        if isinstance(self._backend, BackendInspector):
            return self._backend.report()
        info = self._backend.describe()
        return BackendReport(info.kind, info.version, info.model, (), (), None, ())

    def _probe(self, sampler: str, scheduler: str) -> GenerationProbe:
        """The backend's first sampler and scheduler, as it names them, so any backend takes them."""
        config = PipelineConfig(
            prompt=PROBE_PROMPT,
            sampler=sampler,
            scheduler=scheduler,
            steps=1,
            width=PROBE_SIZE,
            height=PROBE_SIZE,
            seed=1,
            stages=(Txt2ImgStage(),),
        )
        if isinstance(self._backend, RunScoped):
            self._backend.begin_run(f"backend-check-{uuid.uuid4().hex}")
        started = self._clock.now()
        output = self._backend.txt2img(config)
        finished = self._clock.now()
        image = output.images[0]
        return GenerationProbe(
            width=image.width,
            height=image.height,
            seed=image.seed,
            sampler=str(output.resolved.get("sampler") or sampler),
            steps=config.steps,
            duration_ms=duration_ms(started, finished),
            model=output.backend.model,
            version=output.backend.version,
        )
