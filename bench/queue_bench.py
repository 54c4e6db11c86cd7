"""Benchmark: the job queue's own cost, with zero-latency fake jobs.

    uv run --group test python bench/queue_bench.py            # prints the table
    uv run --group test python bench/queue_bench.py --write    # and into docs/performance.md

Starts its own PostgreSQL (tests/postgres_server.py, fsync on) in a temp dir, or uses
$TEST_POSTGRES_DSN (a fresh database on it). Every job is the same one-stage 64x64 run on
the fake backend with no latency, recorded to a local JSONL file, so what is measured is the queue.

- baseline: the same runs in one process, one after the other (PipelineRunner + JSONL append);
- in-process worker: RunWorker on the PostgreSQL queue in this process (claim, run, record, finish);
- 1, 2 and 4 worker processes (``stablenew worker``), timed from the moment the jobs are queued to
  the moment the last one succeeded. ``worker-s per job`` is workers x wall time / jobs: the time a
  worker spends per job; its excess over the baseline is the queue's overhead per job.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from report import write_section  # noqa: E402

from adapters.backends.fake import FakeImageBackend  # noqa: E402
from adapters.clock import SystemClock  # noqa: E402
from adapters.job_queue.procrastinate_queue import ProcrastinateJobQueue  # noqa: E402
from adapters.record_store.jsonl import JsonlRecordStore  # noqa: E402
from adapters.storage.filesystem import FilesystemArtifactStore  # noqa: E402
from application.job_payload import run_payload  # noqa: E402
from application.record_builder import build_learning_record  # noqa: E402
from application.runner import PipelineRunner, new_run_id  # noqa: E402
from application.worker import RunWorker, WorkerPolicy  # noqa: E402
from domain.config import PipelineConfig  # noqa: E402
from domain.jobs import JobRequest  # noqa: E402
from domain.record import LearningRecord  # noqa: E402
from tests.postgres_server import EXTERNAL_DSN_ENV, PostgresServer, fresh_database  # noqa: E402

CONFIG = PipelineConfig(prompt="a lighthouse", model="fake-model-v1", width=64, height=64, steps=1)
POLICY = WorkerPolicy(heartbeat=1.0, stalled_after=10.0, max_attempts=3, poll=1.0)


@contextlib.contextmanager
def server() -> Iterator[str]:
    external = os.environ.get(EXTERNAL_DSN_ENV)
    if external:
        with fresh_database(external) as dsn:
            yield dsn
        return
    pg = PostgresServer(fsync=True)
    try:
        pg.start()
        with fresh_database(pg.dsn) as dsn:
            yield dsn
    finally:
        pg.remove()


def baseline(folder: Path, jobs: int) -> float:
    store = JsonlRecordStore(folder / "baseline.jsonl")
    backend, artifacts, clock = FakeImageBackend(), FilesystemArtifactStore(folder / "out"), SystemClock()
    started = time.perf_counter()
    for _ in range(jobs):
        run_id = new_run_id()
        result = PipelineRunner(backend, artifacts, clock, run_ids=lambda run_id=run_id: run_id).run(CONFIG)
        store.append_record(build_learning_record(CONFIG, result))
    return time.perf_counter() - started


def submit(dsn: str, jobs: int, queue_name: str) -> None:
    queue = ProcrastinateJobQueue(dsn)
    for _ in range(jobs):
        queue.submit(JobRequest(queue_name, new_run_id(), run_payload(CONFIG)))
    queue.close()


def in_process(folder: Path, dsn: str, jobs: int) -> float:
    submit(dsn, jobs, "inproc")
    store = JsonlRecordStore(folder / "inproc.jsonl")
    queue = ProcrastinateJobQueue(dsn)
    worker = RunWorker(
        queue,
        FakeImageBackend(),
        FilesystemArtifactStore(folder / "out"),
        SystemClock(),
        store,
        _no_record,
        POLICY,
    )
    started = time.perf_counter()
    report = worker("bench", ["inproc"], stop=lambda: False, max_jobs=jobs)
    elapsed = time.perf_counter() - started
    queue.close()
    assert sum(o.status == "succeeded" for o in report.outcomes) == jobs
    return elapsed


def _no_record(run_id: str) -> LearningRecord | None:
    return None  # every job is new: the lookup's cost belongs to the history index, not the queue


def processes(folder: Path, dsn: str, jobs: int, workers: int) -> float:
    name = f"procs{workers}"
    settings = folder / f"{name}.toml"
    settings.write_text(
        "\n".join(
            [
                "[learning]",
                f"records_path = {json.dumps(str(folder / (name + '.jsonl')))}",
                "[output]",
                f"dir = {json.dumps(str(folder / 'out'))}",
                "[queue]",
                "heartbeat_seconds = 1.0",
                "stalled_after_seconds = 10.0",
                "poll_seconds = 1.0",
            ]
        )
        + "\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")}
    env["STABLENEW_POSTGRES__DSN"] = dsn
    started_workers = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "adapters.cli", "worker"),
                *("--queue", name, "--name", f"{name}-{n}", "--settings", str(settings)),
            ],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(workers)
    ]
    queue = ProcrastinateJobQueue(dsn)
    try:
        while len([w for w in queue.status().workers if w.name.startswith(name)]) < workers:
            time.sleep(0.05)
        started = time.perf_counter()
        submit(dsn, jobs, name)
        with psycopg.connect(dsn, autocommit=True) as conn:  # a light count, not the status report
            while _succeeded(conn, name) < jobs:
                time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        queue.close()
        for process in started_workers:
            process.send_signal(signal.SIGTERM)
        for process in started_workers:
            process.wait(timeout=60)


def _succeeded(conn: psycopg.Connection[Any], queue_name: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = %s AND status = 'succeeded'",
        (queue_name,),
    ).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="write the figures into docs/performance.md")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="queue-bench-"))
    try:
        with server() as dsn:
            base = baseline(folder, args.jobs)
            rows = [("one process, no queue (baseline)", 1, base)]
            rows.append(("in-process worker on the queue", 1, in_process(folder, dsn, args.jobs)))
            for workers in (1, 2, 4):
                rows.append(
                    (f"{workers} worker process(es)", workers, processes(folder, dsn, args.jobs, workers))
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    per_base = base / args.jobs
    lines = [
        f"{args.jobs} zero-latency fake jobs (one txt2img stage, 64x64, recorded to JSONL); "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPU(s), "
        "a machine shared with other work.",
        "",
        "| design | workers | jobs/s | worker-ms per job | queue overhead ms/job |",
        "|---|---|---|---|---|",
    ]
    for label, workers, seconds in rows:
        per_job = workers * seconds / args.jobs
        overhead = "-" if label.startswith("one process") else f"{(per_job - per_base) * 1000:.1f}"
        lines.append(
            f"| {label} | {workers} | {args.jobs / seconds:.0f} | {per_job * 1000:.1f} | {overhead} |"
        )
    lines += [
        "",
        "The queue's own cost per job is the in-process row: a claim and a finish, two short",
        "transactions (target: under 20 ms). A worker process adds the server's work on the same CPUs.",
        "With more processes than CPUs (the server, the workers and this script share them), the",
        "worker-ms per job measure CPU sharing rather than the queue: throughput is bounded by the CPUs.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        command = "uv run --group test python bench/queue_bench.py --write"
        write_section("queue", "## The job queue (bench/queue_bench.py)\n\n" + text, command)


if __name__ == "__main__":
    main()
