"""Check a plan's names against the backend before anything is generated (the runner's pre-flight)."""

from __future__ import annotations

from domain.config import PipelineConfig
from domain.errors import BackendError
from domain.plan import LearningPlan, PlanError
from domain.plan_cells import LearningRunStep, pipeline_config
from domain.ports import ImageBackend


def preflight(backend: ImageBackend, plan: LearningPlan, steps: tuple[LearningRunStep, ...]) -> None:
    """``backend.prepare`` of the first cell, then of each other axis value in its place; a refused
    name raises PlanError naming its axis (``axes[1].values``), or ``base`` when the first cell is
    refused whatever value its axes take. A retryable error (the server is unreachable) is raised
    as it is: the caller decides whether to wait for the server."""
    if not steps:
        return
    first = steps[0]
    first_refusal = _refusal(backend, first.config)
    for index in range(len(plan.axes)):
        refusals = {value: _refusal(backend, config) for value, config in _alternatives(plan, first, index)}
        # With the first cell refused, an axis is to blame only if another of its values is taken.
        blamable = first_refusal is None or any(other is None for other in refusals.values())
        for value, refusal in refusals.items():
            if refusal is not None and blamable:
                raise PlanError(f"axes[{index}].values", f"{value!r}: the backend refuses it: {refusal}")
    if first_refusal is not None:
        raise PlanError(_base_key(plan, first_refusal), f"the backend refuses it: {first_refusal}")


def _base_key(plan: LearningPlan, refusal: BackendError) -> str:
    """``base.<key>`` of the base value the refusal names, else ``base``."""
    named = [
        key for key, value in plan.base.items() if isinstance(value, str) and repr(value) in str(refusal)
    ]
    return f"base.{named[0]}" if len(named) == 1 else "base"


def _alternatives(
    plan: LearningPlan, first: LearningRunStep, index: int
) -> list[tuple[object, PipelineConfig]]:
    axis = plan.axes[index]
    configs: list[tuple[object, PipelineConfig]] = []
    for value in axis.values:
        values = {**_defaults_of(first), **first.variant.values, axis.key: value}
        try:
            configs.append((value, pipeline_config(plan, values, first.prompt_index, first.seed)))
        except PlanError:
            continue  # plan_steps has judged the values the cells use
    return configs


def _refusal(backend: ImageBackend, config: PipelineConfig) -> BackendError | None:
    try:
        backend.prepare(config)
    except BackendError as exc:
        if exc.retryable:
            raise
        return exc
    return None


def _defaults_of(step: LearningRunStep) -> dict[str, object]:
    """The settings values of a cell's config (everything its variant does not set)."""
    config = step.config
    values: dict[str, object] = {
        "negative_prompt": config.negative_prompt,
        "model": config.model,
        "sampler": config.sampler,
        "scheduler": config.scheduler,
        "steps": config.steps,
        "cfg_scale": config.cfg_scale,
        "width": config.width,
        "height": config.height,
        "stages": config.stage_plan,
    }
    for stage in config.stages:
        settings = stage.settings()
        if "denoising_strength" in settings:
            values["denoising_strength"] = settings["denoising_strength"]
        if "upscaler" in settings:
            values.update(upscaler=settings["upscaler"], upscale_factor=settings["scale"])
    return values
