"""HistoryStats: how many runs per model and sampler, stage durations, and the rating distribution."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

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


def compute_stats(rows: Iterable[RunRow]) -> HistoryStats:
    """Counts are most-common first (ties by name); durations only from stages that have one."""
    runs = 0
    models: Counter[str] = Counter()
    samplers: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    ratings: Counter[int] = Counter()
    durations: dict[str, list[int]] = {}
    for row in rows:
        runs += 1
        models[row.model or "(unknown)"] += 1
        samplers[row.sampler or "(unknown)"] += 1
        statuses[row.status] += 1
        if row.rating is not None:
            ratings[row.rating] += 1
        for stage, ms in row.stage_durations:
            if ms is not None:
                durations.setdefault(stage, []).append(ms)
    stages = []
    for stage, values in durations.items():
        values.sort()
        stages.append(StageDurations(stage, len(values), percentile(values, 50), percentile(values, 95)))
    return HistoryStats(
        runs=runs,
        by_model=_ranked(models),
        by_sampler=_ranked(samplers),
        by_status=_ranked(statuses),
        stages=tuple(stages),
        ratings=tuple((rating, ratings[rating]) for rating in range(1, 6)),
        unrated=runs - sum(ratings.values()),
    )


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
