"""SubmitRun, QueuePlan and ShowQueue: put runs and plan cells on the shared queue, and report on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from typing import Any

from application.job_payload import payload_model, payload_stages, run_payload
from application.worker import QUEUE_METADATA
from domain.config import PipelineConfig
from domain.jobs import (
    INTERACTIVE_PRIORITY,
    SWEEP_PRIORITY,
    JobRequest,
    QueueStatus,
    Submitted,
    queue_for_model,
)
from domain.plan import DesignKind, LearningPlan, PlanError
from domain.plan_cells import LearningRunStep, attempt_run_id, plan_steps, run_order
from domain.plan_design import pending_steps
from domain.plan_journal import CellState, PlanJournal, plan_metadata
from domain.ports import JobQueue, PlanRecords, RecordReader
from domain.queue_eta import QueuedWork, QueueEta, QueueWorker, StageMedians, StageSample, queue_eta
from domain.record import LearningRecord
from domain.run import RunContext, RunStatus

TIMED_RUNS = 5000


def stage_samples(records: Iterable[LearningRecord]) -> Iterable[StageSample]:
    """The stage timings of succeeded runs, with the worker that made each (None: no worker)."""
    for record in records:
        if record.status != str(RunStatus.SUCCEEDED):
            continue
        queue = record.metadata.get(QUEUE_METADATA)
        worker = queue.get("worker") if isinstance(queue, Mapping) else None
        model = record.config.get("model")
        for event in record.stage_events:
            if event.duration_ms is not None:
                yield StageSample(
                    worker if isinstance(worker, str) else None,
                    model if isinstance(model, str) else "",
                    event.stage,
                    event.duration_ms,
                )


def estimate(
    status: QueueStatus, records: RecordReader, work: Sequence[QueuedWork] | None = None
) -> QueueEta:
    """The ETA of ``work`` (default: the pending jobs) over the live workers, by the stage timings of
    the newest ``TIMED_RUNS`` runs of the history (read from its end: the cost does not grow with it,
    and the timings are those of today's workers and models)."""
    if work is None:
        work = [QueuedWork(payload_model(job.payload), payload_stages(job.payload)) for job in status.pending]
    workers = [QueueWorker(worker.name, worker.queues) for worker in status.workers]
    newest = islice(records.iter_records(newest_first=True), TIMED_RUNS)
    return queue_eta(work, workers, StageMedians(stage_samples(newest)))


class SubmitRun:
    """One run as a job on the queue of its model, before any sweep cell (interactive priority)."""

    def __init__(self, queue: JobQueue, run_ids: Callable[[], str]) -> None:
        self._queue = queue
        self._run_ids = run_ids

    def __call__(self, config: PipelineConfig) -> Submitted:
        request = JobRequest(
            queue=queue_for_model(config.model),
            run_id=self._run_ids(),
            payload=run_payload(config),
            priority=INTERACTIVE_PRIORITY,
        )
        return self._queue.submit(request)


@dataclass(frozen=True, slots=True)
class QueuePlanReport:
    plan_id: str
    cells: int
    done_before: int
    failed_before: int
    queued: tuple[tuple[LearningRunStep, Submitted], ...]
    eta: QueueEta

    @property
    def new(self) -> int:
        return sum(1 for _, submitted in self.queued if not submitted.duplicate)


class QueuePlan:
    """Every pending cell of a plan becomes a job (sweep priority, on its model's queue).

    The records are the journal, as for ``plan run``: a cell done anywhere (in the history the
    records hold) is not queued, nor one failed for good. A cell's job carries the run id of the
    cell's next attempt and holds the cell id as its lock, so queueing the plan again while its
    jobs are pending or running adds nothing (those are reported as duplicates).
    """

    def __init__(self, queue: JobQueue, plans: PlanRecords, records: RecordReader) -> None:
        self._queue = queue
        self._plans = plans
        self._records = records

    def __call__(self, plan: LearningPlan, defaults: Mapping[str, Any]) -> QueuePlanReport:
        if plan.design.kind is DesignKind.ADAPTIVE:
            raise PlanError("design.kind", "adaptive plans cannot be queued: they choose cells as they go")
        steps = plan_steps(plan, defaults)
        journal = PlanJournal.of_records(self._plans.plan_records())
        states = [journal.state(step.cell_id, plan.retry) for step in steps]
        queued = []
        for step in pending_steps(plan, run_order(steps), journal):
            attempt = journal.next_attempt(step.cell_id)
            context = RunContext(
                plan_id=plan.plan_id,
                variant_index=step.variant.index,
                metadata=plan_metadata(plan, step, attempt, retryable=False),
            )
            request = JobRequest(
                queue=queue_for_model(step.config.model),
                run_id=attempt_run_id(step.cell_id, attempt),
                payload=run_payload(step.config, context),
                priority=SWEEP_PRIORITY,
                lock=f"cell:{step.cell_id}",
            )
            queued.append((step, self._queue.submit(request)))
        work = [QueuedWork(step.config.model, step.config.stage_plan) for step, _ in queued]
        return QueuePlanReport(
            plan.plan_id,
            len(steps),
            states.count(CellState.DONE),
            states.count(CellState.FAILED),
            tuple(queued),
            estimate(self._queue.status(), self._records, work),
        )


class PruneQueue:
    """Deletes the queue's jobs that ended long enough ago (``JobQueue.prune``): succeeded ones, and
    failed ones when asked. The records of their runs stay in the history."""

    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue

    def __call__(self, older_than: timedelta, *, failed: bool, queues: Sequence[str] | None = None) -> int:
        return self._queue.prune(older_than.total_seconds(), failed=failed, queues=queues)


@dataclass(frozen=True, slots=True)
class QueueReport:
    status: QueueStatus
    eta: QueueEta


class ShowQueue:
    """The queue's counts, workers and failures, with the ETA of its pending jobs."""

    def __init__(self, queue: JobQueue, records: RecordReader) -> None:
        self._queue = queue
        self._records = records

    def __call__(self) -> QueueReport:
        status = self._queue.status()
        return QueueReport(status, estimate(status, self._records))
