"""The JobQueue contract run against procrastinate on a real PostgreSQL server (the test fixture)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from adapters.job_queue.procrastinate_queue import ProcrastinateJobQueue
from tests.contract.job_queue_contract import JobQueueContract
from tests.postgres_server import fresh_database


class TestProcrastinateJobQueue(JobQueueContract):
    def let_time_pass(self, seconds: float) -> None:
        time.sleep(seconds)  # heartbeats are the database's clock: only real time makes one old

    @pytest.fixture
    def queue(self, queue_database: str) -> Iterator[ProcrastinateJobQueue]:
        queue = ProcrastinateJobQueue(queue_database)
        yield queue
        queue.close()


@pytest.fixture(scope="module")
def queue_database(postgres_server: str) -> Iterator[str]:
    """One database for the module (the suite's tests each use queues of their own names)."""
    with fresh_database(postgres_server) as dsn:
        yield dsn
