"""LearningRecord: the durable, append-only history entry of one run (schema_version 1).

Field meanings and the evolution rules are documented in docs/learning-records.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from domain.errors import UnsupportedSchemaVersion
from domain.images import BackendInfo, ImageArtifact
from domain.payload import Payload
from domain.run import StageEvent

SCHEMA_VERSION = 1
KNOWN_SCHEMA_VERSIONS = frozenset({1})

SOURCE_PIPELINE = "pipeline"
SOURCE_IMPORT = "import"


@dataclass(frozen=True, slots=True)
class RunMetrics:
    total_duration_ms: int
    image_count: int

    def to_dict(self) -> dict[str, Any]:
        return {"total_duration_ms": self.total_duration_ms, "image_count": self.image_count}


@dataclass(frozen=True, slots=True)
class LearningRecord:
    """One run as history remembers it. ``to_dict`` gives plain JSON values; ``from_dict`` inverts it."""

    run_id: str
    timestamp: str
    status: str
    stage_plan: tuple[str, ...]
    stages_executed: tuple[str, ...]
    config: Mapping[str, Any]
    stage_events: tuple[StageEvent, ...]
    outputs: tuple[ImageArtifact, ...]
    metrics: RunMetrics
    backend: BackendInfo
    prompt_pack_id: str | None = None
    prompt_id: str | None = None
    plan_id: str | None = None
    variant_index: int | None = None
    resolved: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str = SOURCE_PIPELINE
    metadata: Mapping[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage_plan", tuple(self.stage_plan))
        object.__setattr__(self, "stages_executed", tuple(self.stages_executed))
        object.__setattr__(self, "stage_events", tuple(self.stage_events))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        object.__setattr__(self, "config", MappingProxyType(dict(self.config)))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        object.__setattr__(
            self,
            "resolved",
            MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.resolved.items()}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "run_id": self.run_id,
            "plan_id": self.plan_id,
            "variant_index": self.variant_index,
            "timestamp": self.timestamp,
            "status": self.status,
            "source": self.source,
            "prompt_pack_id": self.prompt_pack_id,
            "prompt_id": self.prompt_id,
            "stage_plan": list(self.stage_plan),
            "stages_executed": list(self.stages_executed),
            "config": _plain(self.config),
            "stage_events": [event.to_dict() for event in self.stage_events],
            "outputs": [output.to_dict() for output in self.outputs],
            "metrics": self.metrics.to_dict(),
            "backend": self.backend.to_dict(),
            "resolved": _plain(self.resolved),
            "metadata": _plain(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LearningRecord:
        """Read any known schema version; a newer one raises UnsupportedSchemaVersion.

        Every value is type-checked (see domain.payload): a missing required field raises
        KeyError, a value of the wrong type ValueError, each naming the field's path.
        """
        version = data.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError(f"schema_version must be a positive integer, got {version!r}")
        if version not in KNOWN_SCHEMA_VERSIONS:
            raise UnsupportedSchemaVersion(version, max(KNOWN_SCHEMA_VERSIONS))
        record = Payload(data)
        metrics = record.object("metrics")
        return cls(
            schema_version=version,
            run_id=record.text("run_id"),
            plan_id=record.optional_text("plan_id"),
            variant_index=record.optional_integer("variant_index"),
            timestamp=record.text("timestamp"),
            status=record.text("status"),
            source=record.text("source", SOURCE_PIPELINE),
            prompt_pack_id=record.optional_text("prompt_pack_id"),
            prompt_id=record.optional_text("prompt_id"),
            stage_plan=record.texts("stage_plan"),
            stages_executed=record.texts("stages_executed"),
            config=record.mapping("config"),
            stage_events=tuple(StageEvent.from_dict(event) for event in record.objects("stage_events")),
            outputs=tuple(ImageArtifact.from_dict(output) for output in record.objects("outputs")),
            metrics=RunMetrics(metrics.integer("total_duration_ms"), metrics.integer("image_count")),
            backend=BackendInfo.from_dict(record.object("backend")),
            resolved=_resolved(record),
            metadata=record.mapping("metadata", optional=True),
        )


NOT_A_RECORD = (KeyError, TypeError, ValueError, AttributeError)
"""What ``LearningRecord.from_dict`` raises for a payload that is not a learning record (besides
UnsupportedSchemaVersion, which is not a bad line but a newer record)."""


def not_a_record(exc: Exception) -> str:
    """The reason every reader gives for a stored line that is not a learning record."""
    if isinstance(exc, KeyError):
        return f"not a learning record: missing field {exc.args[0]!r}"
    return f"not a learning record: {exc}"


def _resolved(record: Payload) -> dict[str, dict[str, Any]]:
    """What the backend really used, per stage: an object of objects."""
    stages = record.mapping("resolved", optional=True)
    if not stages:
        return {}
    per_stage = record.object("resolved")
    return {stage: per_stage.mapping(stage) for stage in stages}


def _plain(value: Any) -> Any:
    """Turn the read-only mappings and tuples kept in records back into plain dicts and lists."""
    kind = type(value)
    if kind is dict or kind is MappingProxyType:
        return {key: _plain(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [_plain(item) for item in value]
    return value
