"""Builders of valid domain objects for tests; override any field by keyword."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain import (
    BackendInfo,
    ImageArtifact,
    LearningRecord,
    PipelineConfig,
    RunMetrics,
    StageEvent,
    StageStatus,
    stages_from_names,
)

T0 = datetime(2026, 11, 24, 9, 0, 0, 123000, tzinfo=UTC)


def make_config(**overrides: Any) -> PipelineConfig:
    values: dict[str, Any] = {
        "prompt": "a lighthouse at dusk",
        "negative_prompt": "blurry",
        "model": "fake-model-v1",
        "seed": 1234,
        "steps": 20,
        "stages": stages_from_names("txt2img,upscale"),
    }
    values.update(overrides)
    return PipelineConfig(**values)


def make_record(run_id: str = "run-0001", *, payload_bytes: int = 0, **overrides: Any) -> LearningRecord:
    """A complete, valid record; ``payload_bytes`` pads metadata to make large lines."""
    config = make_config()
    t1, t2 = T0 + timedelta(seconds=2), T0 + timedelta(seconds=3)
    events = (
        StageEvent("txt2img", StageStatus.SUCCEEDED, T0, t1, 2000, 1),
        StageEvent("upscale", StageStatus.SUCCEEDED, t1, t2, 1000, 1),
    )
    outputs = (
        ImageArtifact("txt2img", 0, f"output/{run_id}/txt2img_0.png", 512, 512, 1234, "a" * 64),
        ImageArtifact("upscale", 0, f"output/{run_id}/upscale_0.png", 1024, 1024, 1234, "b" * 64),
    )
    values: dict[str, Any] = {
        "run_id": run_id,
        "timestamp": "2026-11-24T09:00:00.123Z",
        "status": "succeeded",
        "stage_plan": config.stage_plan,
        "stages_executed": config.stage_plan,
        "config": config.to_dict(),
        "stage_events": events,
        "outputs": outputs,
        "metrics": RunMetrics(total_duration_ms=3000, image_count=2),
        "backend": BackendInfo(kind="fake", version="fake-1", model="fake-model-v1", model_hash="0123456789"),
        "resolved": {"txt2img": {"seed": 1234, "sampler": "Euler a", "scheduler": "Automatic"}},
        "metadata": {"padding": "x" * payload_bytes} if payload_bytes else {},
    }
    values.update(overrides)
    return LearningRecord(**values)
