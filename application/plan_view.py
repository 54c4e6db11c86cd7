"""PlanViews: the plans the records hold, and one plan laid out for the review page with the
pairs worth an A-versus-B choice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from application.plan_status import CellStatus, PlanStatus, PlanStatusReport, VariantStatus
from domain.plan import LearningPlan, PlanError
from domain.plan_journal import CellState, plan_definition
from domain.ports import FeedbackStore, PlanRecords

MAX_PAIRS = 12


@dataclass(frozen=True, slots=True)
class PlanPair:
    """Two done runs of different combinations on the same prompt and seed."""

    a: CellStatus
    b: CellStatus


@dataclass(frozen=True, slots=True)
class PlanView:
    status: PlanStatusReport
    pairs: tuple[PlanPair, ...]


class PlanViews:
    """``plans`` lists the plans whose runs the records hold (newest first). Calling it shows one
    plan (by id or a unique start of one): its status, and up to ``MAX_PAIRS`` suggested pairs.

    The rule for pairs: the contenders are the combinations still in an adaptive race (else every
    combination with a done run), best mean rating first; the leader is paired with each rival in
    turn, on each prompt and seed both have a done run of, leaving out pairs a choice between
    them already exists for. Same prompt and seed, so the choice is about the settings only.
    """

    def __init__(self, plans: PlanRecords, feedback: FeedbackStore, status: PlanStatus) -> None:
        self._plans = plans
        self._feedback = feedback
        self._status = status

    def plans(self) -> list[LearningPlan]:
        found: dict[str, Mapping[str, Any]] = {}
        for record in self._plans.plan_records(newest_first=True):
            if record.plan_id and record.plan_id not in found:
                definition = plan_definition(record)
                if definition is not None:
                    found[record.plan_id] = definition
        plans = []
        for definition in found.values():
            try:
                plans.append(LearningPlan.from_dict(definition))
            except PlanError:  # written by a newer version, or hand-edited: not listed
                continue
        return plans

    def __call__(self, plan_id: str, defaults: Mapping[str, Any], max_pairs: int = MAX_PAIRS) -> PlanView:
        """Raises PlanError when no plan (or several) has that id."""
        report = self._status(self._status.by_id(plan_id), defaults)
        chosen: set[frozenset[str | None]] = {
            frozenset((event.run_id, event.worse_run_id))
            for event in self._feedback.iter_events()
            if event.kind == "choice" and event.worse_run_id
        }
        return PlanView(report, _pairs(report, chosen, max_pairs))


def _pairs(report: PlanStatusReport, chosen: set[frozenset[str | None]], most: int) -> tuple[PlanPair, ...]:
    contenders = _contenders(report)
    if len(contenders) < 2:
        return ()
    leader, rivals = contenders[0], contenders[1:]
    by_sample = {(cell.step.prompt_index, cell.step.seed): cell for cell in _done(leader)}
    queues = [
        [
            PlanPair(by_sample[(cell.step.prompt_index, cell.step.seed)], cell)
            for cell in _done(rival)
            if (cell.step.prompt_index, cell.step.seed) in by_sample
            and frozenset((by_sample[(cell.step.prompt_index, cell.step.seed)].run_id, cell.run_id))
            not in chosen
        ]
        for rival in rivals
    ]
    pairs: list[PlanPair] = []
    while len(pairs) < most and any(queues):
        for queue in queues:  # round robin: every rival gets a pair before any gets a second
            if queue and len(pairs) < most:
                pairs.append(queue.pop(0))
    return tuple(pairs)


def _contenders(report: PlanStatusReport) -> list[VariantStatus]:
    variants = [v for v in report.variants if not v.variant.excluded and _done(v)]
    if report.race is not None:
        racing = {arm: place for place, arm in enumerate(report.race.race.in_race)}
        return sorted(
            (v for v in variants if v.variant.index in racing), key=lambda v: racing[v.variant.index]
        )
    return sorted(variants, key=lambda v: (-(v.mean_rating or 0.0), v.variant.index))


def _done(variant: VariantStatus) -> list[CellStatus]:
    return [cell for cell in variant.cells if cell.state is CellState.DONE and cell.run_id]
