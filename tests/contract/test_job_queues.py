"""The JobQueue contract run against the in-memory queue (the PostgreSQL one: tests/queue/)."""

from __future__ import annotations

import pytest

from adapters.job_queue.memory import InMemoryJobQueue
from tests.contract.job_queue_contract import JobQueueContract


class TestInMemoryJobQueue(JobQueueContract):
    now = 0.0

    def let_time_pass(self, seconds: float) -> None:
        self.now += seconds

    @pytest.fixture
    def queue(self) -> InMemoryJobQueue:
        self.now = 1000.0
        return InMemoryJobQueue(monotonic=lambda: self.now)
