"""The plan's journal is the history: each recorded attempt of a cell, read from its record.

A plan run records every attempt (succeeded, failed or interrupted) with ``metadata.plan``:
``{"id", "name", "cell", "attempt", "variant", "retryable", "definition"}``
(docs/learning-records.md). There is no other state file: resuming, ``plan check`` and
``plan status`` read these records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from domain.plan import LearningPlan, RetryPolicy
from domain.plan_cells import LearningRunStep
from domain.record import LearningRecord
from domain.run import RunStatus

PLAN_METADATA = "plan"


class CellState(StrEnum):
    DONE = "done"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class CellAttempt:
    """One recorded try of a cell."""

    run_id: str
    cell_id: str
    attempt: int
    status: str
    plan_id: str | None = None
    error: str | None = None
    retryable: bool = False
    image_count: int = 0
    stage_durations: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage_durations", MappingProxyType(dict(self.stage_durations)))

    @property
    def succeeded(self) -> bool:
        return self.status == str(RunStatus.SUCCEEDED)

    @property
    def failed(self) -> bool:
        return self.status == str(RunStatus.FAILED)


def attempt_of(record: LearningRecord) -> CellAttempt | None:
    """The cell attempt ``record`` is, when a plan run made it; None for any other record."""
    plan = record.metadata.get(PLAN_METADATA)
    if not isinstance(plan, Mapping):
        return None
    cell, attempt = plan.get("cell"), plan.get("attempt")
    if not isinstance(cell, str) or not isinstance(attempt, int) or isinstance(attempt, bool):
        return None
    error = next((event.error for event in record.stage_events if event.error), None)
    return CellAttempt(
        run_id=record.run_id,
        cell_id=cell,
        attempt=attempt,
        status=record.status,
        plan_id=record.plan_id,
        error=error,
        retryable=plan.get("retryable") is True,
        image_count=record.metrics.image_count,
        stage_durations={
            event.stage: event.duration_ms for event in record.stage_events if event.duration_ms is not None
        },
    )


class PlanJournal:
    """Every recorded attempt, by cell id; the same run id read twice counts once."""

    def __init__(self, attempts: Iterable[CellAttempt] = ()) -> None:
        self._by_cell: dict[str, list[CellAttempt]] = defaultdict(list)
        self._seen: set[str] = set()
        for attempt in attempts:
            self.add(attempt)

    def add(self, attempt: CellAttempt) -> None:
        """Count one more recorded attempt (a plan run adds each attempt it records)."""
        if attempt.run_id in self._seen:
            return
        self._seen.add(attempt.run_id)
        tries = self._by_cell[attempt.cell_id]
        tries.append(attempt)
        tries.sort(key=lambda item: item.attempt)

    @classmethod
    def of_records(cls, records: Iterable[LearningRecord]) -> PlanJournal:
        return cls(attempt for record in records if (attempt := attempt_of(record)) is not None)

    def attempts(self, cell_id: str) -> tuple[CellAttempt, ...]:
        return tuple(self._by_cell.get(cell_id, ()))

    def next_attempt(self, cell_id: str) -> int:
        """The number of the cell's next try: one more than the highest recorded."""
        return max((item.attempt for item in self._by_cell.get(cell_id, ())), default=0) + 1

    def failures(self, cell_id: str) -> int:
        return sum(1 for item in self._by_cell.get(cell_id, ()) if item.failed)

    def succeeded(self, cell_id: str) -> CellAttempt | None:
        return next((item for item in self._by_cell.get(cell_id, ()) if item.succeeded), None)

    def state(self, cell_id: str, retry: RetryPolicy) -> CellState:
        """Done once an attempt succeeded; failed for good after a failure that cannot succeed on a
        retry (out of memory, a refused value) or ``retry.max_attempts`` failures; else pending
        (never tried, interrupted, or failed in a way a retry may mend). Interrupted tries are not
        failures."""
        if self.succeeded(cell_id) is not None:
            return CellState.DONE
        failed = [item for item in self._by_cell.get(cell_id, ()) if item.failed]
        if failed and (not failed[-1].retryable or len(failed) >= retry.max_attempts):
            return CellState.FAILED
        return CellState.PENDING

    def last_error(self, cell_id: str) -> str | None:
        failed = [item for item in self._by_cell.get(cell_id, ()) if item.failed]
        return failed[-1].error if failed else None

    def all_attempts(self) -> tuple[CellAttempt, ...]:
        return tuple(item for tries in self._by_cell.values() for item in tries)


def plan_metadata(
    plan: LearningPlan, step: LearningRunStep, attempt: int, *, retryable: bool
) -> dict[str, Any]:
    """The ``metadata.plan`` object of an attempt's record; ``definition`` is the plan's canonical
    content, so ``plan status PLAN_ID`` (and anything else) can read the plan back from its runs."""
    return {
        PLAN_METADATA: {
            "id": plan.plan_id,
            "name": plan.name,
            "cell": step.cell_id,
            "attempt": attempt,
            "variant": dict(step.variant.values),
            "retryable": retryable,
            "definition": plan.to_dict(),
        }
    }


def plan_definition(record: LearningRecord) -> Mapping[str, Any] | None:
    """The plan's canonical content a plan attempt's record holds (None for other records)."""
    plan = record.metadata.get(PLAN_METADATA)
    definition = plan.get("definition") if isinstance(plan, Mapping) else None
    return definition if isinstance(definition, Mapping) else None
