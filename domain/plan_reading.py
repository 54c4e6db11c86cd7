"""Read a parsed plan file into a LearningPlan: every key known, every value of its type.

Numbers of float settings are kept as floats (``cfg_scale = 7`` is 7.0), so the way a value is
written does not change the plan's id. A refusal is a PlanError naming the key's path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.plan import (
    AXIS_TYPES,
    PLAN_SCHEMA,
    AxisValue,
    DesignKind,
    LearningPlan,
    OnError,
    PlanAxis,
    PlanBudget,
    PlanDesign,
    PlanError,
    PlanPrompt,
    RetryPolicy,
    range_values,
)

_TOP_KEYS = (
    "schema", "name", "pack", "prompts", "seeds", "images_per_cell", "base", "axes", "exclude",
    "design", "budget", "retry",
)  # fmt: skip
_DESIGN_KEYS = {
    DesignKind.GRID: ("kind",),
    DesignKind.ONE_AT_A_TIME: ("kind", "baseline"),
    DesignKind.ADAPTIVE: ("kind", "warmup", "per_round", "confidence"),
}


def read_plan(data: Mapping[str, Any]) -> LearningPlan:
    _known(data, _TOP_KEYS, "")
    schema = data.get("schema", PLAN_SCHEMA)
    _require(_is_int(schema), "schema", f"must be a whole number, got {schema!r}")
    if schema != PLAN_SCHEMA:
        raise PlanError("schema", f"plan schema {schema} is not known (this version reads {PLAN_SCHEMA})")
    return LearningPlan(
        schema=schema,
        name=_text(data, "name"),
        pack=_text(data, "pack"),
        prompts=_prompts(data.get("prompts")),
        seeds=tuple(_list(data, "seeds", required=True)),
        images_per_cell=_integer(data.get("images_per_cell", 1), "images_per_cell"),
        base=_base(_table(data, "base")),
        axes=tuple(_axis(item, index) for index, item in enumerate(_list(data, "axes"))),
        exclude=tuple(_exclusion(item, index) for index, item in enumerate(_list(data, "exclude"))),
        design=_design(_table(data, "design")),
        budget=_budget(_table(data, "budget")),
        retry=_retry(_table(data, "retry")),
    )


def _prompts(value: object) -> tuple[PlanPrompt, ...]:
    _require(value is not None, "prompts", 'missing: list the prompts, e.g. prompts = ["a lighthouse"]')
    _require(isinstance(value, list), "prompts", "must be a list of prompts")
    assert isinstance(value, list)
    prompts: list[PlanPrompt] = []
    for index, item in enumerate(value):
        where = f"prompts[{index}]"
        if isinstance(item, str):
            prompts.append(PlanPrompt(item))
            continue
        _require(isinstance(item, dict), where, "must be text or a table {id = ..., text = ...}")
        _known(item, ("id", "text"), where)
        prompt_id = item.get("id")
        _require(prompt_id is None or isinstance(prompt_id, str), f"{where}.id", "must be text")
        prompts.append(PlanPrompt(_text(item, "text", where), prompt_id))
    return tuple(prompts)


def _base(table: Mapping[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {}
    for key, value in table.items():
        if key == "stages":
            base[key] = _stages(value)
        elif key in AXIS_TYPES:
            base[key] = _typed(key, value)
        else:
            base[key] = value  # refused by LearningPlan, which names the known settings
    return base


def _stages(value: object) -> tuple[str, ...] | object:
    if isinstance(value, str):
        return tuple(name.strip() for name in value.split(",") if name.strip())
    if isinstance(value, list) and all(isinstance(name, str) for name in value):
        return tuple(name.strip() for name in value)
    return value


def _axis(item: object, index: int) -> PlanAxis:
    where = f"axes[{index}]"
    _require(isinstance(item, dict), where, "must be a table with key and values (or range)")
    assert isinstance(item, dict)
    _known(item, ("key", "values", "range"), where)
    key = _text(item, "key", where)
    _require(key in AXIS_TYPES, f"{where}.key", f"unknown setting {key!r}; known: {', '.join(AXIS_TYPES)}")
    has_values, has_range = "values" in item, "range" in item
    _require(has_values != has_range, where, 'give either values = [...] or range = "...", not both')
    if has_range:
        _require(isinstance(item["range"], str), f"{where}.range", 'must be text, e.g. "20-40 (+10)"')
        return PlanAxis(key, range_values(key, f"{where}.range", item["range"]))
    values = item["values"]
    _require(isinstance(values, list), f"{where}.values", "must be a list")
    _require(len(values) > 0, f"{where}.values", "the axis has no values")
    return PlanAxis(key, tuple(_typed(key, value) for value in values))


def _exclusion(item: object, index: int) -> dict[str, AxisValue]:
    _require(isinstance(item, dict), f"exclude[{index}]", "must be a table of axis = value")
    assert isinstance(item, dict)
    return {key: _typed(key, value) if key in AXIS_TYPES else value for key, value in item.items()}


def _design(table: Mapping[str, Any]) -> PlanDesign:
    kind_text = table.get("kind", "grid")
    kinds = ", ".join(str(kind) for kind in DesignKind)
    _require(kind_text in [str(kind) for kind in DesignKind], "design.kind", f"must be one of {kinds}")
    kind = DesignKind(kind_text)
    _known(table, _DESIGN_KEYS[kind], "design")
    baseline = table.get("baseline", {})
    _require(isinstance(baseline, dict), "design.baseline", "must be a table of axis = value")
    return PlanDesign(
        kind=kind,
        baseline={key: _typed(key, value) if key in AXIS_TYPES else value for key, value in baseline.items()},
        warmup=_integer(table.get("warmup", 1), "design.warmup"),
        per_round=_integer(table.get("per_round", 1), "design.per_round"),
        confidence=_number(table.get("confidence", 0.95), "design.confidence"),
    )


def _budget(table: Mapping[str, Any]) -> PlanBudget:
    _known(table, ("max_images", "max_minutes"), "budget")
    images, minutes = table.get("max_images"), table.get("max_minutes")
    return PlanBudget(
        max_images=None if images is None else _integer(images, "budget.max_images"),
        max_minutes=None if minutes is None else _number(minutes, "budget.max_minutes"),
    )


def _retry(table: Mapping[str, Any]) -> RetryPolicy:
    _known(table, ("max_attempts", "on_error", "backoff_seconds"), "retry")
    on_error = table.get("on_error", "continue")
    _require(on_error in ("continue", "stop"), "retry.on_error", 'must be "continue" or "stop"')
    return RetryPolicy(
        max_attempts=_integer(table.get("max_attempts", 3), "retry.max_attempts"),
        on_error=OnError(on_error),
        backoff_seconds=_number(table.get("backoff_seconds", 1.0), "retry.backoff_seconds"),
    )


def _typed(key: str, value: object) -> Any:
    """Whole numbers of float settings as floats; everything else as given (checked by the plan)."""
    if AXIS_TYPES[key] is float and _is_int(value):
        return float(value)  # type: ignore[arg-type]
    return value


def _known(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in known:
            path = f"{where}.{key}" if where else key
            raise PlanError(path, f"unknown key; known here: {', '.join(known)}")


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    _require(isinstance(value, dict), key, f"must be a table ([{key}])")
    return value  # type: ignore[no-any-return]


def _list(data: Mapping[str, Any], key: str, *, required: bool = False) -> list[Any]:
    if key not in data:
        _require(not required, key, "missing")
        return []
    value = data[key]
    _require(isinstance(value, list), key, "must be a list")
    return value  # type: ignore[no-any-return]


def _text(data: Mapping[str, Any], key: str, where: str = "") -> str:
    path = f"{where}.{key}" if where else key
    _require(key in data, path, "missing")
    value = data[key]
    _require(isinstance(value, str), path, f"must be text, got {value!r}")
    return value  # type: ignore[no-any-return]


def _integer(value: object, key: str) -> int:
    _require(_is_int(value), key, f"must be a whole number, got {value!r}")
    return value  # type: ignore[return-value]


def _number(value: object, key: str) -> float:
    _require(_is_int(value) or isinstance(value, float), key, f"must be a number, got {value!r}")
    return float(value)  # type: ignore[arg-type]


def _require(condition: bool, key: str, message: str) -> None:
    if not condition:
        raise PlanError(key, message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
