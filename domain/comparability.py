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
NO_PRESET = "(none)"
"""The preset value of runs that applied no preset (never a preset's name: names have no brackets)."""
_PLACE = {name: place for place, name in enumerate(SHAPING)}
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
    ``7``), a size ``(width, height)`` as ``WIDTHxHEIGHT``, no preset as NO_PRESET (a run without a
    preset is compared with runs of each preset); None for a missing or empty value."""
    if parameter == "preset":
        return str(raw) if raw else NO_PRESET
    if parameter == "size":
        width, height = raw if isinstance(raw, tuple) else (None, None)
        return f"{width}x{height}" if width and height else None
    if raw is None or raw == "":
        return None
    if parameter in ("cfg", "denoising") and isinstance(raw, float):
        return f"{raw:g}"
    return str(raw)


def shaping(row: RunRow, levels: Mapping[str, str | None]) -> tuple[object, ...]:
    """Everything that shapes the run's image: its SHAPING levels in order, then (as one tuple) model
    hash, stages, prompt, negative prompt and seed. Runs alike in all of it but one parameter differ
    only in it."""
    return (
        *(levels[name] for name in SHAPING),
        (row.model_hash, row.stages, row.prompt, row.negative_prompt, row.seed),
    )


def evidence_kinds(
    parameter: str,
    rated: Mapping[str, Collection[str]],
    runs: Mapping[str, RunRow],
    levels: Levels,
    leader: str | None,
    shaped: Mapping[str, tuple[object, ...]] | None = None,
) -> dict[str, Evidence]:
    """Per rated value: ``controlled`` when every rated run of the compared values (this one and the
    leader; for the leader, or without one, all of them) has a rated run of each other compared
    value alike in everything else (settings, prompt, seed); else ``observational``.

    ``shaped`` (``shaping`` of each run, by run id) may be given to share it between parameters."""
    if shaped is None:
        shaped = {run_id: shaping(runs[run_id], levels[run_id]) for ids in rated.values() for run_id in ids}
    # Two runs can be alike in all but one setting only if their prompts, seed... are alike: without
    # two such runs nothing is controlled, and the settings need not be looked at.
    if len(rated) < 2 or not _shared({shaped[run_id][-1] for ids in rated.values() for run_id in ids}, rated):
        return dict.fromkeys(rated, "observational")
    at = _PLACE.get(parameter)
    context = {
        run_id: shaped[run_id] if at is None else shaped[run_id][:at] + shaped[run_id][at + 1 :]
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


def _shared(bases: set[object], rated: Mapping[str, Collection[str]]) -> bool:
    """True when fewer distinct bases than rated runs: some two runs share one."""
    return len(bases) < sum(len(ids) for ids in rated.values())


def confounders(
    parameter: str, rated: Mapping[str, Collection[str]], levels: Levels
) -> dict[str, tuple[str, ...]]:
    """Per rated value, ``other=level`` for each other setting that varies among the rated runs while
    every rated run of the value used one level of it: its effect cannot be told from that level's."""
    found: dict[str, tuple[str, ...]] = {}
    for other in LEVEL_NAMES:
        if other == parameter or not _varies(rated, levels, other):
            continue
        for value in sorted(rated):
            only = _only_level(rated[value], levels, other)
            if only is not None:
                found[value] = (*found.get(value, ()), f"{other}={only}")
    return found


def _varies(rated: Mapping[str, Collection[str]], levels: Levels, other: str) -> bool:
    """True when the rated runs use at least two levels of ``other`` (runs that do not say aside)."""
    first: str | None = None
    for ids in rated.values():
        for run_id in ids:
            level = levels[run_id][other]
            if level is not None:
                if first is None:
                    first = level
                elif level != first:
                    return True
    return False


def _only_level(run_ids: Collection[str], levels: Levels, other: str) -> str | None:
    """The one level of ``other`` every one of ``run_ids`` used; None when they differ or one does not say."""
    first: str | None = None
    for run_id in run_ids:
        level = levels[run_id][other]
        if level is None or (first is not None and level != first):
            return None
        first = level
    return first
