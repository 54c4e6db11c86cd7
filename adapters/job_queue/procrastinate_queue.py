"""ProcrastinateJobQueue: the JobQueue on PostgreSQL, through procrastinate's schema and queries.

procrastinate does the hard parts: claiming with ``FOR UPDATE SKIP LOCKED`` (two workers never get
one job), priorities, locks and queueing locks, worker heartbeats, LISTEN/NOTIFY on new jobs. This
adapter drives its SQL synchronously (one claim at a time per worker) and keeps, beside it, who
claimed each job and how each claim ended (adapters/job_queue/tables.py).

Only this module imports procrastinate and psycopg (the ``postgres`` extra).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import psycopg
import psycopg_pool
from procrastinate import exceptions as pq_exceptions
from procrastinate import jobs as pq_jobs
from procrastinate import manager as pq_manager
from procrastinate import schema as pq_schema
from procrastinate.sql import queries
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
from psycopg import sql
from psycopg.rows import dict_row

from adapters.job_queue import tables
from adapters.urls import dsn_secrets
from domain.jobs import (
    Job,
    JobFailure,
    JobLost,
    JobRequest,
    JobState,
    QueueCount,
    QueueError,
    QueueStatus,
    Recovered,
    Submitted,
    WorkerInfo,
)
from domain.ports import JobQueue

TASK = "stablenew.run"

# The pool logs every failed reconnection with a traceback-like warning; callers get one QueueError
# line instead (a worker prints it once per outage).
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
_T = TypeVar("_T")


class ProcrastinateJobQueue(JobQueue):
    """``dsn`` is a libpq connection string (a secret: it is never put in an error or a log).

    ``connect_timeout`` bounds how long a call waits for a connection before ``QueueError``.
    Nothing connects until the first call; the schema (procrastinate's and ours) is applied then,
    once per database.
    """

    def __init__(self, dsn: str, *, connect_timeout: float = 10.0, max_connections: int = 4) -> None:
        self._dsn = dsn
        self._timeout = connect_timeout
        self._max = max_connections
        self._connector: SyncPsycopgConnector | None = None
        self._listener: psycopg.Connection[Any] | None = None
        self._listening: tuple[str, ...] = ()
        self._opening = threading.Lock()  # the heartbeat thread and the worker may open it together

    # -- the port ---------------------------------------------------------------------------------

    def submit(self, request: JobRequest) -> Submitted:
        args: dict[str, Any] = {"run_id": request.run_id, "payload": dict(request.payload)}
        job = pq_jobs.Job(
            queue=request.queue,
            priority=request.priority,
            lock=request.lock,
            queueing_lock=request.lock,
            task_name=TASK,
            task_kwargs=args,
        )

        def go() -> Submitted:
            connector = self._open()
            if request.lock is not None and (held := self._holder(request.lock)) is not None:
                return held
            try:
                deferred = pq_manager.JobManager(connector).defer_job(job)
            except pq_exceptions.AlreadyEnqueued:
                held = self._holder(request.lock or "")
                if held is None:  # the holder was finished meanwhile: submit again
                    deferred = pq_manager.JobManager(connector).defer_job(job)
                else:
                    return held
            return Submitted(str(deferred.id), request.run_id)

        return self._guarded(go)

    def register_worker(self, name: str, queues: Sequence[str]) -> str:
        def go() -> str:
            with self._transaction() as conn:
                row = self._one(conn, queries["register_worker"])
                worker_id = row["worker_id"]
                conn.execute(
                    "INSERT INTO stablenew_queue_workers (worker_id, name, queues) VALUES (%s, %s, %s)",
                    (worker_id, name, list(queues)),
                )
            return str(worker_id)

        return self._guarded(go)

    def heartbeat(self, worker_id: str) -> None:
        self._guarded(
            lambda: self._open().execute_query(queries["update_heartbeat"], worker_id=int(worker_id))
        )

    def unregister_worker(self, worker_id: str) -> None:
        def go() -> None:
            with self._transaction() as conn:
                conn.execute(queries["unregister_worker"], {"worker_id": int(worker_id)})
                conn.execute("DELETE FROM stablenew_queue_workers WHERE worker_id = %s", (int(worker_id),))

        self._guarded(go)

    def claim(self, worker_id: str, queues: Sequence[str]) -> Job | None:
        def go() -> Job | None:
            with self._transaction() as conn:
                name = conn.execute(
                    "SELECT name FROM stablenew_queue_workers WHERE worker_id = %s", (int(worker_id),)
                ).fetchone()
                if name is None:
                    raise JobLost(f"worker {worker_id} is not registered (it was found stalled)")
                row = self._one(conn, queries["fetch_job"], queues=list(queues), worker_id=int(worker_id))
                if row["id"] is None:
                    return None
                lost = conn.execute(
                    "SELECT count(*) AS n FROM stablenew_queue_claims WHERE job_id = %s AND outcome = %s",
                    (row["id"], tables.LOST),
                ).fetchone()
                conn.execute(
                    "INSERT INTO stablenew_queue_claims (job_id, worker_id, worker_name) VALUES (%s, %s, %s) "
                    "ON CONFLICT (job_id, worker_id) DO UPDATE SET outcome = NULL, reason = NULL, "
                    "claimed_at = clock_timestamp()",
                    (row["id"], int(worker_id), name["name"]),
                )
            args = row["args"]
            return Job(
                str(row["id"]),
                row["queue_name"],
                args["run_id"],
                args["payload"],
                row["priority"],
                worker_id=worker_id,
                lost_attempts=lost["n"] if lost else 0,
            )

        return self._guarded(go)

    def wait(self, queues: Sequence[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        try:
            listener = self._listen(tuple(queues))
            waiting = listener.execute(
                "SELECT 1 FROM procrastinate_jobs WHERE status = 'todo' AND queue_name = ANY(%s) LIMIT 1",
                (list(queues),),
            ).fetchone()
            if waiting is not None:  # arrived before the LISTEN: no notification will come for it
                return
            for _ in listener.notifies(timeout=max(0.0, deadline - time.monotonic()), stop_after=1):
                pass
        except psycopg.Error:
            self._drop_listener()
            # The database is away: the next claim reports it; waiting here keeps a worker from spinning.
            time.sleep(max(0.0, min(1.0, deadline - time.monotonic())))

    def succeed(self, job: Job) -> None:
        self._finish(job, "succeeded", None)

    def fail(self, job: Job, reason: str) -> None:
        self._finish(job, "failed", reason)

    def hand_back(self, job: Job) -> None:
        def go() -> None:
            with self._transaction() as conn:
                self._hold(conn, job)
                self._close_claim(conn, job.job_id, tables.HANDED_BACK, None)
                conn.execute(
                    queries["retry_job"],
                    {
                        "job_id": int(job.job_id),
                        "retry_at": None,
                        "new_priority": None,
                        "new_queue_name": None,
                        "new_lock": None,
                    },
                )

        self._guarded(go)

    def recover_stalled(self, stalled_after: float, max_attempts: int) -> tuple[Recovered, ...]:
        def go() -> tuple[Recovered, ...]:
            recovered: list[Recovered] = []
            with self._transaction() as conn:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (tables.RECOVERY_LOCK,))
                stalled = self._all(
                    conn,
                    queries["select_stalled_jobs_by_heartbeat"],
                    queue=None,
                    task_name=TASK,
                    seconds_since_heartbeat=stalled_after,
                )
                for row in stalled:
                    recovered.append(self._recover(conn, row["id"], max_attempts))
                gone = self._all(
                    conn, queries["prune_stalled_workers"], seconds_since_heartbeat=stalled_after
                )
                if gone:
                    conn.execute(
                        "DELETE FROM stablenew_queue_workers WHERE worker_id = ANY(%s)",
                        ([row["worker_id"] for row in gone],),
                    )
            return tuple(recovered)

        return self._guarded(go)

    def status(self) -> QueueStatus:
        def go() -> QueueStatus:
            with self._transaction() as conn:
                counts = self._all(conn, _COUNTS, task=TASK)
                workers = self._all(conn, _WORKERS)
                failed = self._all(conn, _FAILED, task=TASK)
                pending = self._all(conn, _PENDING, task=TASK)
            return QueueStatus(
                counts=tuple(
                    QueueCount(r["queue_name"], JobState(tables.STATES[r["status"]]), r["n"], r["worker"])
                    for r in counts
                ),
                workers=tuple(
                    WorkerInfo(str(r["worker_id"]), r["name"], tuple(r["queues"]), float(r["age"]))
                    for r in workers
                ),
                failures=tuple(
                    JobFailure(str(r["id"]), r["queue_name"], r["args"]["run_id"], r["reason"] or "")
                    for r in failed
                ),
                pending=tuple(
                    Job(
                        str(r["id"]),
                        r["queue_name"],
                        r["args"]["run_id"],
                        r["args"]["payload"],
                        r["priority"],
                    )
                    for r in pending
                ),
            )

        return self._guarded(go)

    def prune(self, older_than: float, *, failed: bool = False, queues: Sequence[str] | None = None) -> int:
        statuses = ["succeeded", "failed", "cancelled", "aborted"] if failed else ["succeeded"]

        def go() -> int:
            with self._transaction() as conn:
                rows = self._all(
                    conn,
                    _PRUNE,
                    task=TASK,
                    statuses=statuses,
                    seconds=max(0.0, older_than),
                    queues=None if queues is None else list(queues),
                )
            return len(rows)

        return self._guarded(go)

    def close(self) -> None:
        self._drop_listener()
        if self._connector is not None:
            with contextlib.suppress(Exception):
                self._connector.pool.close()  # ours: procrastinate leaves a pool it was given open
            self._connector = None

    # -- helpers ----------------------------------------------------------------------------------

    def _recover(self, conn: psycopg.Connection[Any], job_id: int, max_attempts: int) -> Recovered:
        claim = conn.execute(
            "SELECT worker_name FROM stablenew_queue_claims WHERE job_id = %s AND outcome IS NULL",
            (job_id,),
        ).fetchone()
        lost = conn.execute(
            "SELECT count(*) AS n FROM stablenew_queue_claims WHERE job_id = %s AND outcome = %s",
            (job_id, tables.LOST),
        ).fetchone()
        attempt = (lost["n"] if lost else 0) + 1
        who = claim["worker_name"] if claim else "(unknown)"
        reason = f"its worker {who} stopped (attempt {attempt} of {max_attempts})"
        final = attempt >= max_attempts
        if final:
            reason = f"failed for good: {reason}"
        self._close_claim(conn, str(job_id), tables.LOST, reason)
        if final:
            conn.execute(queries["finish_job"], {"job_id": job_id, "status": "failed", "delete_job": False})
        else:
            conn.execute(
                queries["retry_job"],
                {
                    "job_id": job_id,
                    "retry_at": None,
                    "new_priority": None,
                    "new_queue_name": None,
                    "new_lock": None,
                },
            )
        return Recovered(str(job_id), not final, reason)

    def _finish(self, job: Job, status: str, reason: str | None) -> None:
        def go() -> None:
            with self._transaction() as conn:
                self._hold(conn, job)
                self._close_claim(conn, job.job_id, status, reason)
                conn.execute(
                    queries["finish_job"], {"job_id": int(job.job_id), "status": status, "delete_job": False}
                )

        self._guarded(go)

    def _hold(self, conn: psycopg.Connection[Any], job: Job) -> None:
        row = conn.execute(
            "SELECT 1 FROM procrastinate_jobs "
            "WHERE id = %s AND status = 'doing' AND worker_id = %s FOR UPDATE",
            (int(job.job_id), int(job.worker_id or 0)),
        ).fetchone()
        if row is None:
            raise JobLost(f"job {job.job_id} is no longer running for this worker")

    @staticmethod
    def _close_claim(conn: psycopg.Connection[Any], job_id: str, outcome: str, reason: str | None) -> None:
        conn.execute(
            "UPDATE stablenew_queue_claims SET outcome = %s, reason = %s "
            "WHERE job_id = %s AND outcome IS NULL",
            (outcome, reason, int(job_id)),
        )

    def _holder(self, lock: str) -> Submitted | None:
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT id, args FROM procrastinate_jobs WHERE (queueing_lock = %s OR lock = %s) "
                "AND status IN ('todo', 'doing') ORDER BY id LIMIT 1",
                (lock, lock),
            ).fetchone()
        return None if row is None else Submitted(str(row["id"]), row["args"]["run_id"], duplicate=True)

    def _open(self) -> SyncPsycopgConnector:
        with self._opening:
            return self._open_once()

    def _open_once(self) -> SyncPsycopgConnector:
        if self._connector is None:
            try:  # the pool would only say it got no connection in time, never why
                psycopg.conninfo.conninfo_to_dict(self._dsn)
            except psycopg.Error as exc:
                raise QueueError(f"postgres.dsn cannot be used: {self._scrub(exc)}") from None
            pool = psycopg_pool.ConnectionPool(
                self._dsn,
                min_size=1,
                max_size=self._max,
                open=False,
                timeout=self._timeout,
                # No check per checkout (a round trip per call): a connection an outage broke fails
                # that call with QueueError, the pool drops it, and the caller's retry gets a new one.
                kwargs={
                    "row_factory": dict_row,
                    "connect_timeout": max(1, int(self._timeout)),
                    # A queue commit lost in a server crash is safe to lose: the job is run again
                    # and finds its record by its run id (a duplicate), so no flush per commit.
                    "options": "-c synchronous_commit=off",
                },
            )
            pool.open(wait=False)
            connector = SyncPsycopgConnector()
            connector.open(pool)
            try:
                self._apply_schema(pool)
            except BaseException:
                pool.close()
                raise
            self._connector = connector
        return self._connector

    @staticmethod
    def _apply_schema(pool: psycopg_pool.ConnectionPool[Any]) -> None:
        with pool.connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (tables.SCHEMA_LOCK,))
            present = conn.execute("SELECT to_regclass('procrastinate_jobs') AS t").fetchone()
            if present is None or present["t"] is None:
                conn.execute(pq_schema.SchemaManager.get_schema())
            conn.execute(tables.TABLES)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with self._open().pool.connection() as conn:
            yield conn

    @staticmethod
    def _one(conn: psycopg.Connection[Any], query: str, **args: Any) -> dict[str, Any]:
        row = conn.execute(query, args).fetchone()
        assert row is not None
        return row  # type: ignore[no-any-return]

    @staticmethod
    def _all(conn: psycopg.Connection[Any], query: str, **args: Any) -> list[dict[str, Any]]:
        return conn.execute(query, args).fetchall()

    def _listen(self, queues: tuple[str, ...]) -> psycopg.Connection[Any]:
        if self._listener is not None and self._listening == queues:
            return self._listener
        self._drop_listener()
        self._open()
        conn = psycopg.connect(self._dsn, autocommit=True, connect_timeout=max(1, int(self._timeout)))
        for queue in queues:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(f"procrastinate_queue_v1#{queue}")))
        self._listener, self._listening = conn, queues
        return conn

    def _drop_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                self._listener.close()
        self._listener, self._listening = None, ()

    def _guarded(self, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except (psycopg.Error, psycopg_pool.PoolTimeout, pq_exceptions.ProcrastinateException) as exc:
            raise QueueError(f"the job queue's database: {self._scrub(exc)}") from None

    def _scrub(self, exc: BaseException) -> str:
        """The error's first line, without anything of the DSN (a password is never shown)."""
        cause = exc.__cause__ if isinstance(exc, pq_exceptions.ConnectorException) and exc.__cause__ else exc
        text = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        for secret in dsn_secrets(self._dsn):
            text = text.replace(secret, "***")
        return text


_COUNTS = """
SELECT j.queue_name, j.status::text AS status, c.worker_name AS worker, count(*) AS n
  FROM procrastinate_jobs j
  LEFT JOIN LATERAL (
      SELECT worker_name FROM stablenew_queue_claims c
       WHERE c.job_id = j.id ORDER BY claimed_at DESC LIMIT 1
  ) c ON j.status <> 'todo'
 WHERE j.task_name = %(task)s
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""

_WORKERS = """
SELECT w.worker_id, w.name, w.queues, EXTRACT(EPOCH FROM now() - p.last_heartbeat) AS age
  FROM stablenew_queue_workers w JOIN procrastinate_workers p ON p.id = w.worker_id
 ORDER BY w.name
"""

_FAILED = """
SELECT j.id, j.queue_name, j.args, c.reason
  FROM procrastinate_jobs j
  LEFT JOIN LATERAL (
      SELECT reason FROM stablenew_queue_claims c
       WHERE c.job_id = j.id ORDER BY claimed_at DESC LIMIT 1
  ) c ON true
 WHERE j.task_name = %(task)s AND j.status IN ('failed', 'cancelled', 'aborted')
 ORDER BY j.id
"""

_PRUNE = """
WITH ended AS (
    SELECT j.id FROM procrastinate_jobs j
     WHERE j.task_name = %(task)s
       AND j.status::text = ANY(%(statuses)s)
       AND (%(queues)s::text[] IS NULL OR j.queue_name = ANY(%(queues)s::text[]))
       AND (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id)
           <= now() - make_interval(secs => %(seconds)s)
), claims AS (
    DELETE FROM stablenew_queue_claims WHERE job_id IN (SELECT id FROM ended)
)
DELETE FROM procrastinate_jobs WHERE id IN (SELECT id FROM ended) RETURNING id
"""

_PENDING = """
SELECT id, queue_name, args, priority FROM procrastinate_jobs
 WHERE task_name = %(task)s AND status = 'todo' ORDER BY priority DESC, id
"""
