"""Which cells a plan runs next: the design's scheduler.

``plan run`` asks its scheduler for a batch of cells, runs it, and asks again with the journal as
it then stands, until the scheduler gives no cell (or the budget ends the run). ``grid`` and
``one_at_a_time`` give every pending cell in one batch; ``adaptive`` designs give rounds.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from domain.plan import LearningPlan
from domain.plan_adaptive import RaceOutcome
from domain.plan_cells import LearningRunStep, run_order
from domain.plan_journal import CellState, PlanJournal


@runtime_checkable
class CellScheduler(Protocol):
    """Chooses the cells a plan runs next.

    ``next_steps`` is called until it returns an empty tuple; each call gets the journal as it
    stands after the previous batch ran (retries included). It returns cells in the order they
    should run, each at most once per batch, and never a cell the journal shows done or failed
    for good. Besides the journal it reads only what it was given when built (the adaptive design
    reads the ratings), and may keep state between calls of one plan run. ``outcome`` is what the
    last call found of an adaptive race (None for other designs, or before the first call).
    """

    def next_steps(self, journal: PlanJournal) -> tuple[LearningRunStep, ...]: ...

    def outcome(self) -> RaceOutcome | None: ...


class FixedScheduler:
    """``grid`` and ``one_at_a_time``: every pending cell, in one batch, in run order."""

    def __init__(self, plan: LearningPlan, steps: tuple[LearningRunStep, ...]) -> None:
        self._plan = plan
        self._steps = run_order(steps)
        self._given = False

    def next_steps(self, journal: PlanJournal) -> tuple[LearningRunStep, ...]:
        if self._given:
            return ()
        self._given = True
        return pending_steps(self._plan, self._steps, journal)

    def outcome(self) -> RaceOutcome | None:
        return None


def pending_steps(
    plan: LearningPlan, steps: tuple[LearningRunStep, ...], journal: PlanJournal
) -> tuple[LearningRunStep, ...]:
    """The ``steps`` still to run (neither done nor failed for good), order kept."""
    return tuple(step for step in steps if journal.state(step.cell_id, plan.retry) is CellState.PENDING)
