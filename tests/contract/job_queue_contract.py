"""The JobQueue contract (domain/ports.py), runnable against any implementation.

Subclass ``JobQueueContract`` in a ``Test...`` class and provide the ``queue`` fixture and
``let_time_pass`` (a fake clock's advance, or a real sleep). Every test uses queues of its own
names, so the suite can share one database with other tests.
"""

from __future__ import annotations

import threading
import uuid

import pytest

from domain.jobs import (
    INTERACTIVE_PRIORITY,
    SWEEP_PRIORITY,
    JobLost,
    JobRequest,
    JobState,
)
from domain.ports import JobQueue


def request(queue: str, n: int = 0, **changes: object) -> JobRequest:
    values: dict[str, object] = {
        "queue": queue,
        "run_id": f"run-{uuid.uuid4().hex[:12]}",
        "payload": {"n": n, "config": {"prompt": f"p{n}"}},
    }
    values.update(changes)
    return JobRequest(**values)  # type: ignore[arg-type]


class JobQueueContract:
    def let_time_pass(self, seconds: float) -> None:
        raise NotImplementedError

    @pytest.fixture
    def name(self) -> str:
        return f"q-{uuid.uuid4().hex[:10]}"

    def test_a_submitted_job_is_claimed_once_with_its_payload_and_run_id(
        self, queue: JobQueue, name: str
    ) -> None:
        submitted = queue.submit(request(name, 7, run_id="run-seven"))
        worker = queue.register_worker("w1", [name])
        job = queue.claim(worker, [name])
        assert job is not None
        assert (job.job_id, job.run_id, job.payload["n"], job.queue) == (
            submitted.job_id,
            "run-seven",
            7,
            name,
        )
        assert not submitted.duplicate
        assert queue.claim(worker, [name]) is None

    def test_claim_only_takes_jobs_of_the_listened_queues(self, queue: JobQueue, name: str) -> None:
        queue.submit(request(name + "-other"))
        worker = queue.register_worker("w1", [name])
        assert queue.claim(worker, [name]) is None

    def test_higher_priority_first_then_oldest(self, queue: JobQueue, name: str) -> None:
        first = queue.submit(request(name, 1, priority=SWEEP_PRIORITY))
        second = queue.submit(request(name, 2, priority=SWEEP_PRIORITY))
        urgent = queue.submit(request(name, 3, priority=INTERACTIVE_PRIORITY))
        worker = queue.register_worker("w1", [name])
        order = []
        while (job := queue.claim(worker, [name])) is not None:
            order.append(job.job_id)
            queue.succeed(job)
        assert order == [urgent.job_id, first.job_id, second.job_id]

    def test_a_lock_held_by_a_pending_or_running_job_makes_a_duplicate(
        self, queue: JobQueue, name: str
    ) -> None:
        first = queue.submit(request(name, lock=f"{name}-cell"))
        again = queue.submit(request(name, lock=f"{name}-cell"))
        assert again.duplicate
        assert again.job_id == first.job_id
        assert again.run_id == first.run_id
        worker = queue.register_worker("w1", [name])
        job = queue.claim(worker, [name])
        assert job is not None
        assert queue.submit(request(name, lock=f"{name}-cell")).duplicate
        queue.succeed(job)
        after = queue.submit(request(name, lock=f"{name}-cell"))
        assert not after.duplicate
        assert after.job_id != first.job_id

    def test_concurrent_claims_never_share_a_job(self, queue: JobQueue, name: str) -> None:
        ids = {queue.submit(request(name, n)).job_id for n in range(40)}
        claimed: list[str] = []
        guard = threading.Lock()

        def work() -> None:
            worker = queue.register_worker("w", [name])
            while (job := queue.claim(worker, [name])) is not None:
                with guard:
                    claimed.append(job.job_id)
                queue.succeed(job)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sorted(claimed) == sorted(ids)

    def test_succeed_fail_and_counts_per_state_queue_and_worker(self, queue: JobQueue, name: str) -> None:
        for n in range(4):
            queue.submit(request(name, n))
        worker = queue.register_worker("alpha", [name])
        done, failed, running = (queue.claim(worker, [name]) for _ in range(3))
        assert done is not None
        assert failed is not None
        assert running is not None
        queue.succeed(done)
        queue.fail(failed, "the backend refused: bad sampler")
        status = queue.status()
        assert status.total(JobState.PENDING, name) == 1
        assert status.total(JobState.RUNNING, name) == 1
        assert status.total(JobState.SUCCEEDED, name) == 1
        assert status.total(JobState.FAILED, name) == 1
        assert any(
            c.worker == "alpha" and c.state is JobState.RUNNING for c in status.counts if c.queue == name
        )
        reasons = {f.job_id: f.reason for f in status.failures}
        assert reasons[failed.job_id] == "the backend refused: bad sampler"
        assert any(w.worker_id == worker and w.name == "alpha" for w in status.workers)

    def test_prune_deletes_the_ended_jobs_old_enough_and_failed_ones_only_when_asked(
        self, queue: JobQueue, name: str
    ) -> None:
        for n in range(4):
            queue.submit(request(name, n))
        queue.submit(request(name + "-other", 9))
        worker = queue.register_worker("alpha", [name, name + "-other"])
        done, failed, running = (queue.claim(worker, [name]) for _ in range(3))
        other = queue.claim(worker, [name + "-other"])
        assert done is not None
        assert failed is not None
        assert running is not None
        assert other is not None
        queue.succeed(done)
        queue.fail(failed, "refused")
        queue.succeed(other)
        assert queue.prune(3600, failed=True, queues=[name]) == 0  # they ended just now
        self.let_time_pass(0.05)
        assert queue.prune(0, queues=[name]) == 1  # the succeeded one
        status = queue.status()
        assert status.total(JobState.SUCCEEDED, name) == 0
        assert status.total(JobState.FAILED, name) == 1
        assert status.total(JobState.SUCCEEDED, name + "-other") == 1  # another queue: untouched
        assert queue.prune(0, failed=True, queues=[name]) == 1
        status = queue.status()
        assert failed.job_id not in {f.job_id for f in status.failures}
        assert (status.total(JobState.PENDING, name), status.total(JobState.RUNNING, name)) == (1, 1)
        queue.succeed(running)  # a job running while prune ran is still there to finish
        assert queue.prune(0, queues=[name + "-other"]) == 1

    def test_finishing_twice_raises_job_lost(self, queue: JobQueue, name: str) -> None:
        queue.submit(request(name))
        worker = queue.register_worker("w1", [name])
        job = queue.claim(worker, [name])
        assert job is not None
        queue.succeed(job)
        with pytest.raises(JobLost):
            queue.succeed(job)
        with pytest.raises(JobLost):
            queue.hand_back(job)

    def test_hand_back_makes_the_job_pending_without_an_attempt(self, queue: JobQueue, name: str) -> None:
        queue.submit(request(name))
        worker = queue.register_worker("w1", [name])
        job = queue.claim(worker, [name])
        assert job is not None
        queue.hand_back(job)
        again = queue.claim(worker, [name])
        assert again is not None
        assert again.job_id == job.job_id
        assert again.lost_attempts == 0

    def test_a_stalled_workers_job_is_requeued_then_failed_after_max_attempts(
        self, queue: JobQueue, name: str
    ) -> None:
        submitted = queue.submit(request(name))
        for attempt in (1, 2):
            worker = queue.register_worker(f"doomed-{attempt}", [name])
            job = queue.claim(worker, [name])
            assert job is not None
            assert job.job_id == submitted.job_id
            assert job.lost_attempts == attempt - 1
            self.let_time_pass(1.5)
            recovered = [r for r in queue.recover_stalled(1.0, 2) if r.job_id == submitted.job_id]
            assert len(recovered) == 1
            assert recovered[0].requeued is (attempt == 1)
            with pytest.raises(JobLost):
                queue.succeed(job)
        status = queue.status()
        assert status.total(JobState.FAILED, name) == 1
        reason = next(f.reason for f in status.failures if f.job_id == submitted.job_id)
        assert "doomed-2" in reason
        assert "2" in reason

    def test_a_live_workers_job_is_never_recovered(self, queue: JobQueue, name: str) -> None:
        queue.submit(request(name))
        worker = queue.register_worker("alive", [name])
        job = queue.claim(worker, [name])
        assert job is not None
        self.let_time_pass(1.5)
        queue.heartbeat(worker)
        assert all(r.job_id != job.job_id for r in queue.recover_stalled(1.0, 3))
        queue.succeed(job)
        assert queue.status().total(JobState.SUCCEEDED, name) == 1

    def test_wait_returns_once_a_job_arrives(self, queue: JobQueue, name: str) -> None:
        arrived = threading.Event()

        def waiter() -> None:
            queue.wait([name], timeout=600)  # returning at the timeout would fail the test
            arrived.set()

        thread = threading.Thread(target=waiter)
        thread.start()
        queue.submit(request(name))
        assert arrived.wait(timeout=120)
        thread.join(timeout=60)

    def test_wait_gives_up_after_its_timeout(self, queue: JobQueue, name: str) -> None:
        queue.wait([name], timeout=0.2)  # returns: no job ever arrives
