"""HistoryStats: how many runs per model and sampler, stage durations, and the rating distribution."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domain.config import STAGE_NAMES
from domain.run_row import RunRow


@dataclass(frozen=True, slots=True)
class StageDurations:
    stage: str
    count: int
    p50_ms: int
    p95_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "count": self.count, "p50_ms": self.p50_ms, "p95_ms": self.p95_ms}


@dataclass(frozen=True, slots=True)
class HistoryStats:
    runs: int
    by_model: tuple[tuple[str, int], ...]
    by_sampler: tuple[tuple[str, int], ...]
    by_status: tuple[tuple[str, int], ...]
    stages: tuple[StageDurations, ...]
    ratings: tuple[tuple[int, int], ...]  # (1..5, count), every rating present
    unrated: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "by_model": dict(self.by_model),
            "by_sampler": dict(self.by_sampler),
            "by_status": dict(self.by_status),
            "stage_durations": [stage.to_dict() for stage in self.stages],
            "ratings": {str(rating): count for rating, count in self.ratings},
            "unrated": self.unrated,
        }


def percentile(sorted_values: list[int], percent: float) -> int:
    """Nearest-rank percentile of an ascending, non-empty list."""
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def percentile_of_counts(histogram: list[tuple[int, int]], percent: float) -> int:
    """Nearest-rank percentile of the values ``(value, how many times)``, ascending, non-empty."""
    rank = max(1, math.ceil(percent / 100 * sum(count for _value, count in histogram)))
    seen = 0
    for value, count in histogram:
        seen += count
        if seen >= rank:
            return value
    raise ValueError("an empty histogram has no percentile")


def stage_order(stage: str) -> tuple[int, str]:
    """Pipeline stages in pipeline order, then any other stage by name."""
    return (STAGE_NAMES.index(stage) if stage in STAGE_NAMES else len(STAGE_NAMES), stage)


def ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    """Most common first, ties by name."""
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def compute_stats(rows: Iterable[RunRow]) -> HistoryStats:
    """The stats of ``rows``: counts are most-common first (ties by name), a model or sampler
    that is empty counts as ``(unknown)``; durations come only from stages that have one."""
    tally = StatsTally()
    for row in rows:
        tally.add(row)
    return tally.stats()


class StatsTally:
    """``compute_stats`` one row at a time, for a caller that reads the rows for something else too."""

    def __init__(self) -> None:
        self.runs = 0
        self.models: Counter[str] = Counter()
        self.samplers: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.ratings: Counter[int] = Counter()
        self.durations: dict[str, list[int]] = {}

    def add(self, row: RunRow) -> None:
        self.runs += 1
        self.models[row.model or "(unknown)"] += 1
        self.samplers[row.sampler or "(unknown)"] += 1
        self.statuses[row.status] += 1
        if row.rating is not None:
            self.ratings[row.rating] += 1
        for stage, ms in row.stage_durations:
            if ms is not None:
                self.durations.setdefault(stage, []).append(ms)

    def stats(self) -> HistoryStats:
        stages = []
        for stage in sorted(self.durations, key=stage_order):
            values = sorted(self.durations[stage])
            stages.append(StageDurations(stage, len(values), percentile(values, 50), percentile(values, 95)))
        return HistoryStats(
            runs=self.runs,
            by_model=ranked(self.models),
            by_sampler=ranked(self.samplers),
            by_status=ranked(self.statuses),
            stages=tuple(stages),
            ratings=tuple((rating, self.ratings[rating]) for rating in range(1, 6)),
            unrated=self.runs - sum(self.ratings.values()),
        )
