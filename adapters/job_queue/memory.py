"""InMemoryJobQueue: the JobQueue of one process (tests, the benchmark's baseline).

It runs through the same contract suite as the PostgreSQL queue (tests/contract/).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from domain.jobs import (
    Job,
    JobFailure,
    JobLost,
    JobRequest,
    JobState,
    QueueCount,
    QueueStatus,
    Recovered,
    Submitted,
    WorkerInfo,
)
from domain.ports import JobQueue


@dataclass
class _Entry:
    job: Job
    lock: str | None
    state: JobState = JobState.PENDING
    worker: str | None = None  # the name of who runs or ran it
    reason: str | None = None
    ended: float | None = None  # when it succeeded or failed for good


@dataclass
class _Worker:
    name: str
    queues: tuple[str, ...]
    beat: float


class InMemoryJobQueue(JobQueue):
    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._now = monotonic
        self._guard = threading.Condition()
        self._ids = itertools.count(1)
        self._jobs: dict[str, _Entry] = {}
        self._workers: dict[str, _Worker] = {}

    def submit(self, request: JobRequest) -> Submitted:
        with self._guard:
            if request.lock is not None:
                for entry in self._jobs.values():
                    active = entry.state in (JobState.PENDING, JobState.RUNNING)
                    if active and entry.lock == request.lock:
                        return Submitted(entry.job.job_id, entry.job.run_id, duplicate=True)
            job_id = str(next(self._ids))
            job = Job(job_id, request.queue, request.run_id, request.payload, request.priority)
            self._jobs[job_id] = _Entry(job, request.lock)
            self._guard.notify_all()
            return Submitted(job_id, request.run_id)

    def register_worker(self, name: str, queues: Sequence[str]) -> str:
        with self._guard:
            worker_id = f"w{next(self._ids)}"
            self._workers[worker_id] = _Worker(name, tuple(queues), self._now())
            return worker_id

    def heartbeat(self, worker_id: str) -> None:
        with self._guard:
            worker = self._workers.get(worker_id)
            if worker is not None:
                worker.beat = self._now()

    def unregister_worker(self, worker_id: str) -> None:
        with self._guard:
            self._workers.pop(worker_id, None)

    def claim(self, worker_id: str, queues: Sequence[str]) -> Job | None:
        with self._guard:
            worker = self._workers.get(worker_id)
            if worker is None:
                raise JobLost(f"worker {worker_id} is not registered")
            running_locks = {e.lock for e in self._jobs.values() if e.state is JobState.RUNNING and e.lock}
            candidates = [
                entry
                for entry in self._jobs.values()
                if entry.state is JobState.PENDING
                and entry.job.queue in queues
                and (entry.lock is None or entry.lock not in running_locks)
            ]
            if not candidates:
                return None
            entry = min(candidates, key=lambda item: (-item.job.priority, int(item.job.job_id)))
            entry.state, entry.worker = JobState.RUNNING, worker.name
            entry.job = replace(entry.job, worker_id=worker_id)
            return entry.job

    def wait(self, queues: Sequence[str], timeout: float) -> None:
        with self._guard:
            self._guard.wait_for(
                lambda: any(
                    e.state is JobState.PENDING and e.job.queue in queues for e in self._jobs.values()
                ),
                timeout=timeout,
            )

    def succeed(self, job: Job) -> None:
        self._finish(job, JobState.SUCCEEDED, None)

    def fail(self, job: Job, reason: str) -> None:
        self._finish(job, JobState.FAILED, reason)

    def hand_back(self, job: Job) -> None:
        with self._guard:
            entry = self._running(job)
            entry.state, entry.worker = JobState.PENDING, None
            entry.job = replace(entry.job, worker_id="")
            self._guard.notify_all()

    def recover_stalled(self, stalled_after: float, max_attempts: int) -> tuple[Recovered, ...]:
        with self._guard:
            now = self._now()
            dead = {wid for wid, w in self._workers.items() if now - w.beat > stalled_after}
            for worker_id in dead:
                del self._workers[worker_id]
            recovered = []
            for entry in self._jobs.values():
                if entry.state is not JobState.RUNNING or entry.job.worker_id in self._workers:
                    continue
                lost = entry.job.lost_attempts + 1
                reason = f"its worker {entry.worker} stopped (attempt {lost} of {max_attempts})"
                entry.job = replace(entry.job, worker_id="", lost_attempts=lost)
                if lost >= max_attempts:
                    entry.state, entry.reason = JobState.FAILED, f"failed for good: {reason}"
                    entry.ended = now
                    recovered.append(Recovered(entry.job.job_id, False, entry.reason))
                else:
                    entry.state, entry.worker = JobState.PENDING, None
                    recovered.append(Recovered(entry.job.job_id, True, reason))
            self._guard.notify_all()
            return tuple(recovered)

    def status(self) -> QueueStatus:
        with self._guard:
            tally: dict[tuple[str, JobState, str | None], int] = {}
            for entry in self._jobs.values():
                key = (entry.job.queue, entry.state, entry.worker)
                tally[key] = tally.get(key, 0) + 1
            now = self._now()
            return QueueStatus(
                counts=tuple(QueueCount(q, s, n, w) for (q, s, w), n in sorted(tally.items(), key=str)),
                workers=tuple(
                    WorkerInfo(wid, w.name, w.queues, now - w.beat) for wid, w in self._workers.items()
                ),
                failures=tuple(
                    JobFailure(e.job.job_id, e.job.queue, e.job.run_id, e.reason or "")
                    for e in self._jobs.values()
                    if e.state is JobState.FAILED
                ),
                pending=tuple(e.job for e in self._jobs.values() if e.state is JobState.PENDING),
            )

    def prune(self, older_than: float, *, failed: bool = False, queues: Sequence[str] | None = None) -> int:
        ended = {JobState.SUCCEEDED, JobState.FAILED} if failed else {JobState.SUCCEEDED}
        with self._guard:
            now = self._now()
            old = [
                job_id
                for job_id, entry in self._jobs.items()
                if entry.state in ended
                and entry.ended is not None
                and now - entry.ended >= older_than
                and (queues is None or entry.job.queue in queues)
            ]
            for job_id in old:
                del self._jobs[job_id]
            return len(old)

    def _running(self, job: Job) -> _Entry:
        entry = self._jobs.get(job.job_id)
        if entry is None or entry.state is not JobState.RUNNING or entry.job.worker_id != job.worker_id:
            raise JobLost(f"job {job.job_id} is no longer running for this worker")
        return entry

    def _finish(self, job: Job, state: JobState, reason: str | None) -> None:
        with self._guard:
            entry = self._running(job)
            entry.state, entry.reason, entry.ended = state, reason, self._now()
