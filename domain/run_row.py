"""RunRow: one run of the history as a flat row (its effective settings and current feedback)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.feedback import RunFeedback
from domain.record import LearningRecord

NO_FEEDBACK = RunFeedback(run_id="")


@dataclass(frozen=True, slots=True)
class RunRow:
    """What the table, the filters, the stats and the exports see of one run.

    Settings are the ones really used when the backend reported them (``resolved``), else the
    configured ones; ``model`` is the backend's model, else the configured checkpoint name.
    ``denoising_strength`` and ``upscaler`` are those of the run's img2img and upscale stages (None
    without such a stage); ``preset`` is the name of the preset the run applied (``metadata.preset``).
    """

    run_id: str
    timestamp: str
    status: str
    source: str
    pack: str | None
    prompt_id: str | None
    prompt: str
    negative_prompt: str
    model: str
    model_hash: str | None
    sampler: str
    scheduler: str
    steps: int | None
    cfg_scale: float | None
    width: int | None
    height: int | None
    seed: int | None
    duration_ms: int
    image_count: int
    stages: tuple[str, ...]
    stage_durations: tuple[tuple[str, int | None], ...]
    image_path: str | None
    plan_id: str | None
    variant_index: int | None
    rating: int | None
    tags: tuple[str, ...]
    notes: int
    wins: int
    losses: int
    denoising_strength: float | None = None
    upscaler: str | None = None
    preset: str | None = None

    @classmethod
    def of(cls, record: LearningRecord, feedback: RunFeedback | None = None) -> RunRow:
        fb = feedback or NO_FEEDBACK
        config = record.config
        outputs = record.outputs
        final = outputs[-1].path if outputs else None
        return cls(
            run_id=record.run_id,
            timestamp=record.timestamp,
            status=record.status,
            source=record.source,
            pack=record.prompt_pack_id,
            prompt_id=record.prompt_id,
            prompt=str(config.get("prompt") or ""),
            negative_prompt=str(config.get("negative_prompt") or ""),
            model=str(record.backend.model or config.get("model") or ""),
            model_hash=record.backend.model_hash,
            sampler=str(_effective(record, "sampler") or ""),
            scheduler=str(_effective(record, "scheduler") or ""),
            steps=_number(_effective(record, "steps"), int),
            cfg_scale=_number(_effective(record, "cfg_scale"), float),
            width=_number(config.get("width"), int),
            height=_number(config.get("height"), int),
            seed=_number(_effective(record, "seed"), int),
            duration_ms=record.metrics.total_duration_ms,
            image_count=record.metrics.image_count,
            stages=record.stages_executed,
            stage_durations=tuple((e.stage, e.duration_ms) for e in record.stage_events),
            image_path=final,
            plan_id=record.plan_id,
            variant_index=record.variant_index,
            rating=fb.rating,
            tags=fb.tags,
            notes=len(fb.notes),
            wins=fb.wins,
            losses=fb.losses,
            **stage_values(record.resolved, config, record.metadata),
        )

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}" if self.width and self.height else ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, one level deep except ``tags``, ``stages`` and ``stage_durations``."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values.update(
            stages=list(self.stages), stage_durations=dict(self.stage_durations), tags=list(self.tags)
        )
        return values


def _effective(record: LearningRecord, key: str) -> Any:
    resolved: Mapping[str, Mapping[str, Any]] = record.resolved
    for stage in record.stages_executed:
        value = resolved.get(stage, {}).get(key)
        if value is not None:
            return value
    return record.config.get(key)


def stage_values(
    resolved: Mapping[str, Mapping[str, Any]] | None,
    config: Mapping[str, Any],
    metadata: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """``denoising_strength``, ``upscaler`` and ``preset`` of a record given as its parts."""
    upscaler = _stage_setting(resolved, config, "upscale", "upscaler")
    preset = metadata.get("preset") if metadata else None
    name = preset.get("name") if isinstance(preset, Mapping) else None
    return {
        "denoising_strength": _number(
            _stage_setting(resolved, config, "img2img", "denoising_strength"), float
        ),
        "upscaler": None if upscaler is None or upscaler == "" else str(upscaler),
        "preset": name if isinstance(name, str) and name else None,
    }


def _stage_setting(
    resolved: Mapping[str, Mapping[str, Any]] | None, config: Mapping[str, Any], stage: str, key: str
) -> Any:
    """The value the backend reported for ``stage``'s ``key``, else the first configured ``stage``'s."""
    reported = resolved.get(stage, {}).get(key) if resolved else None
    if reported is not None:
        return reported
    stages = config.get("stages")
    for spec in stages if isinstance(stages, (list, tuple)) else ():
        if isinstance(spec, Mapping) and spec.get("name") == stage:
            return spec.get(key)
    return None


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    if value is None or isinstance(value, bool):
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None
