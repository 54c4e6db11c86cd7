"""CheckPlan: what ``plan run`` would do, without generating anything."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from application.history import History
from application.plan_preflight import preflight
from domain.plan import LearningPlan
from domain.plan_cells import LearningRunStep, PlanVariant, model_switches, plan_steps, run_order, variants
from domain.plan_design import pending_steps
from domain.plan_estimate import StageTimings, TimeEstimate
from domain.plan_journal import CellState, PlanJournal
from domain.ports import ImageBackend, PlanRecords
from domain.run_filter import RunFilter, literal
from domain.run_row import RunRow


@dataclass(frozen=True, slots=True)
class PlanCheckReport:
    plan: LearningPlan
    steps: tuple[LearningRunStep, ...]
    variants: tuple[PlanVariant, ...]
    done: int
    failed: int
    pending: tuple[LearningRunStep, ...]
    model_switches: int
    estimate: TimeEstimate

    @property
    def excluded(self) -> tuple[PlanVariant, ...]:
        return tuple(variant for variant in self.variants if variant.excluded)

    @property
    def images(self) -> int:
        return sum(step.images for step in self.steps)

    @property
    def pending_images(self) -> int:
        return sum(step.images for step in self.pending)


class CheckPlan:
    """Validates a plan against the settings and the backend's names (PlanError on a refusal; a
    BackendError when the backend cannot be asked), and counts its cells: done in the history
    (by any plan), failed for good, pending, with the time the pending ones should take by the
    history's own stage timings."""

    def __init__(self, backend: ImageBackend, plans: PlanRecords, history: History) -> None:
        self._backend = backend
        self._plans = plans
        self._history = history

    def __call__(self, plan: LearningPlan, defaults: Mapping[str, Any]) -> PlanCheckReport:
        steps = plan_steps(plan, defaults)
        preflight(self._backend, plan, steps)
        journal = PlanJournal.of_records(self._plans.plan_records())
        states = [journal.state(step.cell_id, plan.retry) for step in steps]
        pending = pending_steps(plan, run_order(steps), journal)
        return PlanCheckReport(
            plan=plan,
            steps=steps,
            variants=variants(plan),
            done=states.count(CellState.DONE),
            failed=states.count(CellState.FAILED),
            pending=pending,
            model_switches=model_switches(pending),
            estimate=StageTimings(self._timed_rows(pending)).estimate(pending),
        )

    def _timed_rows(self, steps: Iterable[LearningRunStep]) -> Iterator[RunRow]:
        """The succeeded runs the steps can be timed by: of their models (of any model for a step that
        leaves the model to the backend) and samplers, each run once; the index picks them out."""
        seen: set[str] = set()
        for model, sampler in sorted({(step.config.model, step.config.sampler) for step in steps}):
            wanted = RunFilter(
                status="succeeded", model=literal(model) if model else None, sampler=literal(sampler)
            )
            for row in self._history.iter_rows(wanted):
                if row.run_id not in seen:
                    seen.add(row.run_id)
                    yield row
