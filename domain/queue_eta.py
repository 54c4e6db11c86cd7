"""When the queued jobs will be done, from the history's recorded stage timings per worker and model.

Each job is timed, on each worker that can take it, by the median duration of each of its stages in
succeeded runs of that worker and model; lacking those, of that model on any worker; lacking those,
of that stage on any model. The jobs are then handed out in queue order, each to the worker that
would finish it first (the workers run in parallel, one job at a time each): the ETA is when the
last worker is done. A job no worker listens for, or no timing covers, is counted as untimed.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from domain.jobs import queue_for_model


@dataclass(frozen=True, slots=True)
class StageSample:
    """One stage of one succeeded run; ``worker`` is None for a run no worker made."""

    worker: str | None
    model: str
    stage: str
    duration_ms: int


@dataclass(frozen=True, slots=True)
class QueuedWork:
    """A pending job: its model ("" = the backend's current) and its stages, in queue order."""

    model: str
    stages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QueueWorker:
    name: str
    queues: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QueueEta:
    """``seconds`` until the timed jobs are done (None when none is); per worker, its share."""

    seconds: float | None
    timed: int
    untimed: int
    per_worker: tuple[tuple[str, float], ...] = ()


class StageMedians:
    """Median stage durations (seconds) by (worker, model, stage), (model, stage) and stage."""

    def __init__(self, samples: Iterable[StageSample]) -> None:
        by_worker: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        by_model: dict[tuple[str, str], list[int]] = defaultdict(list)
        by_stage: dict[str, list[int]] = defaultdict(list)
        for sample in samples:
            if sample.worker is not None:
                by_worker[(sample.worker, sample.model, sample.stage)].append(sample.duration_ms)
            by_model[(sample.model, sample.stage)].append(sample.duration_ms)
            by_stage[sample.stage].append(sample.duration_ms)
        self._worker = {key: statistics.median(v) / 1000 for key, v in by_worker.items()}
        self._model = {key: statistics.median(v) / 1000 for key, v in by_model.items()}
        self._stage = {key: statistics.median(v) / 1000 for key, v in by_stage.items()}

    def seconds(self, worker: str, work: QueuedWork) -> float | None:
        total = 0.0
        for stage in work.stages:
            value = self._worker.get((worker, work.model, stage))
            if value is None:
                value = self._model.get((work.model, stage))
            if value is None:
                value = self._stage.get(stage)
            if value is None:
                return None
            total += value
        return total


def queue_eta(work: Sequence[QueuedWork], workers: Sequence[QueueWorker], medians: StageMedians) -> QueueEta:
    """The ETA of ``work`` over ``workers`` (see the module's text for the rule)."""
    load = {worker.name: 0.0 for worker in workers}
    timed = untimed = 0
    for item in work:
        queue = queue_for_model(item.model)
        best: tuple[float, str] | None = None
        for worker in workers:
            if queue not in worker.queues:
                continue
            seconds = medians.seconds(worker.name, item)
            if seconds is None:
                continue
            finish = load[worker.name] + seconds
            if best is None or finish < best[0]:
                best = (finish, worker.name)
        if best is None:
            untimed += 1
            continue
        load[best[1]] = best[0]
        timed += 1
    return QueueEta(
        max(load.values()) if timed else None,
        timed,
        untimed,
        tuple(sorted(load.items())),
    )
