"""The JobQueue contract run against procrastinate on a real PostgreSQL server (the test fixture)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from adapters.job_queue.procrastinate_queue import ProcrastinateJobQueue
from tests.contract.job_queue_contract import JobQueueContract


class TestProcrastinateJobQueue(JobQueueContract):
    def let_time_pass(self, seconds: float) -> None:
        time.sleep(seconds)  # heartbeats are the database's clock: only real time makes one old

    @pytest.fixture
    def queue(self, postgres_dsn: str) -> Iterator[ProcrastinateJobQueue]:
        queue = ProcrastinateJobQueue(postgres_dsn)
        yield queue
        queue.close()
