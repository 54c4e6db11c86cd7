"""The cells of a plan: each combination of axis values (a variant) for each prompt and seed.

A cell is one run, a ``LearningRunStep``. Its ``cell_id`` is the hash of its effective run config
(prompt, seed, every image-shaping setting; not the pack, prompt id or metadata), so a plan that
grows (a new axis value, another seed) finds every cell it already ran, whatever its plan id.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from domain.config import PipelineConfig, StageSpec, stage_from_dict
from domain.errors import ConfigError
from domain.plan import AXIS_TYPES, AxisValue, DesignKind, LearningPlan, PlanError

COSTLIEST_FIRST = ("model", "vae", "upscaler")
"""Settings whose change costs the backend most (loading weights), in the order runs keep them."""

_CONFIG_FIELD_OF_SETTING = {"upscale_factor": "stages.upscale.scale"}


@dataclass(frozen=True, slots=True)
class PlanVariant:
    """One combination of axis values; ``index`` is its place in the plan's full list (grid order)."""

    index: int
    values: Mapping[str, AxisValue]
    excluded: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))

    def label(self) -> str:
        return ", ".join(f"{key}={value}" for key, value in self.values.items()) or "(base)"


@dataclass(frozen=True, slots=True)
class LearningRunStep:
    """One cell of a plan: a variant run for one prompt and seed, ``images`` images (the batch)."""

    variant: PlanVariant
    prompt_index: int
    seed: int
    config: PipelineConfig
    cell_id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.cell_id:
            object.__setattr__(self, "cell_id", cell_id_of(self.config))

    @property
    def images(self) -> int:
        return self.config.batch_size


def cell_id_of(config: PipelineConfig) -> str:
    """sha256 (first 20 hex digits) of the config's image-shaping content."""
    values = config.to_dict()
    for key in ("metadata", "prompt_pack_id", "prompt_id"):
        values.pop(key, None)
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def attempt_run_id(cell_id: str, attempt: int) -> str:
    """The run id of a cell's ``attempt``-th try: the same for a try killed before it was recorded
    and its repeat, so the repeat replaces the unrecorded try's images instead of orphaning them."""
    return hashlib.sha256(f"{cell_id}:{attempt}".encode()).hexdigest()[:32]


def variants(plan: LearningPlan) -> tuple[PlanVariant, ...]:
    """Every variant of the plan's design in grid order (the last axis changes fastest); the ones an
    exclusion names are kept, marked ``excluded``."""
    if not plan.axes:
        return (PlanVariant(0, {}),)
    keys = [axis.key for axis in plan.axes]
    if plan.design.kind is DesignKind.ONE_AT_A_TIME:
        combos = _one_at_a_time(plan)
    else:
        combos = [
            dict(zip(keys, values, strict=True))
            for values in itertools.product(*(a.values for a in plan.axes))
        ]
    return tuple(PlanVariant(index, combo, _excluded(plan, combo)) for index, combo in enumerate(combos))


def _one_at_a_time(plan: LearningPlan) -> list[dict[str, AxisValue]]:
    baseline = {axis.key: plan.design.baseline.get(axis.key, axis.values[0]) for axis in plan.axes}
    combos = [dict(baseline)]
    for axis in plan.axes:
        combos.extend({**baseline, axis.key: value} for value in axis.values if value != baseline[axis.key])
    return combos


def _excluded(plan: LearningPlan, combo: Mapping[str, AxisValue]) -> bool:
    return any(all(combo.get(key) == value for key, value in rule.items()) for rule in plan.exclude)


def plan_steps(plan: LearningPlan, defaults: Mapping[str, Any]) -> tuple[LearningRunStep, ...]:
    """Every cell of the plan's variants not excluded, in grid order (variant, prompt, seed).

    ``defaults`` are the pipeline settings (settings.toml names) the plan's ``base`` does not set.
    A value that cannot run raises PlanError naming where the plan set it (``axes[1].values``,
    ``base.steps``) or, when the settings set it, ``settings: pipeline.<name>``.
    """
    steps: list[LearningRunStep] = []
    for variant in variants(plan):
        if variant.excluded:
            continue
        for prompt_index, _prompt in enumerate(plan.prompts):
            for seed in plan.seeds:
                values = {**defaults, **plan.base, **variant.values}
                config = pipeline_config(plan, values, prompt_index, seed)
                steps.append(LearningRunStep(variant, prompt_index, seed, config))
    return tuple(steps)


def pipeline_config(
    plan: LearningPlan, values: Mapping[str, Any], prompt_index: int, seed: int
) -> PipelineConfig:
    """The run config of ``values`` (settings names) for one prompt and seed; PlanError on refusal."""
    prompt = plan.prompts[prompt_index]
    stages_value = values.get("stages", ("txt2img",))
    names = stages_value.split(",") if isinstance(stages_value, str) else list(stages_value)
    names = [name.strip() for name in names if name.strip()]
    for axis in plan.axes:
        if axis.stage is not None and axis.stage not in names:
            index = plan.axes.index(axis)
            raise PlanError(
                f"axes[{index}].key",
                f"{axis.key} is a setting of the {axis.stage} stage, which the stages "
                f"({','.join(names)}) leave out",
            )
    per_stage: dict[str, dict[str, Any]] = {
        "img2img": {"denoising_strength": values.get("denoising_strength", 0.35)},
        "upscale": {
            "upscaler": values.get("upscaler", "Lanczos"),
            "scale": values.get("upscale_factor", 2.0),
        },
    }
    try:
        stages: tuple[StageSpec, ...] = tuple(
            stage_from_dict({"name": name, **per_stage.get(name, {})}) for name in names
        )
        return PipelineConfig(
            prompt=prompt.text,
            negative_prompt=values.get("negative_prompt", ""),
            model=values.get("model", ""),
            sampler=values.get("sampler", "Euler a"),
            scheduler=values.get("scheduler", "Automatic"),
            steps=values.get("steps", 20),
            cfg_scale=values.get("cfg_scale", 7.0),
            width=values.get("width", 512),
            height=values.get("height", 512),
            seed=seed,
            batch_size=plan.images_per_cell,
            stages=stages,
            prompt_pack_id=plan.pack,
            prompt_id=prompt.prompt_id,
        )
    except ConfigError as exc:
        setting = _setting_of(exc.field)
        raise PlanError(_blamed(plan, exc.field, setting), f"{setting} {exc.message}") from None


def _setting_of(config_field: str) -> str:
    """The settings name of a ConfigError field (``stages.upscale.scale``: ``upscale_factor``)."""
    return next(
        (name for name, field_path in _CONFIG_FIELD_OF_SETTING.items() if field_path == config_field),
        config_field.rpartition(".")[2] if config_field.startswith("stages.") else config_field,
    )


def _blamed(plan: LearningPlan, config_field: str, setting: str) -> str:
    """Where the plan set the value behind a ConfigError field, else the setting it came from."""
    if config_field.startswith("stages.") and setting not in AXIS_TYPES:
        return "base.stages" if "stages" in plan.base else "settings: pipeline.stages"
    axis = plan.axis(setting)
    if axis is not None:
        return f"axes[{plan.axes.index(axis)}].values"
    if setting in plan.base:
        return f"base.{setting}"
    if setting == "batch_size":
        return "images_per_cell"
    return f"settings: pipeline.{setting}"


def run_order(steps: tuple[LearningRunStep, ...]) -> tuple[LearningRunStep, ...]:
    """``steps`` ordered so the costliest setting changes least often: all cells of one model, then
    within it of one VAE, then of one upscaler; otherwise grid order. Values keep the order in which
    the steps first use them."""
    firsts: dict[str, dict[Any, int]] = {key: {} for key in COSTLIEST_FIRST}
    for step in steps:
        for key in COSTLIEST_FIRST:
            firsts[key].setdefault(_setting(step.config, key), len(firsts[key]))
    return tuple(
        sorted(
            steps,
            key=lambda step: tuple(firsts[key][_setting(step.config, key)] for key in COSTLIEST_FIRST),
        )
    )


def model_switches(steps: tuple[LearningRunStep, ...]) -> int:
    """How many times the model changes from one step to the next."""
    models = [step.config.model for step in steps]
    return sum(1 for before, after in itertools.pairwise(models) if before != after)


def _setting(config: PipelineConfig, key: str) -> Any:
    if key == "model":
        return config.model
    if key == "upscaler":
        return next((stage.settings()["upscaler"] for stage in config.stages if stage.name == "upscale"), "")
    return ""  # no VAE setting yet: every run uses the model's own
