"""PlanStatus: each cell of a plan (done, failed with its reason, pending, excluded), its ratings,
and once the plan has ended, the winner of each axis with its evidence."""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from application.insights import latest_ratings
from domain.evidence import Rating, weigh_parameter
from domain.insights import PERSONS, ValueEvidence
from domain.plan import DesignKind, LearningPlan, PlanError
from domain.plan_adaptive import RaceOutcome, RaceState, adaptive_outcome
from domain.plan_cells import LearningRunStep, PlanVariant, plan_steps, variants
from domain.plan_journal import CellState, PlanJournal, plan_definition
from domain.ports import FeedbackStore, PlanRecords
from domain.record import LearningRecord
from domain.run_row import RunRow

PARAMETER_OF_AXIS = {
    "model": "model",
    "sampler": "sampler",
    "scheduler": "scheduler",
    "steps": "steps",
    "cfg_scale": "cfg",
    "width": "size",
    "height": "size",
}
"""The insights parameter that compares an axis's values; axes not here are not compared."""


@dataclass(frozen=True, slots=True)
class CellStatus:
    step: LearningRunStep
    state: CellState
    attempts: int
    error: str | None
    run_id: str | None
    ratings: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class VariantStatus:
    """One combination of axis values and its cells (none when it is excluded)."""

    variant: PlanVariant
    cells: tuple[CellStatus, ...]

    def count(self, state: CellState) -> int:
        return sum(1 for cell in self.cells if cell.state is state)

    @property
    def ratings(self) -> tuple[int, ...]:
        return tuple(stars for cell in self.cells for stars in cell.ratings)

    @property
    def mean_rating(self) -> float | None:
        return statistics.fmean(self.ratings) if self.ratings else None

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(cell.error for cell in self.cells if cell.error))


@dataclass(frozen=True, slots=True)
class AxisWinner:
    """The value of one axis rated confidently best (``evidence``), or why there is none (``note``)."""

    key: str
    value: str | None
    evidence: ValueEvidence | None
    runner_up: ValueEvidence | None
    note: str


@dataclass(frozen=True, slots=True)
class PlanStatusReport:
    plan: LearningPlan
    variants: tuple[VariantStatus, ...]
    winners: tuple[AxisWinner, ...]
    race: RaceOutcome | None = None

    def count(self, state: CellState) -> int:
        return sum(variant.count(state) for variant in self.variants)

    @property
    def ended(self) -> bool:
        """No cell is left to run (each is done or failed for good); an adaptive plan has ended
        when its race is won or its samples are spent (the cells it left out stay pending)."""
        if self.race is not None:
            return self.race.state in (RaceState.WON, RaceState.SPENT)
        return self.count(CellState.PENDING) == 0

    @property
    def preset_command(self) -> str | None:
        """The command that saves the winners as a preset, when there is one."""
        if not any(winner.value is not None for winner in self.winners):
            return None
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", self.plan.name).strip("-.")[:64] or "plan"
        return f"stablenew preset derive --pack {_quoted(self.plan.pack)} --name {_quoted(name)}"


class PlanStatus:
    """Reads the plan's cells from the records (the journal) and their latest ratings by persons.

    ``by_id`` finds a plan by its id (or a unique prefix) in the records: each attempt's record holds
    the plan's canonical content. Winners are named only when the plan has ended, from the ratings
    of its own runs (domain.evidence, as insights weighs them); a winner must be ``best``, i.e.
    confidently better than the runner-up. An adaptive plan's report also holds its race
    (``domain.plan_adaptive``): the leader with its interval and the combinations still in it.
    """

    def __init__(self, plans: PlanRecords, feedback: FeedbackStore) -> None:
        self._plans = plans
        self._feedback = feedback

    def by_id(self, text: str) -> LearningPlan:
        """The newest plan whose id is ``text`` or starts with it; PlanError when none or several do."""
        found: dict[str, Mapping[str, Any]] = {}
        for record in self._plans.plan_records(newest_first=True):
            if record.plan_id and record.plan_id.startswith(text) and record.plan_id not in found:
                definition = plan_definition(record)
                if definition is not None:
                    found[record.plan_id] = definition
        if not found:
            raise PlanError("", f"no plan {text!r} in the records (give the plan file instead)")
        if len(found) > 1 and text not in found:
            raise PlanError("", f"{text!r} is the start of {len(found)} plan ids: {', '.join(sorted(found))}")
        return LearningPlan.from_dict(found.get(text) or next(iter(found.values())))

    def __call__(self, plan: LearningPlan, defaults: Mapping[str, Any]) -> PlanStatusReport:
        steps = plan_steps(plan, defaults)
        records = list(self._plans.plan_records())
        journal = PlanJournal.of_records(records)
        by_run = {record.run_id: record for record in records}
        person_ratings = latest_ratings(self._feedback.iter_events(), by_rater=False).get(PERSONS, [])
        ratings: dict[str, list[int]] = {}
        for rating in person_ratings:
            ratings.setdefault(rating.run_id, []).append(rating.stars)
        cells: dict[int, list[CellStatus]] = {}
        for step in steps:
            done = journal.succeeded(step.cell_id)
            run_id = done.run_id if done else None
            cells.setdefault(step.variant.index, []).append(
                CellStatus(
                    step=step,
                    state=journal.state(step.cell_id, plan.retry),
                    attempts=len(journal.attempts(step.cell_id)),
                    error=journal.last_error(step.cell_id),
                    run_id=run_id,
                    ratings=tuple(ratings.get(run_id, ())) if run_id else (),
                )
            )
        statuses = tuple(VariantStatus(v, tuple(cells.get(v.index, ()))) for v in variants(plan))
        race = (
            adaptive_outcome(plan, steps, journal, ratings)
            if plan.design.kind is DesignKind.ADAPTIVE
            else None
        )
        report = PlanStatusReport(plan, statuses, (), race)
        if not report.ended:
            return report
        return PlanStatusReport(plan, statuses, _winners(plan, statuses, by_run, person_ratings), race)


def _winners(
    plan: LearningPlan,
    statuses: tuple[VariantStatus, ...],
    records: Mapping[str, LearningRecord],
    ratings: Sequence[Rating],
) -> tuple[AxisWinner, ...]:
    rows = [
        RunRow.of(records[cell.run_id])
        for status in statuses
        for cell in status.cells
        if cell.run_id and cell.run_id in records
    ]
    ids = {row.run_id for row in rows}
    counted = [rating for rating in ratings if rating.run_id in ids]
    winners: list[AxisWinner] = []
    if not counted:
        unrated = "no ratings of its runs yet (rate them with `stablenew records rate` or on the review page)"
        return tuple(AxisWinner(axis.key, None, None, None, unrated) for axis in plan.axes)
    for axis in plan.axes:
        parameter = PARAMETER_OF_AXIS.get(axis.key)
        if parameter is None:
            winners.append(AxisWinner(axis.key, None, None, None, "not compared by insights"))
            continue
        weighed = weigh_parameter(parameter, rows, counted)
        if weighed is None:
            winners.append(AxisWinner(axis.key, None, None, None, "the plan's runs used one value only"))
            continue
        leader = weighed.values[0]
        others = [value for value in weighed.values[1:] if value.mean is not None]
        runner_up = max(others, key=lambda value: value.mean or 0.0) if others else None
        if leader.verdict == "best":
            winners.append(AxisWinner(axis.key, leader.value, leader, runner_up, "confidently best"))
        else:
            needed = leader.more_ratings_needed
            more = f"; about {needed} more rating(s) of each value would settle it" if needed else ""
            winners.append(AxisWinner(axis.key, None, leader, runner_up, f"no confident winner yet{more}"))
    return tuple(winners)


def _quoted(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9._/-]+", text) else "'" + text.replace("'", "'\\''") + "'"
