"""What happened in a run: one event per planned stage and the run's overall result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from domain.config import PipelineConfig
from domain.images import BackendInfo, ImageArtifact
from domain.payload import Payload
from domain.timefmt import format_timestamp


class StageStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    SKIPPED = "skipped"


class RunStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class StageEvent:
    """One planned stage: when it ran, how long, how many images, and why it failed if it did.

    Skipped stages (after a failure) have no times.
    """

    stage: str
    status: StageStatus
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    image_count: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "status": str(self.status),
            "started_at": format_timestamp(self.started_at) if self.started_at else None,
            "finished_at": format_timestamp(self.finished_at) if self.finished_at else None,
            "duration_ms": self.duration_ms,
            "image_count": self.image_count,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | Payload) -> StageEvent:
        """Read an event as ``to_dict`` writes it; a wrong type raises ValueError naming the field."""
        event = data if isinstance(data, Payload) else Payload(data)
        return cls(
            stage=event.text("stage"),
            status=event.member("status", StageStatus),
            started_at=event.optional_time("started_at"),
            finished_at=event.optional_time("finished_at"),
            duration_ms=event.optional_integer("duration_ms"),
            image_count=event.integer("image_count", 0),
            error=event.optional_text("error"),
        )


def resolved_seed(stages_executed: Sequence[str], resolved: Mapping[str, Mapping[str, Any]]) -> int | None:
    """The seed the backend really used: that of the first executed stage that reports one."""
    for stage in stages_executed:
        seed = resolved.get(stage, {}).get("seed")
        if isinstance(seed, int) and not isinstance(seed, bool):
            return seed
    return None


@dataclass(frozen=True, slots=True)
class StageProgress:
    """How far a generating stage is: ``fraction`` of the work done (0..1) and, where the backend
    knows them, the sampling ``step`` of ``steps`` and the estimated ``eta_seconds`` left."""

    fraction: float
    step: int | None = None
    steps: int | None = None
    eta_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class RunContext:
    """Where a run sits in a larger plan (active learning); empty for passive runs."""

    plan_id: str | None = None
    variant_index: int | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))


@dataclass(frozen=True, slots=True)
class LearningOutcome:
    """What happened to the run's learning record. ``enabled`` is False when learning was off."""

    enabled: bool = False
    recorded: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PipelineRunResult:
    """The outcome of one run; ``resolved`` holds what the backend really used, per stage.
    ``retryable`` is True when the run failed in a way the same request may not on a retry (the
    server was unreachable, a call timed out: ``BackendError.retryable``)."""

    run_id: str
    status: RunStatus
    config: PipelineConfig
    started_at: datetime
    finished_at: datetime
    stage_events: tuple[StageEvent, ...]
    artifacts: tuple[ImageArtifact, ...] = ()
    backend: BackendInfo | None = None
    resolved: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    error: str | None = None
    learning: LearningOutcome = LearningOutcome()
    retryable: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status is RunStatus.SUCCEEDED

    @property
    def stages_executed(self) -> tuple[str, ...]:
        return tuple(e.stage for e in self.stage_events if e.status is not StageStatus.SKIPPED)
