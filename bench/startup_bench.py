"""Benchmark: how long whole `stablenew` processes take, with bytecode cached (as users have it) and not.

Run: uv run python -m bench.startup_bench [--repeat 15] [--baseline DIR --label TEXT] [--write]

Each command is timed as a whole process (fork, interpreter start, imports, work, exit): wall-clock
and CPU (user + system) time, median of ``--repeat`` rounds, each round running every command once
(``python -c pass`` too, and the baseline tree's run right after this one's), so that all see the
same machine. "cached" keeps compiled bytecode in a
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
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from adapters.record_store.jsonl import JsonlRecordStore
from bench.report import write_section

HISTORY_RUNS = 1_000
LISTING = f"stablenew records list ({HISTORY_RUNS:,} runs)"
RUN = "stablenew run (fake backend, learning on)"
GOALS = {"stablenew --help": 0.35, LISTING: 0.35, RUN: 0.45}  # seconds, bytecode cached (issue 9)
REMAINS = (
    "Each process imports and builds only the command it runs (adapters/cli/main.py, app_for); `--help` and "
    "`--version` build them all, for the list. `--help` loads Typer and, to draw the help, rich with "
    "markdown-it and pygments (Typer's rich help), but no settings, container, domain or adapter. "
    "What a listing still loads, it uses: since 0.29 Typer coerces every option through a pydantic "
    "TypeAdapter, so pydantic is loaded before any command code runs, and pydantic's plugin loader "
    "imports importlib.metadata (with email); pydantic-settings for the settings; "
    "dependency-injector, whose compiled providers import asyncio and whose wiring module imports "
    "Starlette's requests module when Starlette is installed (it is: the review server); the "
    "domain's dataclasses; rich's table; and sqlite3 with the index, the JSONL line reading and "
    "filelock. `run` adds Pillow, the record store and rich's markup. None of these can be deferred "
    "further from this project's code: going lower needs settings, wiring and option parsing that "
    "do not import pydantic, pydantic-settings and dependency-injector on the read path."
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


@dataclass
class Samples:
    """Wall-clock and CPU (user + system) seconds of each run of one command, per tree."""

    wall: list[Times]
    cpu: list[Times]


def measure(
    commands: dict[str, list[str]],
    homes: list[Path],
    repeat: int,
    prefix: Path,
    *,
    cached: bool,
    trees: list[Path | None],
) -> dict[str, Samples]:
    """Every command's runs, per tree, each tree in its own home (``homes[i]``: a tree of another
    index format would otherwise rebuild the shared index at every call); each round runs every
    command on every tree once, so all of them (``python -c pass`` too) see the same machine."""
    samples = {name: Samples([[] for _ in trees], [[] for _ in trees]) for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            for i, tree in enumerate(trees):
                kept = samples[name]
                if kept.wall[i] is None:
                    continue
                env = environment(prefix, cached=cached, tree=tree)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                done = subprocess.run(argv, cwd=homes[i], env=env, capture_output=True, check=False)
                took = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if done.returncode != 0:
                    if tree is None:
                        raise SystemExit(f"{argv[-3:]} failed: {done.stderr.decode()[-400:]}")
                    kept.wall[i] = kept.cpu[i] = None  # the baseline lacks this command
                    continue
                cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                kept.wall[i].append(took)  # type: ignore[union-attr]
                kept.cpu[i].append(cpu)  # type: ignore[union-attr]
    return samples


def import_self_times(argv: list[str], home: Path, prefix: Path, runs: int = 5) -> Counter[str]:
    """Microseconds of ``-X importtime`` self time per top-level package, bytecode cached: each
    module's least over ``runs`` runs, so that one run slowed by the machine does not count."""
    env = environment(prefix, cached=True, tree=None)
    least: dict[str, int] = {}
    for _ in range(runs):
        done = subprocess.run(
            [argv[0], "-X", "importtime", *argv[1:]], cwd=home, env=env, capture_output=True, check=False
        )
        for line in done.stderr.decode().splitlines():
            fields = line.removeprefix("import time:").split("|")
            if line.startswith("import time:") and len(fields) == 3 and fields[0].strip().isdigit():
                module, took = fields[2].strip(), int(fields[0])
                least[module] = min(took, least.get(module, took))
    totals: Counter[str] = Counter()
    for module, took in least.items():
        totals[module.split(".")[0]] += took
    return totals


def _median(times: Times) -> float:
    return statistics.median(times) if times else float("nan")


def _ms(times: Times) -> str:
    return "-" if not times else f"{_median(times) * 1000:.0f} ms"


def _breakdown(name: str, totals: Counter[str], shown: int = 10) -> str:
    top = ", ".join(f"{package} {us / 1000:.0f}" for package, us in totals.most_common(shown))
    return f"`{name}`: {sum(totals.values()) / 1000:.0f} ms in all; {top} ms."


Rows = dict[str, tuple[Samples, Samples]]  # per command: (bytecode cached, not cached)


def goal_rows(rows: Rows) -> list[str]:
    lines = []
    for name, target in GOALS.items():
        cached = rows[name][0]
        low, median, high = statistics.quantiles(cached.wall[0] or [], n=4)
        met = "yes" if median <= target else "NO"
        lines.append(
            f"| `{name}` | <= {target:.2f} s | {median:.3f} s | {low:.3f} to {high:.3f} s | "
            f"{(target - median) * 1000:+.0f} ms | {met} | {_median(cached.cpu[0]):.3f} s |"
        )
    return lines


def report(args: argparse.Namespace, rows: Rows, imports: str) -> str:
    python = _median(rows["python -c pass"][0].wall[0])
    before = " | before, cached | before, CPU time | before, not cached" if args.baseline else ""
    uncached = max(3, args.repeat // 3)
    lines = [
        "## Start-up (whole processes)",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, a machine shared with other jobs (often "
        f"every core busy). Each round runs every command below once, `python -c pass` included"
        + (", on this tree and then on the baseline" if args.baseline else "")
        + f", so all see the same machine; medians of {args.repeat} rounds with bytecode cached and "
        f"{uncached} without. Wall-clock times move with the load (read them against `python -c pass` "
        "from the same run); CPU time (user + system of the process) leaves out the waits for a core "
        "and is what a command costs on a quiet machine. The listing's index is caught up with the "
        "round before's runs (one or two records); each tree lists its own copy of the history, so"
        " neither reads an index the other wrote (of another format, it would be rebuilt)."
        + (f' "before" is {args.label}.' if args.baseline else ""),
        "",
        "| goal (issue 9), bytecode cached | target | median | middle half of the runs | margin | met "
        "| CPU time |",
        "|---|---:|---:|---:|---:|---|---:|",
        *goal_rows(rows),
        "",
        f"| command | bytecode cached | / `python -c pass` | CPU time | not cached{before} |",
        "|---|---:|---:|---:|---:|" + ("---:|---:|---:|" if args.baseline else ""),
    ]
    for name, (cached, cold) in rows.items():
        extra = (
            f" | {_ms(cached.wall[1])} | {_ms(cached.cpu[1])} | {_ms(cold.wall[1])}" if args.baseline else ""
        )
        ratio = _median(cached.wall[0]) / python
        lines.append(
            f"| `{name}` | {_ms(cached.wall[0])} | {ratio:.1f}x | {_ms(cached.cpu[0])} | "
            f"{_ms(cold.wall[0])}{extra} |"
        )
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
        homes, prefix = [Path(tmp) / f"home{i}" for i in range(len(trees))], Path(tmp) / "pycache"
        home = homes[0]
        for each in homes:
            each.mkdir()
            make_history(each)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "stablenew --help": [*_stablenew(), "--help"],
            "stablenew --version": [*_stablenew(), "--version"],
            LISTING: [*_stablenew(), "records", "list"],
            RUN: [*_stablenew(), *("run", "--prompt", "a lighthouse at dusk", "--learning")],
        }
        measure(commands, homes, 1, prefix, cached=True, trees=trees)  # warm the cached bytecode
        cached = measure(commands, homes, args.repeat, prefix, cached=True, trees=trees)
        uncached = measure(commands, homes, max(3, args.repeat // 3), prefix, cached=False, trees=trees)
        rows = {name: (cached[name], uncached[name]) for name in commands}
        for name, (warm, cold) in rows.items():
            print(f"{name}: cached {_ms(warm.wall[0])}, not cached {_ms(cold.wall[0])}", flush=True)
        imports = (
            "Where the imports go (`-X importtime`, bytecode cached, each module's least self time "
            "of 5 runs, summed per top-level package; importtime's own overhead inflates them): "
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
