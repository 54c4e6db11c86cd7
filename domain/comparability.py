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
    """The run's value of each of LEVEL_NAMES as text (None when the record does not say)."""
    raw: dict[str, object] = {
        "model": row.model,
        "sampler": row.sampler,
        "scheduler": row.scheduler,
        "steps": row.steps,
        "cfg": None if row.cfg_scale is None else f"{row.cfg_scale:g}",
        "size": row.size,
        "denoising": None if row.denoising_strength is None else f"{row.denoising_strength:g}",
        "upscaler": row.upscaler,
        "preset": row.preset,
        "prompt": row.prompt_id,
    }
    return {name: None if value is None or value == "" else str(value) for name, value in raw.items()}


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
