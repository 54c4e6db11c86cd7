"""The tables beside procrastinate's: worker names and every claim of a job, with its outcome.

procrastinate keeps the jobs, their state, the workers' heartbeats and the locks. What it does not
keep, and ``queue status`` and stalled-job recovery need, is who ran a job, how each claim ended and
why a job failed. Applied once per database, under an advisory lock so that workers starting
together do not race.
"""

from __future__ import annotations

SCHEMA_LOCK = 0x5AB1E0E0  # pg_advisory_lock key: one schema set-up at a time
RECOVERY_LOCK = 0x5AB1E0E1  # one stalled-job recovery at a time

TABLES = """
CREATE TABLE IF NOT EXISTS stablenew_queue_workers (
    worker_id bigint PRIMARY KEY,
    name text NOT NULL,
    queues text[] NOT NULL
);
CREATE TABLE IF NOT EXISTS stablenew_queue_claims (
    job_id bigint NOT NULL,
    worker_id bigint NOT NULL,
    worker_name text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    outcome text,
    reason text,
    PRIMARY KEY (job_id, worker_id)
);
CREATE INDEX IF NOT EXISTS stablenew_queue_claims_open ON stablenew_queue_claims (job_id)
    WHERE outcome IS NULL;
"""

LOST = "lost"  # the claim's worker stopped heartbeating
HANDED_BACK = "handed_back"

STATES = {
    "todo": "pending",
    "doing": "running",
    "succeeded": "succeeded",
    "failed": "failed",
    "cancelled": "failed",
    "aborting": "running",
    "aborted": "failed",
}
"""procrastinate's job states in the words of ``JobState``."""
