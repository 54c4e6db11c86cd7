"""LearningPlan: a parameter sweep read from a plan file (docs/plans.md), valid by construction.

``LearningPlan.from_dict`` reads the file's values; every refusal is a ``PlanError`` naming the
key's path in the file (``axes[1].range``, ``budget.max_images``) so the CLI can show its line.
``plan_id`` is the sha256 of the plan's canonical JSON: key order, comments and the way values are
written (a range or its list) do not change it; any value does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from domain.config import STAGE_NAMES
from domain.errors import StableNewError
from domain.plan_ranges import RangeError, parse_range

PLAN_SCHEMA = 1
AxisValue = str | int | float

AXIS_TYPES: Mapping[str, type] = MappingProxyType(
    {
        "model": str,
        "sampler": str,
        "scheduler": str,
        "negative_prompt": str,
        "steps": int,
        "cfg_scale": float,
        "width": int,
        "height": int,
        "denoising_strength": float,
        "upscaler": str,
        "upscale_factor": float,
    }
)
"""The settings an axis may vary (pipeline setting names, as in settings.toml), and their types."""

STAGE_OF_AXIS: Mapping[str, str] = MappingProxyType(
    {"denoising_strength": "img2img", "upscaler": "upscale", "upscale_factor": "upscale"}
)
"""Per-stage settings: an axis over one needs that stage in the plan's stages."""

BASE_KEYS = (*AXIS_TYPES, "stages")
MAX_ATTEMPTS = 10
MAX_IMAGES_PER_CELL = 64


class PlanError(StableNewError, ValueError):
    """A plan that cannot run; ``key`` is the path of the value in the plan file (``axes[0].values``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message


class PlanBusy(StableNewError):
    """Another process runs the plan; ``holder`` says which (``pid 4242 on host-a``)."""

    def __init__(self, plan_name: str, holder: str) -> None:
        super().__init__(f"plan {plan_name!r} is already running ({holder}); wait for it or stop it")
        self.holder = holder


class DesignKind(StrEnum):
    GRID = "grid"
    ONE_AT_A_TIME = "one_at_a_time"
    ADAPTIVE = "adaptive"


class OnError(StrEnum):
    CONTINUE = "continue"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class PlanPrompt:
    """One prompt of the plan; ``prompt_id`` is its id within the plan's pack, when given."""

    text: str
    prompt_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "id": self.prompt_id}


@dataclass(frozen=True, slots=True)
class PlanAxis:
    """One setting the plan varies, with its values in the order the file gives them."""

    key: str
    values: tuple[AxisValue, ...]

    @property
    def stage(self) -> str | None:
        """The stage whose setting this is (None for a setting of the whole pipeline)."""
        return STAGE_OF_AXIS.get(self.key)


@dataclass(frozen=True, slots=True)
class PlanDesign:
    """How cells are chosen: every combination (``grid``); each axis alone around the ``baseline``
    (``one_at_a_time``; the baseline defaults to each axis's first value); or rounds that rate only
    the cells that can still be best (``adaptive``: ``warmup`` images per cell first, then
    ``per_round`` per remaining cell, until one is best at ``confidence``)."""

    kind: DesignKind = DesignKind.GRID
    baseline: Mapping[str, AxisValue] = field(default_factory=dict)
    warmup: int = 1
    per_round: int = 1
    confidence: float = 0.95

    def __post_init__(self) -> None:
        object.__setattr__(self, "baseline", MappingProxyType(dict(self.baseline)))

    def to_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = {"kind": str(self.kind)}
        if self.kind is DesignKind.ONE_AT_A_TIME:
            values["baseline"] = dict(self.baseline)
        if self.kind is DesignKind.ADAPTIVE:
            values.update(warmup=self.warmup, per_round=self.per_round, confidence=self.confidence)
        return values


@dataclass(frozen=True, slots=True)
class PlanBudget:
    """When to stop: after ``max_images`` images of the plan in all, or ``max_minutes`` of one run."""

    max_images: int | None = None
    max_minutes: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"max_images": self.max_images, "max_minutes": self.max_minutes}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a cell is tried (``max_attempts`` failed attempts at most) and whether a cell that
    failed for good stops the plan (``on_error``); retries wait ``backoff_seconds``, doubling."""

    max_attempts: int = 3
    on_error: OnError = OnError.CONTINUE
    backoff_seconds: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_attempts": self.max_attempts,
            "on_error": str(self.on_error),
            "backoff_seconds": self.backoff_seconds,
        }


@dataclass(frozen=True, slots=True)
class LearningPlan:
    """A sweep: ``prompts`` x ``seeds`` for each cell (a combination of axis values not excluded),
    ``images_per_cell`` images per prompt and seed, over the ``base`` settings (unset ones come
    from the settings). Invalid values raise PlanError on construction."""

    name: str
    pack: str
    prompts: tuple[PlanPrompt, ...]
    seeds: tuple[int, ...]
    images_per_cell: int = 1
    base: Mapping[str, Any] = field(default_factory=dict)
    axes: tuple[PlanAxis, ...] = ()
    exclude: tuple[Mapping[str, AxisValue], ...] = ()
    design: PlanDesign = PlanDesign()
    budget: PlanBudget = PlanBudget()
    retry: RetryPolicy = RetryPolicy()
    schema: int = PLAN_SCHEMA

    def __post_init__(self) -> None:
        object.__setattr__(self, "base", MappingProxyType(dict(self.base)))
        object.__setattr__(self, "exclude", tuple(MappingProxyType(dict(rule)) for rule in self.exclude))
        _validate(self)

    @property
    def plan_id(self) -> str:
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def axis(self, key: str) -> PlanAxis | None:
        return next((axis for axis in self.axes if axis.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        """The canonical content: ranges written out, defaults filled in; ``from_dict`` reads it back."""
        return {
            "schema": self.schema,
            "name": self.name,
            "pack": self.pack,
            "prompts": [prompt.to_dict() for prompt in self.prompts],
            "seeds": list(self.seeds),
            "images_per_cell": self.images_per_cell,
            "base": dict(self.base),
            "axes": [{"key": axis.key, "values": list(axis.values)} for axis in self.axes],
            "exclude": [dict(rule) for rule in self.exclude],
            "design": self.design.to_dict(),
            "budget": self.budget.to_dict(),
            "retry": self.retry.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LearningPlan:
        """The plan a parsed plan file (or ``to_dict``) holds; raises PlanError naming the key."""
        from domain.plan_reading import read_plan

        return read_plan(data)


def _validate(plan: LearningPlan) -> None:
    _require(plan.schema == PLAN_SCHEMA, "schema", f"this version reads plan schema {PLAN_SCHEMA} only")
    _require(isinstance(plan.name, str) and bool(plan.name.strip()), "name", "must be non-empty text")
    _require(isinstance(plan.pack, str) and bool(plan.pack.strip()), "pack", "must be non-empty text")
    _require(len(plan.prompts) > 0, "prompts", "must hold at least one prompt")
    for index, prompt in enumerate(plan.prompts):
        _require(bool(prompt.text.strip()), f"prompts[{index}]", "must not be empty")
    _require(len(plan.seeds) > 0, "seeds", "must hold at least one seed")
    for index, seed in enumerate(plan.seeds):
        _require(_is_int(seed) and 0 <= seed < 2**32, f"seeds[{index}]", "must be 0..4294967295")
    _require(len(set(plan.seeds)) == len(plan.seeds), "seeds", "lists a seed twice")
    _require(
        _is_int(plan.images_per_cell) and 1 <= plan.images_per_cell <= MAX_IMAGES_PER_CELL,
        "images_per_cell",
        f"must be 1..{MAX_IMAGES_PER_CELL}",
    )
    for key, value in plan.base.items():
        _require(key in BASE_KEYS, f"base.{key}", _unknown(key, BASE_KEYS))
        if key != "stages":
            _check_value(f"base.{key}", key, value)
    stages = plan.base.get("stages")
    if stages is not None:
        _require(
            isinstance(stages, tuple) and all(name in STAGE_NAMES for name in stages) and bool(stages),
            "base.stages",
            f"must name stages among {', '.join(STAGE_NAMES)}",
        )
    seen: set[str] = set()
    for index, axis in enumerate(plan.axes):
        where = f"axes[{index}]"
        _require(axis.key in AXIS_TYPES, f"{where}.key", _unknown(axis.key, AXIS_TYPES))
        _require(axis.key not in seen, f"{where}.key", f"{axis.key!r} is already an axis")
        _require(axis.key not in plan.base, f"{where}.key", f"{axis.key!r} is also set in [base]")
        seen.add(axis.key)
        _require(len(axis.values) > 0, where, "the axis has no values")
        for number, value in enumerate(axis.values):
            _check_value(f"{where}.values[{number}]", axis.key, value)
        _require(len(set(axis.values)) == len(axis.values), f"{where}.values", "lists a value twice")
        if stages is not None and axis.stage is not None:
            _require(
                axis.stage in stages,
                f"{where}.key",
                f"{axis.key} is a setting of the {axis.stage} stage, which base.stages leaves out",
            )
    for index, rule in enumerate(plan.exclude):
        _require(len(rule) > 0, f"exclude[{index}]", "an empty exclusion would exclude every cell")
        for key, value in rule.items():
            ruled = plan.axis(key)
            _require(ruled is not None, f"exclude[{index}].{key}", f"{key!r} is not an axis of the plan")
            assert ruled is not None
            _require(
                value in ruled.values,
                f"exclude[{index}].{key}",
                f"{value!r} is not a value of the {key} axis, so it excludes nothing",
            )
    _validate_design(plan)
    _validate_budget(plan.budget)
    retry = plan.retry
    _require(
        _is_int(retry.max_attempts) and 1 <= retry.max_attempts <= MAX_ATTEMPTS,
        "retry.max_attempts",
        f"must be 1..{MAX_ATTEMPTS}",
    )
    _require(
        _is_number(retry.backoff_seconds) and 0 <= retry.backoff_seconds <= 600,
        "retry.backoff_seconds",
        "must be 0..600 seconds",
    )


def _validate_design(plan: LearningPlan) -> None:
    design = plan.design
    for key, value in design.baseline.items():
        axis = plan.axis(key)
        _require(axis is not None, f"design.baseline.{key}", f"{key!r} is not an axis of the plan")
        assert axis is not None
        _require(value in axis.values, f"design.baseline.{key}", f"{value!r} is not a value of the axis")
    _require(_is_int(design.warmup) and 1 <= design.warmup <= 100, "design.warmup", "must be 1..100")
    _require(_is_int(design.per_round) and 1 <= design.per_round <= 100, "design.per_round", "must be 1..100")
    _require(
        _is_number(design.confidence) and 0.5 <= design.confidence < 1,
        "design.confidence",
        "must be at least 0.5 and below 1",
    )


def _validate_budget(budget: PlanBudget) -> None:
    if budget.max_images is not None:
        _require(
            _is_int(budget.max_images) and budget.max_images >= 1, "budget.max_images", "must be 1 or more"
        )
    if budget.max_minutes is not None:
        _require(
            _is_number(budget.max_minutes) and budget.max_minutes > 0,
            "budget.max_minutes",
            "must be more than 0",
        )


def _check_value(where: str, key: str, value: object) -> None:
    kind = AXIS_TYPES[key]
    if kind is str:
        _require(isinstance(value, str), where, f"{key} takes text, got {value!r}")
        _require(key == "negative_prompt" or bool(str(value).strip()), where, "must not be empty")
    elif kind is int:
        _require(_is_int(value), where, f"{key} takes a whole number, got {value!r}")
    else:
        _require(_is_number(value), where, f"{key} takes a number, got {value!r}")


def axis_value(key: str, value: Decimal) -> AxisValue:
    """A range's Decimal as the axis's type (a float keeps the Decimal's exact digits)."""
    return int(value) if AXIS_TYPES[key] is int else float(value)


def range_values(key: str, where: str, text: object) -> tuple[AxisValue, ...]:
    """The values of the range ``text`` for the axis ``key``; PlanError at ``where``."""
    if key in AXIS_TYPES and AXIS_TYPES[key] is str:
        raise PlanError(where, f"{key} takes text values: give them as values = [...]")
    try:
        return tuple(
            axis_value(key, value) for value in parse_range(str(text), integer=AXIS_TYPES.get(key) is int)
        )
    except RangeError as exc:
        raise PlanError(where, str(exc)) from None


def _unknown(key: str, known: Sequence[str] | Mapping[str, Any]) -> str:
    return f"unknown setting {key!r}; known: {', '.join(known)}"


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise PlanError(key, message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    import math

    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)  # type: ignore[arg-type]
