"""Benchmark: what the local copy of the shared history costs each read when nothing is new.

Run: uv run --group test python -m bench.mirror_refresh_bench [--sizes 1000,100000,1000000]
     [--repeat 9] [--write]

Every read of the shared PostgreSQL history first refreshes its local copy
(adapters/postgres/mirror.py): one query per table for its oid, the rows up to the last seq copied
and the newest seq, then the rows after that seq. This times that refresh with nothing new to
copy, in process, at each size: right after the rows were loaded (the visibility map not yet set,
so counting visits the rows) and after ``VACUUM`` (what autovacuum leaves: counting reads the seq
index only). The first refresh, which copies the tables, is timed too. PostgreSQL and the data
are bench.shared_read_bench's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from adapters.postgres.database import PostgresDatabase
from adapters.postgres.mirror import PostgresHistoryMirror
from adapters.postgres.schema import FEEDBACK, RECORDS
from bench.index_bench import median
from bench.report import write_section
from bench.shared_read_bench import fill
from tests.postgres_server import fresh_database, shared_server

COMMAND = "uv run --group test python -m bench.mirror_refresh_bench --sizes 1000,100000,1000000 --write"


def vacuum(dsn: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        for table in (RECORDS, FEEDBACK):
            connection.execute(f"VACUUM (ANALYZE) {table}")


def measure(dsn: str, folder: Path, repeat: int) -> tuple[float, float, float]:
    """(first refresh s, refresh ms with nothing new, the same after VACUUM)."""
    database = PostgresDatabase(dsn)
    mirror = PostgresHistoryMirror(database, folder)
    began = time.perf_counter()
    mirror.refresh()
    first = time.perf_counter() - began
    loaded = median(mirror.refresh, repeat) * 1000
    vacuum(dsn)
    vacuumed = median(mirror.refresh, repeat) * 1000
    return first, loaded, vacuumed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--write", action="store_true", help="write the figures to docs/performance.md")
    options = parser.parse_args(argv)
    sizes = [int(size) for size in options.sizes.split(",")]
    load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mirror-refresh-bench-") as tmp, shared_server() as admin:
        for size in sizes:
            with fresh_database(admin) as dsn:
                fill(dsn, size)
                first, loaded, vacuumed = measure(dsn, Path(tmp) / str(size), options.repeat)
            rows.append(f"| {size:,} | {first:.2f} s | {loaded:.1f} ms | {vacuumed:.1f} ms |")
            print(rows[-1], file=sys.stderr)
    table = "\n".join(
        [
            "## The shared history's local copy: the refresh each read pays",
            "",
            f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 2 cores, load average "
            f"{load:.1f} when it started. In process, a private PostgreSQL on loopback "
            "(tests/postgres_server.py), one fresh database per size filled with bench.index_bench's "
            "records and one rating per 10 runs. Medians of "
            f"{options.repeat} refreshes with nothing new to copy (what every read of the shared history "
            "pays before it reads its index), right after the load and after `VACUUM`; the first "
            "refresh copies both tables.",
            "",
            "| runs | first refresh (copies) | refresh, nothing new | after VACUUM |",
            "|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(table)
    if options.write:
        write_section("mirror-refresh", table, COMMAND)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
