"""What a job carries: the run's full config and its place in a plan, as plain JSON values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.config import PipelineConfig
from domain.plan_journal import PLAN_METADATA
from domain.run import RunContext


def run_payload(config: PipelineConfig, context: RunContext | None = None) -> dict[str, Any]:
    context = context or RunContext()
    return {
        "config": config.to_dict(),
        "context": {
            "plan_id": context.plan_id,
            "variant_index": context.variant_index,
            "metadata": dict(context.metadata),
        },
    }


def payload_config(payload: Mapping[str, Any]) -> PipelineConfig:
    """The config a job carries (ConfigError when it cannot run, KeyError when it has none)."""
    return PipelineConfig.from_dict(payload["config"])


def payload_context(payload: Mapping[str, Any], *, retryable: bool, extra: Mapping[str, Any]) -> RunContext:
    """The job's run context; a plan cell's ``metadata.plan.retryable`` says how its run ended."""
    context = payload.get("context") or {}
    metadata = {**dict(context.get("metadata") or {}), **extra}
    plan = metadata.get(PLAN_METADATA)
    if isinstance(plan, Mapping):
        metadata[PLAN_METADATA] = {**plan, "retryable": retryable}
    return RunContext(
        plan_id=context.get("plan_id"), variant_index=context.get("variant_index"), metadata=metadata
    )


def payload_model(payload: Mapping[str, Any]) -> str:
    config = payload.get("config")
    model = config.get("model") if isinstance(config, Mapping) else None
    return model if isinstance(model, str) else ""


def payload_stages(payload: Mapping[str, Any]) -> tuple[str, ...]:
    config = payload.get("config")
    stages = config.get("stages") if isinstance(config, Mapping) else None
    if not isinstance(stages, list):
        return ()
    return tuple(s["name"] for s in stages if isinstance(s, Mapping) and isinstance(s.get("name"), str))
