"""A finished run built by hand, for testing what is derived from runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain import (
    BackendInfo,
    ImageArtifact,
    PipelineConfig,
    PipelineRunResult,
    RunStatus,
    StageEvent,
    StageStatus,
)
from tests.factories import make_config
from tests.fakes import FakeClock


def finished_run(
    *, fail_upscale: bool = False, metadata: dict[str, Any] | None = None
) -> tuple[PipelineConfig, PipelineRunResult]:
    config = make_config(metadata=metadata or {})
    clock = FakeClock(step=timedelta(seconds=1))
    t0, t1, t2, t3 = (clock.now() for _ in range(4))
    upscale_status = StageStatus.FAILED if fail_upscale else StageStatus.SUCCEEDED
    events = (
        StageEvent("txt2img", StageStatus.SUCCEEDED, t0, t1, 1000, 1),
        StageEvent("upscale", upscale_status, t1, t2, 1000, 0 if fail_upscale else 1),
    )
    artifacts = (ImageArtifact("txt2img", 0, "/out/r1/txt2img_0.png", 512, 512, 1234, "c" * 64),)
    result = PipelineRunResult(
        run_id="r1",
        status=RunStatus.SUCCEEDED,
        config=config,
        started_at=t0,
        finished_at=t3,
        stage_events=events,
        artifacts=artifacts,
        backend=BackendInfo("fake", "fake-1", "fake-model-v1", "0123456789"),
        resolved={"txt2img": {"seed": 1234}},
    )
    return config, result
