"""Benchmark: how long whole `stablenew` processes take, with bytecode cached (as users have it) and not.

Run: uv run python -m bench.startup_bench [--repeat 15] [--write]

Each command is timed as a whole process (fork, interpreter start, imports, work, exit), median of
``--repeat`` runs, beside ``python -c pass`` from the same run. "cached" keeps compiled bytecode in a
private PYTHONPYCACHEPREFIX warmed up first; "uncached" points PYTHONPYCACHEPREFIX at an empty folder
each time and forbids writing, so every module is compiled from source.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from adapters.record_store.jsonl import JsonlRecordStore
from bench.report import write_section

HISTORY_RUNS = 1_000


def make_history(home: Path) -> None:
    """One real run on the fake backend, then its record copied to HISTORY_RUNS runs."""
    _run([*_stablenew(), "run", "--prompt", "a lighthouse at dusk", "--learning"], home, {})
    sink = JsonlRecordStore(home / "records" / "learning_records.jsonl", durability="none")
    (record,) = list(sink.iter_records())
    sink.append_records(replace(record, run_id=uuid.uuid4().hex) for _ in range(HISTORY_RUNS - 1))
    sink.close()


def _stablenew() -> list[str]:
    code = "import sys; from adapters.cli import main; sys.argv[0] = 'stablenew'; main()"
    return [sys.executable, "-c", code]


def _run(argv: list[str], home: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=home, env={**os.environ, **env}, capture_output=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[-3:])} failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return took


def measure(argv: list[str], home: Path, repeat: int, *, cached: bool, prefix: Path) -> float:
    times = []
    for _ in range(repeat):
        if cached:
            env = {"PYTHONPYCACHEPREFIX": str(prefix / "warm")}
            env_unset = "PYTHONDONTWRITEBYTECODE"
        else:
            cold = prefix / f"cold-{uuid.uuid4().hex}"
            env = {"PYTHONPYCACHEPREFIX": str(cold), "PYTHONDONTWRITEBYTECODE": "1"}
            env_unset = ""
        full_env = {k: v for k, v in os.environ.items() if k != env_unset}
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=home, env={**full_env, **env}, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{argv[-3:]} failed: {done.stderr.decode()[-400:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="replace the section in docs/performance.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home, prefix = Path(tmp) / "home", Path(tmp) / "pycache"
        home.mkdir()
        make_history(home)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "stablenew --help": [*_stablenew(), "--help"],
            "stablenew --version": [*_stablenew(), "--version"],
            f"stablenew records list ({HISTORY_RUNS:,} runs)": [*_stablenew(), "records", "list"],
            "stablenew run (fake backend, learning on)": [
                *_stablenew(),
                *("run", "--prompt", "a lighthouse at dusk", "--learning"),
            ],
        }
        for argv in commands.values():  # warm the cached bytecode once
            measure(argv, home, 1, cached=True, prefix=prefix)
        rows = []
        for name, argv in commands.items():
            cached = measure(argv, home, args.repeat, cached=True, prefix=prefix)
            uncached = measure(argv, home, max(3, args.repeat // 3), cached=False, prefix=prefix)
            rows.append(f"| `{name}` | {cached * 1000:.0f} ms | {uncached * 1000:.0f} ms |")
            print(rows[-1], flush=True)
    table = "\n".join(
        [
            f"Whole processes, median of {args.repeat} (uncached: of {max(3, args.repeat // 3)}); "
            f"Python {platform.python_version()}, {os.cpu_count()} cores.",
            "",
            "| command | bytecode cached | not cached |",
            "|---|---|---|",
            *rows,
        ]
    )
    print(table)
    if args.write:
        command = f"uv run python -m bench.startup_bench --repeat {args.repeat} --write"
        write_section("startup", table, command)


if __name__ == "__main__":
    main()
