"""Benchmark: how long whole `stablenew` processes take, with bytecode cached (as users have it) and not.

Run: uv run python -m bench.startup_bench [--repeat 15] [--baseline DIR --label TEXT] [--write]

Each command is timed as a whole process (fork, interpreter start, imports, work, exit), median of
``--repeat`` runs, beside ``python -c pass`` from the same run. "cached" keeps compiled bytecode in a
private PYTHONPYCACHEPREFIX warmed up first; "uncached" points PYTHONPYCACHEPREFIX at an empty folder
each time and forbids writing, so every module is compiled from source.

``--baseline DIR`` also times another source tree of the project (for instance
``git archive main | tar -x -C DIR``), first on PYTHONPATH, run by run interleaved with this one;
``--label`` says in the report what that tree is.
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
from collections import Counter
from dataclasses import replace
from pathlib import Path

from adapters.record_store.jsonl import JsonlRecordStore
from bench.report import write_section

HISTORY_RUNS = 1_000
LISTING = f"stablenew records list ({HISTORY_RUNS:,} runs)"
RUN = "stablenew run (fake backend, learning on)"
GOALS = {"stablenew --help": 0.35, LISTING: 0.35, RUN: 0.45}  # seconds, bytecode cached (issue 9)
REMAINS = (
    "`--help` and `--version` load Typer (and rich, for the help) but no settings, container, "
    "domain or adapter. What a listing still loads, it uses: pydantic-settings (which imports "
    "pydantic and asyncio; Typer 0.29 also coerces every option through pydantic), "
    "dependency-injector (its containers module imports its wiring module, and that imports "
    "Starlette's requests module when Starlette is installed), the domain (its dataclasses are "
    "most of its time), rich's table, and the SQLite index with the JSONL log's line reading and "
    "filelock (to ask the writers' lock whether an unfinished last line is still being written). "
    "`run` adds Pillow and the record store. A listing well under 0.35 s would need settings and "
    "wiring that do not import pydantic-settings and dependency-injector on the read path."
)
CACHING = (
    "uv installs packages without compiling them (`uv sync --compile-bytecode` does), so the first "
    "run writes the bytecode; where PYTHONDONTWRITEBYTECODE is set and nothing was compiled, as on "
    'the machine measured, every start takes the "not cached" time.'
)


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


def environment(prefix: Path, *, cached: bool, tree: Path | None) -> dict[str, str]:
    """The environment: bytecode cached in ``prefix`` or compiled afresh; ``tree`` first on the path."""
    env = dict(os.environ)
    if cached:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(prefix / "warm")
    else:
        env |= {
            "PYTHONPYCACHEPREFIX": str(prefix / f"cold-{uuid.uuid4().hex}"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


Times = list[float] | None  # seconds of each run of one command on one tree; None: the tree lacks it


def measure(
    argv: list[str], home: Path, repeat: int, prefix: Path, *, cached: bool, trees: list[Path | None]
) -> list[Times]:
    """Seconds of every run, per tree, the trees' runs interleaved."""
    times: list[Times] = [[] for _ in trees]
    for _ in range(repeat):
        for i, tree in enumerate(trees):
            kept = times[i]
            if kept is None:
                continue
            env = environment(prefix, cached=cached, tree=tree)
            started = time.perf_counter()
            done = subprocess.run(argv, cwd=home, env=env, capture_output=True, check=False)
            kept.append(time.perf_counter() - started)
            if done.returncode != 0:
                if tree is None:
                    raise SystemExit(f"{argv[-3:]} failed: {done.stderr.decode()[-400:]}")
                times[i] = None  # the baseline lacks this command
    return times


def import_self_times(argv: list[str], home: Path, prefix: Path) -> Counter[str]:
    """Microseconds of ``-X importtime`` self time per top-level package, bytecode cached."""
    env = environment(prefix, cached=True, tree=None)
    done = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], cwd=home, env=env, capture_output=True, check=False
    )
    totals: Counter[str] = Counter()
    for line in done.stderr.decode().splitlines():
        fields = line.removeprefix("import time:").split("|")
        if line.startswith("import time:") and len(fields) == 3 and fields[0].strip().isdigit():
            totals[fields[2].strip().split(".")[0]] += int(fields[0])
    return totals


def _median(times: Times) -> float:
    return statistics.median(times) if times else float("nan")


def _ms(times: Times) -> str:
    return "-" if not times else f"{_median(times) * 1000:.0f} ms"


def _breakdown(name: str, totals: Counter[str], shown: int = 10) -> str:
    top = ", ".join(f"{package} {us / 1000:.0f}" for package, us in totals.most_common(shown))
    return f"`{name}`: {sum(totals.values()) / 1000:.0f} ms in all; {top} ms."


def goal_rows(rows: dict[str, tuple[list[Times], list[Times]]]) -> list[str]:
    lines = []
    for name, target in GOALS.items():
        times = rows[name][0][0] or []
        low, median, high = statistics.quantiles(times, n=4)
        met = "yes" if median <= target else "NO"
        lines.append(
            f"| `{name}` | <= {target:.2f} s | {median:.3f} s | {low:.3f} to {high:.3f} s | "
            f"{(target - median) * 1000:+.0f} ms | {met} |"
        )
    return lines


def report(args: argparse.Namespace, rows: dict[str, tuple[list[Times], list[Times]]], imports: str) -> str:
    python = _median(rows["python -c pass"][0][0])
    before = " | before, cached | before, not cached" if args.baseline else ""
    lines = [
        "## Start-up (whole processes)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')}: median of {args.repeat} runs (not cached: of "
        f"{max(3, args.repeat // 3)}), Python {platform.python_version()}, {os.cpu_count()} cores. "
        "The machine was shared with other jobs: between runs of this benchmark the medians moved by "
        "up to 0.06 s, so read the ratios to `python -c pass` from the same run, and a goal met by "
        "less than that is met only when the machine is quiet."
        + (f' "before" is {args.label}, run by run interleaved with this one.' if args.baseline else ""),
        "",
        "| goal (issue 9), bytecode cached | target | median | middle half of the runs | margin | met |",
        "|---|---:|---:|---:|---:|---|",
        *goal_rows(rows),
        "",
        f"| command | bytecode cached | / `python -c pass` | not cached{before} |",
        "|---|---:|---:|---:|" + ("---:|---:|" if args.baseline else ""),
    ]
    for name, (cached, uncached) in rows.items():
        extra = f" | {_ms(cached[1])} | {_ms(uncached[1])}" if args.baseline else ""
        ratio = _median(cached[0]) / python
        lines.append(f"| `{name}` | {_ms(cached[0])} | {ratio:.0f}x | {_ms(uncached[0])}{extra} |")
    lines += ["", imports, "", REMAINS, "", CACHING]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--baseline", type=Path, help="another source tree of the project to time alongside")
    parser.add_argument("--label", default="the baseline tree", help="what the baseline tree is")
    parser.add_argument("--write", action="store_true", help="replace the section in docs/performance.md")
    args = parser.parse_args()
    trees: list[Path | None] = [None, args.baseline.resolve()] if args.baseline else [None]
    with tempfile.TemporaryDirectory() as tmp:
        home, prefix = Path(tmp) / "home", Path(tmp) / "pycache"
        home.mkdir()
        make_history(home)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "stablenew --help": [*_stablenew(), "--help"],
            "stablenew --version": [*_stablenew(), "--version"],
            LISTING: [*_stablenew(), "records", "list"],
            RUN: [*_stablenew(), *("run", "--prompt", "a lighthouse at dusk", "--learning")],
        }
        rows = {}
        for name, argv in commands.items():
            measure(argv, home, 1, prefix, cached=True, trees=trees)  # warm the cached bytecode
            cached = measure(argv, home, args.repeat, prefix, cached=True, trees=trees)
            uncached = measure(argv, home, max(3, args.repeat // 3), prefix, cached=False, trees=trees)
            rows[name] = (cached, uncached)
            print(f"{name}: cached {_ms(cached[0])}, not cached {_ms(uncached[0])}", flush=True)
        imports = (
            "Where the imports go (`-X importtime`, bytecode cached, self time summed per top-level "
            "package; importtime's own overhead inflates them): "
            + " ".join(_breakdown(name, import_self_times(commands[name], home, prefix)) for name in GOALS)
        )
    text = report(args, rows, imports)
    print(text)
    if args.write:
        baseline = f" --baseline DIR --label '{args.label}'" if args.baseline else ""
        command = f"uv run python -m bench.startup_bench --repeat {args.repeat}{baseline} --write"
        write_section("startup", text, command)


if __name__ == "__main__":
    main()
