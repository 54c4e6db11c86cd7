"""PipelineController: the entry point that owns the learning decision."""

from __future__ import annotations

from collections.abc import Callable

from application.runner import PipelineRunner, RunObserver, new_run_id
from domain.config import PipelineConfig
from domain.ports import ArtifactStore, Clock, ImageBackend, RecordSink, SinkFactory
from domain.run import PipelineRunResult, RunContext


class PipelineController:
    """Runs pipelines and decides whether they are learned from.

    Learning is off unless asked for and can be switched at run time. The sink comes from
    ``sink_factory``, which is called only when a run happens with learning on (once; the sink
    is then kept), and never otherwise: a disabled controller behaves exactly like a runner
    built with no learning at all.
    """

    def __init__(
        self,
        backend: ImageBackend,
        artifacts: ArtifactStore,
        clock: Clock,
        sink_factory: SinkFactory,
        *,
        learning_enabled: bool = False,
        record_failures: bool = False,
        run_ids: Callable[[], str] = new_run_id,
    ) -> None:
        self._backend = backend
        self._artifacts = artifacts
        self._clock = clock
        self._sink_factory = sink_factory
        self._sink: RecordSink | None = None
        self.learning_enabled = learning_enabled
        self._record_failures = record_failures
        self._run_ids = run_ids

    def run(
        self,
        config: PipelineConfig,
        context: RunContext | None = None,
        *,
        observer: RunObserver | None = None,
    ) -> PipelineRunResult:
        runner = PipelineRunner(
            self._backend,
            self._artifacts,
            self._clock,
            self._current_sink(),
            record_failures=self._record_failures,
            run_ids=self._run_ids,
        )
        return runner.run(config, context, observer=observer)

    def _current_sink(self) -> RecordSink | None:
        if not self.learning_enabled:
            return None
        if self._sink is None:
            self._sink = self._sink_factory()
        return self._sink
