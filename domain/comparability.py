"""Whether the runs behind a comparison differ only in the compared setting (docs/insights.md).

A value's rated runs are given as run ids per value; ``levels`` holds each run's ``run_levels``,
computed once per scope, so the checks stay linear in the number of runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping

from domain.insights import PARAMETERS, Evidence
from domain.run_row import RunRow

SHAPING = tuple(name for name in PARAMETERS if name != "preset")
"""The compared settings that shape the image: a preset only sets some of them (already here)."""
LEVEL_NAMES = (*SHAPING, "prompt")
"""Settings a value can be confounded with: the compared ones that shape the image and the prompt id."""

Levels = Mapping[str, Mapping[str, str | None]]


def run_levels(row: RunRow) -> dict[str, str | None]:
    """The run's value of each of PARAMETERS and ``prompt`` as text (None when the record does not say)."""
    return {
        "model": level_text("model", row.model),
        "sampler": level_text("sampler", row.sampler),
        "scheduler": level_text("scheduler", row.scheduler),
        "steps": level_text("steps", row.steps),
        "cfg": level_text("cfg", row.cfg_scale),
        "size": level_text("size", (row.width, row.height)),
        "denoising": level_text("denoising", row.denoising_strength),
        "upscaler": level_text("upscaler", row.upscaler),
        "preset": level_text("preset", row.preset),
        "prompt": level_text("prompt", row.prompt_id),
    }


def level_text(parameter: str, raw: object) -> str | None:
    """A setting's value as the insights show it: CFG and denoising strength as ``%g`` (7.0 is
    ``7``), a size ``(width, height)`` as ``WIDTHxHEIGHT``; None for a missing or empty value."""
    if parameter == "size":
        width, height = raw if isinstance(raw, tuple) else (None, None)
        return f"{width}x{height}" if width and height else None
    if raw is None or raw == "":
        return None
    if parameter in ("cfg", "denoising") and isinstance(raw, float):
        return f"{raw:g}"
    return str(raw)


def shaping_context(row: RunRow, levels: Mapping[str, str | None], parameter: str) -> tuple[object, ...]:
    """Everything that shapes the image except ``parameter``: runs alike here differ only in it."""
    others = tuple(levels[name] for name in SHAPING if name != parameter)
    return (*others, row.model_hash, row.stages, row.prompt, row.negative_prompt, row.seed)


def evidence_kinds(
    parameter: str,
    rated: Mapping[str, Collection[str]],
    runs: Mapping[str, RunRow],
    levels: Levels,
    leader: str | None,
) -> dict[str, Evidence]:
    """Per rated value: ``controlled`` when every rated run of the compared values (this one and the
    leader; for the leader, or without one, all of them) has a rated run of each other compared
    value alike in everything else (settings, prompt, seed); else ``observational``."""
    context = {
        run_id: shaping_context(runs[run_id], levels[run_id], parameter)
        for ids in rated.values()
        for run_id in ids
    }
    tried: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for value, ids in rated.items():
        for run_id in ids:
            tried[context[run_id]].add(value)

    def side_by_side(compared: set[str]) -> bool:
        return all(compared <= tried[context[run_id]] for value in compared for run_id in rated[value])

    kinds: dict[str, Evidence] = {}
    for value in rated:
        compared = set(rated) if leader is None or value == leader else {value, leader}
        kinds[value] = "controlled" if len(compared) > 1 and side_by_side(compared) else "observational"
    return kinds


def confounders(
    parameter: str, rated: Mapping[str, Collection[str]], levels: Levels
) -> dict[str, tuple[str, ...]]:
    """Per rated value, ``other=level`` for each other setting that varies among the rated runs while
    every rated run of the value used one level of it: its effect cannot be told from that level's."""
    found: dict[str, tuple[str, ...]] = {}
    for other in LEVEL_NAMES:
        if other == parameter:
            continue
        seen = {levels[run_id][other] for ids in rated.values() for run_id in ids} - {None}
        if len(seen) < 2:
            continue
        for value in sorted(rated):
            own = {levels[run_id][other] for run_id in rated[value]}
            if len(own) == 1 and None not in own:
                found[value] = (*found.get(value, ()), f"{other}={own.pop()}")
    return found
