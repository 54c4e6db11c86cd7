"""Jobs on the shared queue: what is submitted, what a worker claims, and what the queue reports.

A job is one run. It carries its run id from the start, so a retry of a job whose worker died
after storing the record finds that record instead of making a second one. Queues are named
after models (``queue_for_model``): a worker listens to the queues of the models its backend has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from domain.errors import StableNewError

DEFAULT_QUEUE = "default"
"""The queue of jobs that leave the model to the backend (any worker may run them)."""

INTERACTIVE_PRIORITY = 10
"""``stablenew submit``: a person is waiting, so it runs before any sweep cell."""

SWEEP_PRIORITY = 0
"""A plan cell (``plan run --queue``)."""


def queue_for_model(model: str) -> str:
    """The queue a job for ``model`` goes to; an empty model (the backend's current) goes to the default."""
    return model or DEFAULT_QUEUE


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class QueueError(StableNewError):
    """The job queue could not be reached or refused a call; the message names why (never the DSN)."""


class QueueNotConfigured(QueueError):
    """No job queue is set up (no DSN, or the postgres extra is missing): a usage error, not an outage."""


class JobLost(QueueError):
    """The job is no longer this worker's (recovered after a missed heartbeat, or already finished)."""


@dataclass(frozen=True, slots=True)
class JobRequest:
    """A job to submit: one run (``payload``: the run's config and context) on ``queue``.

    ``lock`` keeps a second job with the same lock off the queue while one is pending or running
    (a plan cell's id: one job per cell, however often the plan is queued).
    """

    queue: str
    run_id: str
    payload: Mapping[str, Any]
    priority: int = SWEEP_PRIORITY
    lock: str | None = None

    def __post_init__(self) -> None:
        if not self.queue.strip():
            raise ValueError("a job's queue must not be empty")
        if not self.run_id.strip():
            raise ValueError("a job's run id must not be empty")
        object.__setattr__(self, "payload", MappingProxyType(dict(self.payload)))


@dataclass(frozen=True, slots=True)
class Submitted:
    """The job a submit made, or (``duplicate``) the pending or running job that holds its lock."""

    job_id: str
    run_id: str
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class Job:
    """A job a worker claimed; ``lost_attempts`` counts earlier claims whose worker died."""

    job_id: str
    queue: str
    run_id: str
    payload: Mapping[str, Any]
    priority: int
    worker_id: str = ""
    lost_attempts: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload", MappingProxyType(dict(self.payload)))


@dataclass(frozen=True, slots=True)
class QueueCount:
    """How many jobs of ``queue`` are in ``state``; ``worker`` is who runs or ran them (None: nobody yet)."""

    queue: str
    state: JobState
    count: int
    worker: str | None = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A registered worker: its name (host and pid unless named), its queues, its last heartbeat age."""

    worker_id: str
    name: str
    queues: tuple[str, ...]
    seconds_since_heartbeat: float


@dataclass(frozen=True, slots=True)
class JobFailure:
    job_id: str
    queue: str
    run_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """Counts per queue, state and worker; the live workers; the failed jobs with their reasons;
    the pending jobs' payloads (for the ETA)."""

    counts: tuple[QueueCount, ...]
    workers: tuple[WorkerInfo, ...] = ()
    failures: tuple[JobFailure, ...] = ()
    pending: tuple[Job, ...] = field(default=())

    def total(self, state: JobState, queue: str | None = None) -> int:
        return sum(
            count.count
            for count in self.counts
            if count.state is state and (queue is None or count.queue == queue)
        )


@dataclass(frozen=True, slots=True)
class Recovered:
    """A running job whose worker stopped heartbeating: put back (``requeued``) or failed for good."""

    job_id: str
    requeued: bool
    reason: str
