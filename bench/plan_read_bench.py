"""Benchmark: the plan commands on a large history, whole processes, this tree vs a baseline.

Run: uv run python -m bench.plan_read_bench --baseline DIR [--label TEXT] [--sizes 1000,100000]
     [--repeat 5] [--write]

A plan's journal is the history: `plan status`, `plan check` and `plan run` find the plan's cells
among the recorded runs (docs/plans.md). Each size is bench.index_bench's generated history
(``history(size)``: records and one rating per 10 runs, cached under /tmp/stablenew-index-bench;
1,000,000 works but takes long to generate). For each size, each tree gets a home of its own with a
copy of both files (the index file sits beside the records, so the trees never share a folder), runs
a small plan on the fake backend there (1 prompt x 2 seeds x 2 samplers, 64x64, txt2img: timed as the
"fresh copy" row, where a tree builds whatever it keeps beside the records), then each command is
timed: the first call of each tree, then ``--repeat`` rounds on both trees in alternating order with
``python -c pass`` once per round, so that the load of a shared machine hits all alike. `plan run`
finds every cell done: it reads the journal and stops. `records list` is there for reference.

``--baseline DIR`` is another source tree of the project (for instance ``git archive main | tar -x
-C DIR``), run as this one is: ``python -c "from adapters.cli import main; ..."`` with the tree on
PYTHONPATH, bytecode cached in a private PYTHONPYCACHEPREFIX (warmed up before any timing), no
STABLENEW_* variable but the paths below and an empty settings file.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
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

from bench.commands_bench import STABLENEW
from bench.index_bench import history
from bench.report import write_section

ROOT = Path(__file__).resolve().parent.parent
PLAN = """\
schema = 1
name = "plan-read-bench"
pack = "bench"
prompts = ["a lighthouse at dusk, highly detailed"]
seeds = [1, 2]

[base]
stages = "txt2img"
width = 64
height = 64

[[axes]]
key = "sampler"
values = ["Euler a", "DDIM"]
"""
SETUP = "plan run PLAN.toml, on the fresh copy (runs the 4 cells)"
COMMANDS: dict[str, list[str]] = {
    "plan status PLAN.toml": ["plan", "status", "{plan}"],
    "plan check PLAN.toml": ["plan", "check", "{plan}"],
    "plan run PLAN.toml (every cell done)": ["plan", "run", "{plan}"],
    "records list": ["records", "list"],
}
COMPARED = ("plan status PLAN.toml", "plan check PLAN.toml", "plan run PLAN.toml (every cell done)")
# `records list` shows the plan runs' times, which differ between the trees' homes by nature.
TIMING = re.compile(r"\d\s*(ms|s|seconds?|minutes?)\b|\d\d:\d\d:\d\d")
TIMEOUT = 3600  # seconds for one call; a full read of a large history on a loaded machine is slow


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
        return statistics.median(self.repeats) if self.repeats else self.first


def base_environment(prefix: Path) -> dict[str, str]:
    """This process's environment without the project's settings, bytecode cached under ``prefix``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STABLENEW_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    settings = prefix / "settings.toml"
    settings.write_text("")
    env.update(
        PYTHONPYCACHEPREFIX=str(prefix / "pycache"),
        COLUMNS="160",
        STABLENEW_SETTINGS=str(settings),
    )
    return env


def tree_environment(base: dict[str, str], tree: Tree, home: Path) -> dict[str, str]:
    """The tree first on the path, and every file it reads or writes (records, feedback, index,
    images, caches) under ``home``."""
    records = home / "records"
    return {
        **base,
        "PYTHONPATH": str(tree.source),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "STABLENEW_LEARNING__RECORDS_PATH": str(records / "learning_records.jsonl"),
        "STABLENEW_FEEDBACK__PATH": str(records / "feedback.jsonl"),
        "STABLENEW_OUTPUT__DIR": str(home / "output"),
    }


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False, timeout=TIMEOUT)
    took = time.perf_counter() - started
    if done.returncode != 0:
        where = env.get("PYTHONPATH", "")
        raise SystemExit(
            f"{' '.join(argv[3:])} failed ({done.returncode}) in {where}: {done.stderr.decode()[-400:]}"
        )
    return took, done.stdout.decode()


@contextmanager
def homes_with(folder: Path, trees: list[Tree], size: int) -> Iterator[dict[str, Path]]:
    """A new home per tree holding its own copy of the ``size``-run history (or none for 0),
    deleted afterwards (two copies of a large history and their indexes fill a disk)."""
    homes = {tree.name: Path(tempfile.mkdtemp(prefix=f"home-{tree.name}-", dir=folder)) for tree in trees}
    try:
        for home in homes.values():
            (home / "records").mkdir()
            if size:
                for source in history(size):
                    shutil.copyfile(source, home / "records" / source.name)
        yield homes
    finally:
        for home in homes.values():
            shutil.rmtree(home, ignore_errors=True)


def comparable(answer: str, home: Path) -> list[str]:
    """The answer's lines without the home's path and without lines that hold a timing."""
    text = answer.replace(str(home), "HOME")
    return [line.rstrip() for line in text.splitlines() if not TIMING.search(line)]


@dataclass
class SizeResult:
    """One size's figures: each row's (command's) figures per tree, the `python -c pass` times,
    and the commands whose answers differed between the trees."""

    figures: dict[str, dict[str, Figures]] = field(default_factory=dict)
    passes: list[float] = field(default_factory=list)
    different: list[str] = field(default_factory=list)


def measure(
    trees: list[Tree], base: dict[str, str], folder: Path, plan: Path, size: int, repeat: int
) -> SizeResult:
    result = SizeResult()
    commands = {
        name: [part.replace("{plan}", str(plan)) for part in command] for name, command in COMMANDS.items()
    }
    with homes_with(folder, trees, size) as homes:
        envs = {tree.name: tree_environment(base, tree, homes[tree.name]) for tree in trees}

        def call(tree: Tree, command: list[str]) -> tuple[float, str]:
            return timed([*STABLENEW, *command], envs[tree.name], homes[tree.name])

        result.figures[SETUP] = {
            tree.name: Figures(first=call(tree, commands["plan run PLAN.toml (every cell done)"])[0])
            for tree in trees
        }
        for name, command in commands.items():
            figures = {tree.name: Figures() for tree in trees}
            answers = []
            for tree in trees:
                figures[tree.name].first, answer = call(tree, command)
                answers.append(comparable(answer, homes[tree.name]))
            if name in COMPARED and any(each != answers[0] for each in answers):
                result.different.append(name)
            for round_number in range(repeat):
                for tree in trees if round_number % 2 == 0 else trees[::-1]:
                    figures[tree.name].repeats.append(call(tree, command)[0])
                result.passes.append(timed([sys.executable, "-c", "pass"], base, folder)[0])
            result.figures[name] = figures
    return result


def git_commit(tree: Path) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def report(args: argparse.Namespace, sizes: list[int], results: dict[int, SizeResult], load: float) -> str:
    rows = []
    for name in [SETUP, *COMMANDS]:
        for size in sizes:
            before, after = results[size].figures[name]["before"], results[size].figures[name]["after"]
            if name == SETUP:
                medians = "- | - | -"
            else:
                medians = f"{_ms(before.median)} | {_ms(after.median)} | {before.median / after.median:.2f}x"
            rows.append(f"| `{name}` | {size:,} | {_ms(before.first)} | {_ms(after.first)} | {medians} |")
    passes = [each for result in results.values() for each in result.passes]
    different = [
        f"`{name}` at {size:,} runs" for size, result in results.items() for name in result.different
    ]
    commit = git_commit(ROOT)
    after_is = f"this tree (commit {commit})" if commit else "this tree"
    same = (
        "Both trees printed the same answer to every first call of the plan commands "
        "(lines with a timing aside)."
        if not different
        else "The trees' answers differed for: " + ", ".join(different) + "."
    )
    return "\n".join(
        [
            "## Plan commands on a large history (whole processes)",
            "",
            f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
            f"{platform.python_version()}, {os.cpu_count()} cores, load average {load:.1f} when it started "
            "(a shared machine: read the columns side by side, not against other runs). Every call is a "
            "whole `stablenew` process with bytecode cached, on the local JSONL history: "
            "bench.index_bench's generated records (about 950 bytes each, one rating per 10 runs), copied "
            "into a home of each tree's own, then a plan of 4 cells (1 prompt x 2 seeds x 2 samplers, "
            "64x64, txt2img, fake backend) run there (the first row: the only call, on a copy with no "
            f'index yet). "before" is {args.label}; "after" is {after_is}. The first call of each command '
            f"follows that plan run; the medians are of the {args.repeat} calls after it, the trees "
            "interleaved call by call; `plan run` finds every cell done, so it reads the journal and stops. "
            f"`python -c pass` in the same run: {_ms(statistics.median(passes))}. {same}",
            "",
            "| command | runs | before, first call | after, first call | before, median | after, median | "
            "before / after |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="the source tree timed as 'before'")
    parser.add_argument("--label", default="the baseline tree", help="what the baseline tree is")
    parser.add_argument("--sizes", default="1000,100000")
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
    results: dict[int, SizeResult] = {}
    with tempfile.TemporaryDirectory(prefix="plan-read-bench-") as tmp:
        folder = Path(tmp)
        plan = folder / "plan.toml"
        plan.write_text(PLAN, encoding="utf-8")
        base = base_environment(folder)
        measure(trees, base, folder, plan, 0, 0)  # compile every module the commands load, untimed
        for size in sizes:
            history(size)  # generated (or found cached) before any timing
            results[size] = measure(trees, base, folder, plan, size, args.repeat)
            for name, figures in results[size].figures.items():
                print(
                    f"{size:>9,} {name}: before {_ms(figures['before'].median)}, after "
                    f"{_ms(figures['after'].median)}",
                    file=sys.stderr,
                )
    table = report(args, sizes, results, load)
    print(table)
    if args.write:
        produced_by = (
            f"uv run python -m bench.plan_read_bench --sizes {args.sizes} --repeat {args.repeat} "
            f"--baseline DIR --label '{args.label}' --write"
        )
        write_section("plan-read", table, produced_by)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
