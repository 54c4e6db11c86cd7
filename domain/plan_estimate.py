"""How long a plan's cells will take, from the history's own stage timings (no guess without them).

Each stage of a cell is timed by the median duration of that stage in succeeded runs of the same
model (any model when the cell leaves it to the backend), sampler and size; a cell is timed when
every one of its stages is.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from domain.plan_cells import LearningRunStep
from domain.run_row import RunRow

_Key = tuple[str, str, str, int, int]  # stage, model ("" = any), sampler, width, height


@dataclass(frozen=True, slots=True)
class TimeEstimate:
    """``seconds`` for the ``timed`` cells (None when none is); ``untimed`` cells have no history."""

    seconds: float | None
    timed: int
    untimed: int

    @property
    def per_cell(self) -> float | None:
        return self.seconds / self.timed if self.seconds is not None and self.timed else None


class StageTimings:
    """Median stage durations (ms) of succeeded runs, by stage, model, sampler and size."""

    def __init__(self, rows: Iterable[RunRow]) -> None:
        samples: dict[_Key, list[int]] = defaultdict(list)
        for row in rows:
            if row.status != "succeeded" or row.width is None or row.height is None:
                continue
            for stage, duration in row.stage_durations:
                if duration is None:
                    continue
                for model in {row.model, ""}:
                    samples[(stage, model, row.sampler.casefold(), row.width, row.height)].append(duration)
        self._medians = {key: statistics.median(values) for key, values in samples.items()}

    def cell_seconds(self, step: LearningRunStep) -> float | None:
        config = step.config
        total = 0.0
        for stage in config.stage_plan:
            key = (stage, config.model, config.sampler.casefold(), config.width, config.height)
            median = self._medians.get(key)
            if median is None:
                return None
            total += median / 1000
        return total

    def estimate(self, steps: Iterable[LearningRunStep]) -> TimeEstimate:
        seconds, timed, untimed = 0.0, 0, 0
        for step in steps:
            cell = self.cell_seconds(step)
            if cell is None:
                untimed += 1
            else:
                seconds, timed = seconds + cell, timed + 1
        return TimeEstimate(seconds if timed else None, timed, untimed)
