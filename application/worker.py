"""RunWorker: take jobs off the shared queue one at a time and run each against this machine's backend.

Rules:
- It listens to the queues of the models its backend has (read from the backend), plus the
  default queue, unless told which queues; so a job for model X only runs where X is installed.
- A job carries its run id. Before running, the record of that run id is looked up: found (a
  worker stored it and died before finishing the job), the job ends as that record ended and is
  reported as a duplicate; nothing runs again and nothing is stored twice.
- A heartbeat goes out every ``heartbeat`` seconds while it runs, and every ``recover_every``
  seconds it re-queues the jobs of workers whose heartbeat stopped ``stalled_after`` seconds ago
  (failing them with the reason after ``max_attempts`` lost claims); it judges others only once it
  has been connected for ``stalled_after`` seconds itself (after an outage, or at its start).
- ``stop()`` true: it finishes the job it runs, then returns. KeyboardInterrupt (a second Ctrl-C)
  during a job hands that job back to the queue and propagates.
- The queue's database away: it waits and tries again; a record is stored before its job is
  finished, so an outage never loses one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from application.job_payload import payload_config, payload_context
from application.record_builder import build_learning_record
from application.runner import PipelineRunner
from domain.errors import StableNewError
from domain.jobs import DEFAULT_QUEUE, Job, JobLost, QueueError, queue_for_model
from domain.ports import (
    ArtifactStore,
    BackendInspector,
    Clock,
    ImageBackend,
    JobQueue,
    RecordSink,
    RunDiscarding,
)
from domain.record import LearningRecord
from domain.run import RunStatus

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

QUEUE_METADATA = "queue"
"""``metadata.queue`` of a record a worker stored: ``{"job_id", "queue", "worker"}``."""

FindRecord = Callable[[str], LearningRecord | None]


@dataclass(frozen=True, slots=True)
class WorkerPolicy:
    heartbeat: float = 10.0
    stalled_after: float = 60.0
    max_attempts: int = 3
    poll: float = 5.0
    recover_every: float = 10.0

    def __post_init__(self) -> None:
        if self.stalled_after < 5 * self.heartbeat:
            raise ValueError("stalled_after must be at least 5 times the heartbeat")


@dataclass(frozen=True, slots=True)
class JobOutcome:
    job: Job
    status: str  # succeeded, failed, duplicate, handed_back, lost
    reason: str | None = None


@dataclass
class WorkerReport:
    name: str
    queues: tuple[str, ...]
    outcomes: list[JobOutcome] = field(default_factory=list)


class WorkerObserver(Protocol):
    def listening(self, name: str, queues: tuple[str, ...]) -> None: ...

    def job_started(self, job: Job) -> None: ...

    def job_finished(self, outcome: JobOutcome) -> None: ...

    def queue_unavailable(self, error: QueueError) -> None: ...


class _Silent:
    def listening(self, name: str, queues: tuple[str, ...]) -> None:
        pass

    def job_started(self, job: Job) -> None:
        pass

    def job_finished(self, outcome: JobOutcome) -> None:
        pass

    def queue_unavailable(self, error: QueueError) -> None:
        pass


def listened_queues(inspector: BackendInspector) -> tuple[str, ...]:
    """The queues of the models the backend has, then the default queue."""
    models = inspector.report().models
    return (*dict.fromkeys(queue_for_model(model) for model in models if model), DEFAULT_QUEUE)


class RunWorker:
    def __init__(
        self,
        queue: JobQueue,
        backend: ImageBackend,
        artifacts: ArtifactStore,
        clock: Clock,
        sink: RecordSink,
        find_record: FindRecord,
        policy: WorkerPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._queue = queue
        self._backend = backend
        self._artifacts = artifacts
        self._clock = clock
        self._sink = sink
        self._find = find_record
        self._policy = policy
        self._sleep = sleep

    def __call__(
        self,
        name: str,
        queues: Sequence[str],
        *,
        stop: Callable[[], bool],
        max_jobs: int | None = None,
        observer: WorkerObserver | None = None,
    ) -> WorkerReport:
        observer = observer or _Silent()
        listened = tuple(queues)
        report = WorkerReport(name, listened)
        worker_id = self._retrying(lambda: self._queue.register_worker(name, listened), observer, stop)
        if worker_id is None:
            return report
        observer.listening(name, listened)
        pulse = _Pulse(self._queue, self._policy, worker_id)
        pulse.start()
        try:
            while not stop() and (max_jobs is None or len(report.outcomes) < max_jobs):
                try:
                    job = self._queue.claim(pulse.worker_id, listened)
                except JobLost:  # found stalled during an outage: come back as a new worker
                    again = self._retrying(
                        lambda: self._queue.register_worker(name, listened), observer, stop
                    )
                    if again is None:
                        break
                    pulse.worker_id = again
                    continue
                except QueueError as exc:
                    observer.queue_unavailable(exc)
                    self._sleep(min(self._policy.poll, 1.0))
                    continue
                if job is None:
                    self._queue.wait(listened, self._policy.poll)
                    continue
                observer.job_started(job)
                outcome = self._execute(job, name, stop, observer)
                report.outcomes.append(outcome)
                observer.job_finished(outcome)
        finally:
            pulse.stop()
            with contextlib.suppress(QueueError):  # its jobs are recovered as stalled then
                self._queue.unregister_worker(pulse.worker_id)
        return report

    def _execute(self, job: Job, name: str, stop: Callable[[], bool], observer: WorkerObserver) -> JobOutcome:
        try:
            stored = self._find(job.run_id)
            if stored is not None:
                return self._settle(job, stored, observer, stop, duplicate=True)
            record = self._run(job, name)
        except KeyboardInterrupt:
            self._hand_back(job)
            raise
        except (StableNewError, KeyError, TypeError, ValueError) as exc:  # a payload that cannot run:
            # the job fails with the reason, the worker goes on
            return self._end(job, "failed", f"{type(exc).__name__}: {exc}", observer, stop)
        if record is None:
            self._hand_back(job)
            return JobOutcome(job, "handed_back", "interrupted")
        return self._settle(job, record, observer, stop, duplicate=False)

    def _run(self, job: Job, name: str) -> LearningRecord | None:
        config = payload_config(job.payload)
        if isinstance(self._artifacts, RunDiscarding):
            self._artifacts.discard(job.run_id)  # images of a claim that died before its record
        runner = PipelineRunner(self._backend, self._artifacts, self._clock, run_ids=lambda: job.run_id)
        result = runner.run(config)
        if result.status is RunStatus.INTERRUPTED:
            return None
        extra = {QUEUE_METADATA: {"job_id": job.job_id, "queue": job.queue, "worker": name}}
        context = payload_context(job.payload, retryable=result.retryable, extra=extra)
        record = build_learning_record(config, result, context)
        self._sink.append_record(record)  # before the job ends: a kill after this finds it
        return record

    def _settle(
        self,
        job: Job,
        record: LearningRecord,
        observer: WorkerObserver,
        stop: Callable[[], bool],
        *,
        duplicate: bool,
    ) -> JobOutcome:
        if record.status == str(RunStatus.SUCCEEDED):
            outcome = self._end(job, "succeeded", None, observer, stop)
        else:
            error = next((e.error for e in record.stage_events if e.error), None) or record.status
            outcome = self._end(job, "failed", error, observer, stop)
        if duplicate and outcome.status in ("succeeded", "failed"):
            return JobOutcome(job, "duplicate", outcome.reason or f"run {job.run_id} was already recorded")
        return outcome

    def _end(
        self, job: Job, status: str, reason: str | None, observer: WorkerObserver, stop: Callable[[], bool]
    ) -> JobOutcome:
        def finish() -> bool:
            if status == "succeeded":
                self._queue.succeed(job)
            else:
                self._queue.fail(job, reason or "failed")
            return True

        try:
            if self._retrying(finish, observer, stop) is None:
                return JobOutcome(job, "lost", "the queue stayed away; the job will be recovered")
        except JobLost as exc:
            return JobOutcome(job, "lost", str(exc))
        return JobOutcome(job, status, reason)

    def _hand_back(self, job: Job) -> None:
        try:
            self._queue.hand_back(job)
        except QueueError as exc:  # the job is recovered as stalled once this worker is gone
            logger.warning("could not hand job %s back: %s", job.job_id, exc)

    def _retrying(
        self, call: Callable[[], _T], observer: WorkerObserver, stop: Callable[[], bool]
    ) -> _T | None:
        """``call()`` until the queue answers; None when ``stop()`` turns true first."""
        delay = 0.2
        while True:
            try:
                return call()
            except QueueError as exc:
                observer.queue_unavailable(exc)
                if stop():
                    return None
                self._sleep(delay)
                delay = min(delay * 2, 2.0)


class _Pulse:
    """The heartbeat and the periodic stalled-job recovery, on a side thread."""

    def __init__(self, queue: JobQueue, policy: WorkerPolicy, worker_id: str) -> None:
        self._queue = queue
        self._policy = policy
        self.worker_id = worker_id
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="stablenew-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        # Others are judged only after this worker has itself been connected for a whole stalled
        # window: after an outage every live worker's last heartbeat is old until it beats again.
        connected_since: float | None = time.monotonic()
        last_recovery = float("-inf")
        while not self._done.wait(self._policy.heartbeat):
            try:
                self._queue.heartbeat(self.worker_id)
                now = time.monotonic()
                connected_since = now if connected_since is None else connected_since
                settled = now - connected_since >= self._policy.stalled_after
                if settled and now - last_recovery >= self._policy.recover_every:
                    last_recovery = now
                    for recovered in self._queue.recover_stalled(
                        self._policy.stalled_after, self._policy.max_attempts
                    ):
                        logger.warning("job %s: %s", recovered.job_id, recovered.reason)
            except QueueError as exc:
                if connected_since is not None:  # once per outage
                    logger.warning("heartbeat: %s", exc)
                connected_since = None
