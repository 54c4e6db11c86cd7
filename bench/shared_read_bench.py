"""Benchmark: the read commands on the shared PostgreSQL history, whole processes, this tree vs a baseline.

Run: uv run --group test python -m bench.shared_read_bench --baseline DIR [--label TEXT]
     [--sizes 1000,10000,100000] [--repeat 5] [--write]

Every `stablenew` call reads the shared history (``learning.sink`` and ``feedback.store`` set to
"postgres", docs/scale-out.md). PostgreSQL is tests/postgres_server.py's (``$TEST_POSTGRES_DSN``
or a private server on loopback); each size gets a fresh database, filled by COPY with
bench.index_bench's generated records and rating events (one per 10 runs, as its ``history()``),
and both trees read that same database.

How the trees are run and timed side by side: bench.side_by_side. For each size and command, each
tree starts from an empty home of its own (no local records, no mirror, no index): the first call
is timed alone (whatever a tree builds locally, it builds then), then the ``--repeat`` rounds.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from adapters.postgres.documents import to_jsonb
from adapters.postgres.schema import FEEDBACK, RECORDS, SCHEMA
from bench import side_by_side
from bench.index_bench import event, record
from bench.side_by_side import Figures, Measured, Options, Tree, ms
from tests.postgres_server import fresh_database, shared_server

COMMANDS: dict[str, list[str]] = {
    "records list": ["records", "list"],
    "records list --search lighthouse": ["records", "list", "--search", "lighthouse"],
    "records show <oldest run's prefix>": ["records", "show", "{oldest}"],
    "records stats": ["records", "stats"],
}


def fill(dsn: str, size: int) -> str:
    """Put ``size`` generated runs and their ratings into the database; the oldest run's id prefix."""
    import psycopg

    rnd = random.Random(size)  # the generator of bench.index_bench's history(), in the same order
    events: list[dict[str, Any]] = []
    oldest = ""
    began = time.perf_counter()
    with psycopg.connect(dsn, connect_timeout=30) as connection:
        connection.execute(SCHEMA)
        with connection.cursor() as cursor:
            with cursor.copy(f"COPY {RECORDS} (run_id, document) FROM STDIN") as copy:
                for number in range(size):
                    payload = record(number, rnd)
                    oldest = oldest or payload["run_id"][:8]
                    copy.write_row((payload["run_id"], to_jsonb(payload)))
                    if number % 10 == 0:
                        events.append(event(number, payload["run_id"], rnd))
            with cursor.copy(f"COPY {FEEDBACK} (event_id, run_id, document) FROM STDIN") as copy:
                for each in events:
                    copy.write_row((each["event_id"], each["run_id"], to_jsonb(each)))
        connection.execute(f"ANALYZE {RECORDS}")
        connection.execute(f"ANALYZE {FEEDBACK}")
    print(
        f"filled {size:,} runs, {len(events):,} ratings in {time.perf_counter() - began:.1f} s",
        file=sys.stderr,
    )
    return oldest


def shared_history(dsn: str) -> dict[str, str]:
    """The settings that make every call read the shared history at ``dsn``."""
    return {
        "STABLENEW_LEARNING__SINK": "postgres",
        "STABLENEW_FEEDBACK__STORE": "postgres",
        "STABLENEW_POSTGRES__DSN": dsn,
    }


def home_settings(home: Path) -> dict[str, str]:
    """Local records (a tree's own, empty at first) under ``home``."""
    return {"STABLENEW_LEARNING__RECORDS_PATH": str(home / "records" / "learning_records.jsonl")}


def measure(
    trees: tuple[Tree, ...], command: list[str], base: dict[str, str], folder: Path, repeat: int
) -> Measured:
    """One command's figures, each tree starting from an empty home."""
    with side_by_side.empty_homes(folder, base, trees, home_settings) as homes:
        return side_by_side.measure_command(trees, homes, command, repeat)


def report(
    options: Options,
    results: dict[tuple[str, int], dict[str, Figures]],
    passes: list[float],
    different: list[str],
    load: float,
) -> str:
    rows = []
    for name in COMMANDS:
        for size in options.sizes:
            before, after = results[name, size]["before"], results[name, size]["after"]
            rows.append(
                [
                    f"`{name}`",
                    f"{size:,}",
                    ms(before.median),
                    ms(after.median),
                    f"{before.median / after.median:.2f}x",
                    ms(after.first),
                ]
            )
    same = (
        "Both trees printed the same answer to every first call."
        if not different
        else "The trees' first answers differed for: " + ", ".join(f"`{each}`" for each in different) + "."
    )
    paragraph = (
        side_by_side.measured_when(load) + "reading the shared history "
        '(`learning.sink = "postgres"`, `feedback.store = "postgres"`) of a private PostgreSQL on '
        "loopback (tests/postgres_server.py), one fresh database per size filled with "
        "bench.index_bench's records (about 950 bytes each) and one rating per 10 runs. "
        f"{side_by_side.which_trees(options.label)} For each command and size, each tree "
        "starts from an empty home of its own (no local records, mirror or index): "
        '"after, first call" is that first call, which builds whatever the tree keeps locally; the '
        f"medians are of the {options.repeat} calls after it, the trees interleaved call by call. "
        f"{side_by_side.python_pass_sentence(passes)} {same}"
    )
    return side_by_side.section(
        "Read commands on the shared PostgreSQL history (whole processes)",
        paragraph,
        ["command", "runs", "before, median", "after, median", "before / after", "after, first call"],
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    options = side_by_side.parse_options((__doc__ or "").splitlines()[0], "1000,10000,100000", argv)
    trees = options.trees
    load = os.getloadavg()[0]
    results: dict[tuple[str, int], dict[str, Figures]] = {}
    passes: list[float] = []
    different: list[str] = []
    with tempfile.TemporaryDirectory(prefix="shared-read-bench-") as tmp, shared_server() as admin:
        folder = Path(tmp)
        for number, size in enumerate(options.sizes):
            with fresh_database(admin) as dsn:
                oldest = fill(dsn, size)
                base = side_by_side.base_environment(folder, shared_history(dsn))
                commands = {
                    name: [part.replace("{oldest}", oldest) for part in command]
                    for name, command in COMMANDS.items()
                }
                if number == 0:  # compile every module the commands load, outside the timings
                    for command in commands.values():
                        measure(trees, command, base, folder, 0)
                for name, command in commands.items():
                    measured = measure(trees, command, base, folder, options.repeat)
                    results[name, size] = measured.figures
                    passes += measured.passes
                    if len(set(measured.answers.values())) != 1:
                        different.append(f"{name}, {size:,} runs")
                    side_by_side.progress(size, name, measured.figures)
    table = report(options, results, passes, different, load)
    return side_by_side.publish(
        options, "shared-read", table, "uv run --group test python -m bench.shared_read_bench"
    )


if __name__ == "__main__":
    raise SystemExit(main())
