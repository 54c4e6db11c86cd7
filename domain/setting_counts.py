"""How many runs used each value of each compared setting, and how many of them failed.

What the insights need of the runs nobody rated: a value's run count and failure rate. A RunIndex
answers it in one pass (``RunIndex.setting_counts``), equal to ``count_settings`` of its rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from domain.comparability import run_levels
from domain.insights import PARAMETERS
from domain.run_row import RunRow

FAILED = "failed"


@dataclass(frozen=True, slots=True, order=True)
class SettingCount:
    """Runs of one group (pack, stage list, model hash) that used ``value`` of ``parameter``.

    ``value`` is the text the insights show (``domain.comparability.level_text``), None when the
    record does not say; ``failed`` counts the runs whose status is ``failed``.
    """

    pack: str | None
    stages: tuple[str, ...]
    model_hash: str | None
    parameter: str
    value: str | None
    runs: int
    failed: int

    def sort_key(self) -> tuple[object, ...]:
        return (
            self.pack is None, self.pack or "", self.stages, self.model_hash is None, self.model_hash or "",
            self.parameter, self.value is None, self.value or "",
        )  # fmt: skip


def count_settings(rows: Iterable[RunRow]) -> list[SettingCount]:
    """Every (group, parameter of PARAMETERS, value) with its runs and failures, in ``sort_key`` order."""
    counted: Counter[tuple[str | None, tuple[str, ...], str | None, str, str | None, bool]] = Counter()
    for row in rows:
        levels = run_levels(row)
        failed = row.status == FAILED
        for parameter in PARAMETERS:
            counted[(row.pack, row.stages, row.model_hash, parameter, levels[parameter], failed)] += 1
    return merge_counts(
        SettingCount(pack, stages, model_hash, parameter, value, runs, runs if failed else 0)
        for (pack, stages, model_hash, parameter, value, failed), runs in counted.items()
    )


def merge_counts(counts: Iterable[SettingCount]) -> list[SettingCount]:
    """Counts of the same group, parameter and value added together, in ``sort_key`` order."""
    merged: dict[tuple[str | None, tuple[str, ...], str | None, str, str | None], list[int]] = {}
    for count in counts:
        key = (count.pack, count.stages, count.model_hash, count.parameter, count.value)
        total = merged.setdefault(key, [0, 0])
        total[0] += count.runs
        total[1] += count.failed
    found = [SettingCount(*key, runs, failed) for key, (runs, failed) in merged.items()]
    return sorted(found, key=SettingCount.sort_key)
