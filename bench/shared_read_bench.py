"""Benchmark: the read commands on the shared PostgreSQL history, whole processes, this tree vs a baseline.

Run: uv run --group test python -m bench.shared_read_bench --baseline DIR [--label TEXT]
     [--sizes 1000,10000,100000] [--repeat 5] [--write]

Every `stablenew` call reads the shared history (``learning.sink`` and ``feedback.store`` set to
"postgres", docs/scale-out.md). PostgreSQL is tests/postgres_server.py's (``$TEST_POSTGRES_DSN``
or a private server on loopback); each size gets a fresh database, filled by COPY with
bench.index_bench's generated records and rating events (one per 10 runs, as its ``history()``),
and both trees read that same database.

``--baseline DIR`` is another source tree of the project (for instance ``git archive main | tar -x
-C DIR``), run as this one is: ``python -c "from adapters.cli import main; ..."`` with the tree on
PYTHONPATH, bytecode cached in a private PYTHONPYCACHEPREFIX (warmed up before any timing).
For each size and command, each tree starts from an empty home of its own (no local records, no
mirror, no index, nothing shared with the other tree): the first call is timed alone (whatever a
tree builds locally, it builds then), then ``--repeat`` rounds run the command on both trees, in
alternating order, and ``python -c pass`` once, so that the load of a shared machine hits all alike.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.postgres.documents import to_jsonb
from adapters.postgres.schema import FEEDBACK, RECORDS, SCHEMA
from bench.commands_bench import STABLENEW
from bench.index_bench import event, record
from bench.report import write_section
from tests.postgres_server import fresh_database, shared_server

ROOT = Path(__file__).resolve().parent.parent
COMMANDS: dict[str, list[str]] = {
    "records list": ["records", "list"],
    "records list --search lighthouse": ["records", "list", "--search", "lighthouse"],
    "records show <oldest run's prefix>": ["records", "show", "{oldest}"],
    "records stats": ["records", "stats"],
}
TIMEOUT = 3600  # seconds for one call; a scan of a large history on a loaded machine is slow


@dataclass(frozen=True)
class Tree:
    """One source tree of the project and the name its column has ("before" or "after")."""

    name: str
    source: Path


@dataclass
class Figures:
    """One tree's times of one command on one size: the first call, then the repeats."""

    first: float = 0.0
    repeats: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.repeats)


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


def base_environment(prefix: Path, dsn: str) -> dict[str, str]:
    """This process's environment without the project's settings, bytecode cached under ``prefix``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STABLENEW_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    settings = prefix / "settings.toml"
    settings.write_text("")
    env.update(
        PYTHONPYCACHEPREFIX=str(prefix / "pycache"),
        COLUMNS="160",
        STABLENEW_SETTINGS=str(settings),
        STABLENEW_LEARNING__SINK="postgres",
        STABLENEW_FEEDBACK__STORE="postgres",
        STABLENEW_POSTGRES__DSN=dsn,
    )
    return env


def tree_environment(base: dict[str, str], tree: Tree, home: Path) -> dict[str, str]:
    """The tree first on the path, and every local file (records, feedback, caches) under ``home``."""
    return {
        **base,
        "PYTHONPATH": str(tree.source),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "STABLENEW_LEARNING__RECORDS_PATH": str(home / "records" / "learning_records.jsonl"),
    }


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, bytes]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False, timeout=TIMEOUT)
    took = time.perf_counter() - started
    if done.returncode != 0:
        where = env.get("PYTHONPATH", "")
        raise SystemExit(
            f"{' '.join(argv[3:])} failed ({done.returncode}) in {where}: {done.stderr.decode()[-400:]}"
        )
    return took, done.stdout


@contextmanager
def empty_homes(folder: Path, trees: list[Tree]) -> Iterator[dict[str, Path]]:
    """A new, empty home per tree, deleted afterwards (a large mirror would fill the disk)."""
    homes = {tree.name: Path(tempfile.mkdtemp(prefix=f"home-{tree.name}-", dir=folder)) for tree in trees}
    try:
        yield homes
    finally:
        for home in homes.values():
            shutil.rmtree(home, ignore_errors=True)


def measure(
    trees: list[Tree], command: list[str], base: dict[str, str], folder: Path, repeat: int
) -> tuple[dict[str, Figures], list[float], bool]:
    """Each tree's figures, the ``python -c pass`` times of the rounds, and whether the trees'
    first answers were the same."""
    figures = {tree.name: Figures() for tree in trees}
    passes: list[float] = []
    with empty_homes(folder, trees) as homes:
        envs = {tree.name: tree_environment(base, tree, homes[tree.name]) for tree in trees}
        answers = []
        for tree in trees:
            figures[tree.name].first, answer = timed(
                [*STABLENEW, *command], envs[tree.name], homes[tree.name]
            )
            answers.append(answer)
        for round_number in range(repeat):
            order = trees if round_number % 2 == 0 else trees[::-1]
            for tree in order:
                took, _answer = timed([*STABLENEW, *command], envs[tree.name], homes[tree.name])
                figures[tree.name].repeats.append(took)
            passes.append(timed([sys.executable, "-c", "pass"], base, folder)[0])
    return figures, passes, len(set(answers)) == 1


def git_commit(tree: Path) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def report(
    args: argparse.Namespace,
    sizes: list[int],
    results: dict[tuple[str, int], dict[str, Figures]],
    passes: list[float],
    different: list[str],
    load: float,
) -> str:
    rows = []
    for name in COMMANDS:
        for size in sizes:
            before, after = results[name, size]["before"], results[name, size]["after"]
            rows.append(
                f"| `{name}` | {size:,} | {_ms(before.median)} | {_ms(after.median)} | "
                f"{before.median / after.median:.2f}x | {_ms(after.first)} |"
            )
    commit = git_commit(ROOT)
    after_is = f"this tree (commit {commit})" if commit else "this tree"
    same = (
        "Both trees printed the same answer to every first call."
        if not different
        else "The trees' first answers differed for: " + ", ".join(f"`{each}`" for each in different) + "."
    )
    return "\n".join(
        [
            "## Read commands on the shared PostgreSQL history (whole processes)",
            "",
            f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
            f"{platform.python_version()}, {os.cpu_count()} cores, load average {load:.1f} when it started "
            "(a shared machine: read the columns side by side, not against other runs). Every call is a "
            "whole `stablenew` process with bytecode cached, reading the shared history "
            '(`learning.sink = "postgres"`, `feedback.store = "postgres"`) of a private PostgreSQL on '
            "loopback (tests/postgres_server.py), one fresh database per size filled with "
            "bench.index_bench's records (about 950 bytes each) and one rating per 10 runs. "
            f'"before" is {args.label}; "after" is {after_is}. For each command and size, each tree '
            "starts from an empty home of its own (no local records, mirror or index): "
            '"after, first call" is that first call, which builds whatever the tree keeps locally; the '
            f"medians are of the {args.repeat} calls after it, the trees interleaved call by call. "
            f"`python -c pass` in the same run: {_ms(statistics.median(passes))}. {same}",
            "",
            "| command | runs | before, median | after, median | before / after | after, first call |",
            "|---|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the source tree timed as 'before'")
    parser.add_argument("--label", default="the baseline tree", help="what the baseline tree is")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="replace the section in docs/performance.md")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    if args.repeat < 1 or not sizes or min(sizes) < 1:
        parser.error("--repeat and every size must be at least 1")
    baseline = args.baseline.resolve()
    if not (baseline / "adapters" / "cli").is_dir():
        parser.error(f"--baseline {baseline}: not a source tree of the project (no adapters/cli)")
    trees = [Tree("before", baseline), Tree("after", ROOT)]
    load = os.getloadavg()[0]
    results: dict[tuple[str, int], dict[str, Figures]] = {}
    passes: list[float] = []
    different: list[str] = []
    with tempfile.TemporaryDirectory(prefix="shared-read-bench-") as tmp, shared_server() as admin:
        folder = Path(tmp)
        for number, size in enumerate(sizes):
            with fresh_database(admin) as dsn:
                oldest = fill(dsn, size)
                base = base_environment(folder, dsn)
                commands = {
                    name: [part.replace("{oldest}", oldest) for part in command]
                    for name, command in COMMANDS.items()
                }
                if number == 0:  # compile every module the commands load, outside the timings
                    for command in commands.values():
                        measure(trees, command, base, folder, 0)
                for name, command in commands.items():
                    figures, round_passes, same = measure(trees, command, base, folder, args.repeat)
                    results[name, size] = figures
                    passes += round_passes
                    if not same:
                        different.append(f"{name}, {size:,} runs")
                    print(
                        f"{size:>9,} {name}: before {_ms(figures['before'].median)}, after "
                        f"{_ms(figures['after'].median)} (first call {_ms(figures['after'].first)})",
                        file=sys.stderr,
                    )
    table = report(args, sizes, results, passes, different, load)
    print(table)
    if args.write:
        produced_by = (
            f"uv run --group test python -m bench.shared_read_bench --sizes {args.sizes} "
            f"--repeat {args.repeat} --baseline DIR --label '{args.label}' --write"
        )
        write_section("shared-read", table, produced_by)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
