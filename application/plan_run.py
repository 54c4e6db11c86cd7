"""RunPlan: run a plan's pending cells, resuming from the records, within its budget."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from application.plan_preflight import preflight
from application.record_builder import build_learning_record
from application.runner import PipelineRunner
from domain.errors import BackendError
from domain.plan import DesignKind, LearningPlan, OnError, PlanError
from domain.plan_adaptive import RaceOutcome
from domain.plan_cells import LearningRunStep, attempt_run_id, plan_steps
from domain.plan_design import CellScheduler, FixedScheduler
from domain.plan_journal import CellAttempt, PlanJournal, attempt_of, plan_metadata
from domain.ports import ArtifactStore, Clock, ImageBackend, PlanLock, PlanRecords, RecordSink, RunDiscarding
from domain.run import RunContext, RunStatus

SchedulerFactory = Callable[[LearningPlan, tuple[LearningRunStep, ...]], CellScheduler]
_Attempt = Callable[[LearningPlan, LearningRunStep, PlanJournal], CellAttempt]


def fixed_schedulers(plan: LearningPlan, steps: tuple[LearningRunStep, ...]) -> CellScheduler:
    """The scheduler of ``grid`` and ``one_at_a_time`` plans; PlanError for an adaptive plan, which
    needs the ratings (``application.plan_ratings.design_schedulers`` gives them)."""
    if plan.design.kind is DesignKind.ADAPTIVE:
        raise PlanError(
            "design.kind", "adaptive plans need the ratings: build RunPlan with design_schedulers"
        )
    return FixedScheduler(plan, steps)


class Stop(StrEnum):
    """Why a plan run ended before every cell was done or failed."""

    BUDGET = "budget"  # the plan's max_images or max_minutes
    MAX_IMAGES = "max_images"  # --max-images of this run
    INTERRUPTED = "interrupted"
    ERROR = "error"  # a cell failed for good with retry.on_error = "stop"
    UNREACHABLE = "unreachable"  # a retryable failure outlasted retry.max_attempts


class PlanObserver(Protocol):
    """Hears a plan run's progress (the CLI draws its progress bar with it)."""

    def cells_planned(self, steps: tuple[LearningRunStep, ...]) -> None: ...

    def cell_started(self, step: LearningRunStep, attempt: int) -> None: ...

    def cell_finished(self, step: LearningRunStep, attempt: CellAttempt) -> None: ...

    def retrying(self, step: LearningRunStep, attempt: CellAttempt, delay: float) -> None: ...


class _Silent:
    def cells_planned(self, steps: tuple[LearningRunStep, ...]) -> None:
        pass

    def cell_started(self, step: LearningRunStep, attempt: int) -> None:
        pass

    def cell_finished(self, step: LearningRunStep, attempt: CellAttempt) -> None:
        pass

    def retrying(self, step: LearningRunStep, attempt: CellAttempt, delay: float) -> None:
        pass


@dataclass(frozen=True, slots=True)
class PlanRunReport:
    """What one ``plan run`` did: the cells it ran (each one's last attempt), the cells it would run
    (``dry_run``), why it stopped early (None: nothing is left to run), and for an adaptive plan
    where its race stands (``race``)."""

    plan_id: str
    cells: int
    done_before: int
    ran: tuple[tuple[LearningRunStep, CellAttempt], ...]
    would_run: tuple[LearningRunStep, ...] = ()
    stopped: Stop | None = None
    stop_reason: str | None = None
    dry_run: bool = False
    race: RaceOutcome | None = None

    @property
    def succeeded(self) -> int:
        return sum(1 for _, attempt in self.ran if attempt.succeeded)

    @property
    def failed(self) -> tuple[tuple[LearningRunStep, CellAttempt], ...]:
        return tuple((step, attempt) for step, attempt in self.ran if attempt.failed)


class RunPlan:
    """Runs the cells a plan's scheduler gives, each at most until it is done or failed for good.

    Rules: the records are the journal (a cell done in any plan is never run again, a grown plan
    reuses them); the names are checked against the backend first (a refusal raises PlanError, no
    image is made); one runner per plan (PlanLock). Every attempt is recorded, failed and
    interrupted ones too, with ``metadata.plan``. A failure the backend calls retryable (unreachable,
    timeout) is tried again after ``retry.backoff_seconds``, doubling, up to ``retry.max_attempts``
    failures; any other failure marks the cell failed (no image) and the plan goes on or stops as
    ``retry.on_error`` says. The budget is checked before each cell: a running cell is never cut
    short. An interrupted cell (Ctrl-C) is recorded as interrupted and ends the run.
    """

    def __init__(
        self,
        backend: ImageBackend,
        artifacts: ArtifactStore,
        clock: Clock,
        store: RecordSink,
        plans: PlanRecords,
        lock: PlanLock,
        *,
        schedulers: SchedulerFactory = fixed_schedulers,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._backend = backend
        self._artifacts = artifacts
        self._clock = clock
        self._store = store
        self._plans = plans
        self._lock = lock
        self._schedulers = schedulers
        self._sleep = sleep

    def __call__(
        self,
        plan: LearningPlan,
        defaults: Mapping[str, Any],
        *,
        max_images: int | None = None,
        dry_run: bool = False,
        observer: PlanObserver | None = None,
    ) -> PlanRunReport:
        """Run ``plan`` (unset settings from ``defaults``); ``max_images`` caps this run's images."""
        steps = plan_steps(plan, defaults)
        scheduler = self._schedulers(plan, steps)
        if dry_run:
            journal = self._journal()
            done = sum(1 for step in steps if journal.succeeded(step.cell_id))
            batch = scheduler.next_steps(journal)  # an adaptive plan's next round only
            batch = _within_image_budget(plan, steps, journal, batch, max_images)
            race = scheduler.outcome()
            return PlanRunReport(plan.plan_id, len(steps), done, (), batch, dry_run=True, race=race)
        with contextlib.suppress(BackendError):  # unreachable for now: the cells wait with their retries
            preflight(self._backend, plan, steps)
        with self._lock.hold(plan.name):
            journal = self._journal()  # read under the lock: a runner may have just finished
            session = _Session(plan, steps, journal, max_images, observer or _Silent())
            return session.run(scheduler, self.attempt, self._clock, self._sleep)

    def _journal(self) -> PlanJournal:
        return PlanJournal.of_records(self._plans.plan_records())

    def attempt(self, plan: LearningPlan, step: LearningRunStep, journal: PlanJournal) -> CellAttempt:
        """One recorded try of ``step``; its run id is that of the cell's next attempt number."""
        number = journal.next_attempt(step.cell_id)
        run_id = attempt_run_id(step.cell_id, number)
        if isinstance(self._artifacts, RunDiscarding):
            self._artifacts.discard(run_id)  # images of a try killed before its record was stored
        runner = PipelineRunner(self._backend, self._artifacts, self._clock, run_ids=lambda: run_id)
        result = runner.run(step.config)
        context = RunContext(
            plan_id=plan.plan_id,
            variant_index=step.variant.index,
            metadata=plan_metadata(plan, step, number, retryable=result.retryable),
        )
        record = build_learning_record(step.config, result, context)
        self._store.append_record(record)  # a RecordStoreError ends the plan run: the journal must hold
        attempt = attempt_of(record)
        assert attempt is not None  # the context above made it a plan attempt
        journal.add(attempt)
        return attempt


def _within_image_budget(
    plan: LearningPlan,
    steps: tuple[LearningRunStep, ...],
    journal: PlanJournal,
    batch: tuple[LearningRunStep, ...],
    max_images: int | None,
) -> tuple[LearningRunStep, ...]:
    """The start of ``batch`` a real run would reach before ``max_images`` or ``budget.max_images``."""
    plan_images = sum(step.images for step in steps if journal.succeeded(step.cell_id))
    images = 0
    for count, step in enumerate(batch):
        if _image_limit(plan, max_images, images, plan_images + images, step) is not None:
            return batch[:count]
        images += step.images
    return batch


def _image_limit(
    plan: LearningPlan, max_images: int | None, images: int, plan_images: int, step: LearningRunStep
) -> tuple[Stop, str] | None:
    """Why ``step`` may not run after this run's ``images`` and the plan's ``plan_images``, if so."""
    if max_images is not None and images + step.images > max_images:
        return Stop.MAX_IMAGES, f"--max-images {max_images} reached"
    cap = plan.budget.max_images
    if cap is not None and plan_images + step.images > cap:
        return Stop.BUDGET, f"budget.max_images {cap} reached"
    return None


class _Session:
    """One plan run under its lock: the budget, the retries and the report."""

    def __init__(
        self,
        plan: LearningPlan,
        steps: tuple[LearningRunStep, ...],
        journal: PlanJournal,
        max_images: int | None,
        observer: PlanObserver,
    ) -> None:
        self._plan = plan
        self._journal = journal
        self._max_images = max_images
        self._observer = observer
        self._cells = len(steps)
        self._done_before = sum(1 for step in steps if journal.succeeded(step.cell_id))
        self._plan_images = sum(step.images for step in steps if journal.succeeded(step.cell_id))
        self._images = 0
        self._ran: list[tuple[LearningRunStep, CellAttempt]] = []

    def run(
        self,
        scheduler: CellScheduler,
        attempt_of_step: _Attempt,
        clock: Clock,
        sleep: Callable[[float], None],
    ) -> PlanRunReport:
        self._attempt, self._clock, self._sleep = attempt_of_step, clock, sleep
        self._scheduler = scheduler
        self._started = clock.now()
        while batch := scheduler.next_steps(self._journal):
            self._observer.cells_planned(batch)
            for step in batch:
                stop = self._over_budget(step)
                if stop is not None:
                    return self._report(*stop)
                attempt = self._run_cell(step)
                self._ran.append((step, attempt))
                if attempt.succeeded:
                    self._images += step.images
                    self._plan_images += step.images
                    continue
                stop = self._after_failure(attempt)
                if stop is not None:
                    return self._report(*stop)
        return self._report(None, None)

    def _run_cell(self, step: LearningRunStep) -> CellAttempt:
        retry = self._plan.retry
        while True:
            self._observer.cell_started(step, self._journal.next_attempt(step.cell_id))
            attempt = self._attempt(self._plan, step, self._journal)
            failures = self._journal.failures(step.cell_id)
            if not (attempt.failed and attempt.retryable and failures < retry.max_attempts):
                self._observer.cell_finished(step, attempt)
                return attempt
            delay = retry.backoff_seconds * 2 ** (failures - 1)
            self._observer.retrying(step, attempt, delay)
            self._sleep(delay)

    def _over_budget(self, step: LearningRunStep) -> tuple[Stop, str] | None:
        stop = _image_limit(self._plan, self._max_images, self._images, self._plan_images, step)
        if stop is not None:
            return stop
        budget = self._plan.budget
        if budget.max_minutes is not None:
            minutes = (self._clock.now() - self._started).total_seconds() / 60
            if minutes >= budget.max_minutes:
                return Stop.BUDGET, f"budget.max_minutes {budget.max_minutes:g} reached"
        return None

    def _after_failure(self, attempt: CellAttempt) -> tuple[Stop, str] | None:
        if attempt.status == str(RunStatus.INTERRUPTED):
            return Stop.INTERRUPTED, "interrupted; `plan run` again continues"
        if attempt.retryable:
            tries = self._plan.retry.max_attempts
            return Stop.UNREACHABLE, f"gave up after {tries} attempts: {attempt.error}"
        if self._plan.retry.on_error is OnError.STOP:
            return Stop.ERROR, f"a cell failed and retry.on_error is stop: {attempt.error}"
        return None

    def _report(self, stopped: Stop | None, reason: str | None) -> PlanRunReport:
        return PlanRunReport(
            self._plan.plan_id,
            self._cells,
            self._done_before,
            tuple(self._ran),
            stopped=stopped,
            stop_reason=reason,
            race=self._scheduler.outcome(),
        )
