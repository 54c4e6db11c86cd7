"""Turn a finished run into its LearningRecord: pure, so the same inputs give an equal record."""

from __future__ import annotations

from domain.config import PipelineConfig
from domain.images import BackendInfo
from domain.record import LearningRecord, RunMetrics
from domain.run import PipelineRunResult, RunContext
from domain.timefmt import duration_ms, format_timestamp


def build_learning_record(
    config: PipelineConfig, result: PipelineRunResult, context: RunContext | None = None
) -> LearningRecord:
    """The record of ``result``, run with ``config``; reads no clock, file or environment.

    ``context`` places the run in an active-learning plan; its metadata is merged over the
    config's metadata. Values JSON cannot represent are refused later, by the sink, before any
    byte is written.
    """
    context = context or RunContext()
    return LearningRecord(
        run_id=result.run_id,
        plan_id=context.plan_id,
        variant_index=context.variant_index,
        timestamp=format_timestamp(result.started_at),
        status=str(result.status),
        prompt_pack_id=config.prompt_pack_id,
        prompt_id=config.prompt_id,
        stage_plan=config.stage_plan,
        stages_executed=result.stages_executed,
        config=config.to_dict(),
        stage_events=result.stage_events,
        outputs=result.artifacts,
        metrics=RunMetrics(
            total_duration_ms=duration_ms(result.started_at, result.finished_at),
            image_count=len(result.artifacts),
        ),
        backend=result.backend or BackendInfo(kind="unknown"),
        resolved=result.resolved,
        metadata={**config.metadata, **context.metadata},
    )
