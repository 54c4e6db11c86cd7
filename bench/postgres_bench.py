"""Benchmark: a PostgreSQL append vs the local JSONL append, side by side in one run.

    uv run --group test python bench/postgres_bench.py            # prints the table
    uv run --group test python bench/postgres_bench.py --write    # and into docs/performance.md

Starts its own PostgreSQL (tests/postgres_server.py, fsync on, as the postgres user when root) in
a temp dir, or uses $TEST_POSTGRES_DSN (a fresh database on it). Every design appends the
same learning record with a new run id; designs are interleaved call by call so a noisy, shared
machine hurts them alike. Durable means: on disk (fsync / commit flushed) when the call returns.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from report import write_section  # noqa: E402

from adapters.postgres.database import PostgresDatabase  # noqa: E402
from adapters.postgres.record_store import PostgresRecordStore  # noqa: E402
from adapters.record_store.jsonl import JsonlRecordStore  # noqa: E402
from application.local_first import LocalFirstRecordSink  # noqa: E402
from domain import LearningRecord  # noqa: E402
from tests.factories import make_record  # noqa: E402
from tests.postgres_server import EXTERNAL_DSN_ENV, PostgresServer, fresh_database  # noqa: E402

BATCH = 64


@dataclass
class Timings:
    name: str
    seconds: list[float]
    records_per_call: int = 1

    @property
    def rate(self) -> float:
        return self.records_per_call * len(self.seconds) / sum(self.seconds)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def row(self) -> str:
        return (
            f"| {self.name} | {self.rate:,.0f} | {self.percentile(0.5) * 1000:.2f} | "
            f"{self.percentile(0.99) * 1000:.2f} |"
        )


class RunIds:
    """A fresh run id per record, so no design ever meets a duplicate."""

    def __init__(self) -> None:
        self._template = make_record("bench-000000")
        self._count = 0

    def next(self) -> LearningRecord:
        self._count += 1
        return replace(self._template, run_id=f"bench-{self._count:08d}")

    def batch(self) -> list[LearningRecord]:
        return [self.next() for _ in range(BATCH)]


@contextlib.contextmanager
def database_dsn() -> Iterator[tuple[str, str]]:
    """A DSN of an empty database and where it runs."""
    external = os.environ.get(EXTERNAL_DSN_ENV)
    if external:
        with fresh_database(external) as dsn:
            yield dsn, f"the server at ${EXTERNAL_DSN_ENV}"
        return
    server = PostgresServer(fsync=True)
    try:
        server.start()
        yield server.dsn, "a private PostgreSQL on loopback (fsync on), same temp filesystem"
    finally:
        server.remove()


def interleaved(designs: list[tuple[str, Callable[[], object], int]], calls: int) -> list[Timings]:
    timings = [Timings(name, [], per_call) for name, _call, per_call in designs]
    for _ in range(calls):
        for timing, (_name, call, _per_call) in zip(timings, designs, strict=True):
            started = time.perf_counter()
            call()
            timing.seconds.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the figures to docs/performance.md")
    parser.add_argument("--quick", action="store_true", help="small counts (a smoke test, not figures)")
    args = parser.parse_args()
    singles_count, batches_count = (50, 5) if args.quick else (1000, 40)

    work = Path(tempfile.mkdtemp(prefix="postgres-bench-"))
    ids = RunIds()
    try:
        with database_dsn() as (dsn, where):
            started = time.perf_counter()
            jsonl = JsonlRecordStore(work / "local.jsonl")
            database = PostgresDatabase(dsn)
            postgres = PostgresRecordStore(database)
            both = LocalFirstRecordSink(JsonlRecordStore(work / "first.jsonl"), postgres, warn=print)
            postgres.count()  # connect and create the tables outside the timings
            singles = interleaved(
                [
                    ("JSONL append_record (fsync)", lambda: jsonl.append_record(ids.next()), 1),
                    ("PostgreSQL add_record (one commit)", lambda: postgres.add_record(ids.next()), 1),
                    ("local first: JSONL then PostgreSQL", lambda: both.append_record(ids.next()), 1),
                ],
                singles_count,
            )
            duplicate = ids.next()
            postgres.add_record(duplicate)
            repeats = interleaved(
                [("PostgreSQL add_record of a duplicate", lambda: postgres.add_record(duplicate), 1)],
                singles_count,
            )
            batches = interleaved(
                [
                    (f"JSONL append_records({BATCH})", lambda: jsonl.append_records(ids.batch()), BATCH),
                    (f"PostgreSQL add_records({BATCH})", lambda: postgres.add_records(ids.batch()), BATCH),
                ],
                batches_count,
            )
            elapsed = time.perf_counter() - started
            database.close()
            jsonl.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    local, shared, first = singles
    header = "| design | records/s | p50 ms | p99 ms |\n|---|---:|---:|---:|"
    overhead = statistics.median(first.seconds) - statistics.median(local.seconds)
    markdown = "\n".join(
        [
            "## Shared history: PostgreSQL append vs the local JSONL append",
            "",
            f"Measured {time.strftime('%Y-%m-%d')} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; {where}; "
            f"{elapsed:.0f} s in all; designs interleaved call by call, {singles_count:,} calls each."
            + (" **Quick mode: counts too small for figures.**" if args.quick else ""),
            "",
            header,
            *[timing.row() for timing in [*singles, *repeats, *batches]],
            "",
            f"PostgreSQL vs JSONL, single durable appends: {shared.rate / local.rate:.2f}x the records/s. "
            f'Local first (`learning.sink = "postgres"`) costs {overhead * 1000:.2f} ms per record '
            "over the JSONL append alone (median), which is what a run pays for the shared history. "
            "A duplicate is answered without writing a row (ON CONFLICT DO NOTHING).",
        ]
    )
    print(markdown)
    if args.write:
        command = "uv run --group test python bench/postgres_bench.py --write"
        write_section("postgres-append", markdown, command)


if __name__ == "__main__":
    main()
