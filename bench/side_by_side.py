"""Whole-process timings of two source trees of the project, side by side.

A bench built on this module times `stablenew` commands in this tree ("after") and in another source
tree of the project ("before", ``--baseline DIR``, for instance ``git archive main | tar -x -C DIR``),
each run as this one is: ``python -c "from adapters.cli import main; ..."`` with the tree on
PYTHONPATH, bytecode cached in a private PYTHONPYCACHEPREFIX (warmed up before any timing), no
STABLENEW_* variable but the bench's own and an empty settings file. Each tree gets a home of its
own (nothing shared with the other tree); each command's first call is timed on each tree, then
``--repeat`` rounds run it on both trees in alternating order and ``python -c pass`` once, so that
the load of a shared machine hits all alike.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.commands_bench import STABLENEW
from bench.report import write_section

ROOT = Path(__file__).resolve().parent.parent
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


@dataclass(frozen=True)
class Options:
    """What every side-by-side bench is asked on its command line."""

    trees: tuple[Tree, Tree]  # before, after
    label: str  # what the baseline ("before") tree is
    sizes: tuple[int, ...]
    sizes_text: str  # as typed, for the "Produced by" command
    repeat: int
    write: bool


def parse_options(description: str, default_sizes: str, argv: list[str] | None) -> Options:
    """The options from ``argv``; a bad one ends the process with one line saying which."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--baseline", type=Path, required=True, help="the source tree timed as 'before'")
    parser.add_argument("--label", default="the baseline tree", help="what the baseline tree is")
    parser.add_argument("--sizes", default=default_sizes)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="replace the section in docs/performance.md")
    args = parser.parse_args(argv)
    try:
        sizes = tuple(int(size) for size in args.sizes.split(","))
    except ValueError:
        parser.error(f"--sizes {args.sizes}: not a comma-separated list of whole numbers")
    if args.repeat < 1 or not sizes or min(sizes) < 1:
        parser.error("--repeat and every size must be at least 1")
    baseline = args.baseline.resolve()
    if not (baseline / "adapters" / "cli").is_dir():
        parser.error(f"--baseline {baseline}: not a source tree of the project (no adapters/cli)")
    return Options(
        trees=(Tree("before", baseline), Tree("after", ROOT)),
        label=args.label,
        sizes=sizes,
        sizes_text=args.sizes,
        repeat=args.repeat,
        write=args.write,
    )


def base_environment(prefix: Path, settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without the project's settings but ``settings``, bytecode cached
    under ``prefix``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("STABLENEW_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    settings_file = prefix / "settings.toml"
    settings_file.write_text("")
    env.update(
        PYTHONPYCACHEPREFIX=str(prefix / "pycache"),
        COLUMNS="160",
        STABLENEW_SETTINGS=str(settings_file),
    )
    env.update(settings)
    return env


def tree_environment(
    base: Mapping[str, str], tree: Tree, home: Path, settings: Mapping[str, str]
) -> dict[str, str]:
    """The tree first on the path, every cache under ``home``, and ``settings`` (the paths of the
    files the bench puts under ``home``)."""
    return {
        **base,
        "PYTHONPATH": str(tree.source),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        **settings,
    }


def timed(argv: list[str], env: Mapping[str, str], cwd: Path) -> tuple[float, bytes]:
    """How long ``argv`` took and what it printed; a failed call ends the bench, saying where."""
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False, timeout=TIMEOUT)
    took = time.perf_counter() - started
    if done.returncode != 0:
        where = env.get("PYTHONPATH", "")
        raise SystemExit(
            f"{' '.join(argv[3:])} failed ({done.returncode}) in {where}: {done.stderr.decode()[-400:]}"
        )
    return took, done.stdout


@dataclass(frozen=True)
class Homes:
    """Each tree's home (by tree name) and the environment its calls run in."""

    folder: Path
    base: dict[str, str]
    paths: dict[str, Path]
    envs: dict[str, dict[str, str]]

    def call(self, tree: Tree, command: list[str]) -> tuple[float, bytes]:
        """One `stablenew` call in ``tree`` from its home: how long it took and what it printed."""
        return timed([*STABLENEW, *command], self.envs[tree.name], self.paths[tree.name])

    def python_pass(self) -> float:
        """How long ``python -c pass`` takes now: the floor any call stands on."""
        return timed([sys.executable, "-c", "pass"], self.base, self.folder)[0]


@contextmanager
def empty_homes(
    folder: Path, base: dict[str, str], trees: Sequence[Tree], settings: Callable[[Path], Mapping[str, str]]
) -> Iterator[Homes]:
    """A new, empty home per tree under ``folder``, with ``settings(home)`` in its environment,
    deleted afterwards (a large history, mirror or index per tree would fill the disk)."""
    paths = {tree.name: Path(tempfile.mkdtemp(prefix=f"home-{tree.name}-", dir=folder)) for tree in trees}
    try:
        envs = {
            tree.name: tree_environment(base, tree, paths[tree.name], settings(paths[tree.name]))
            for tree in trees
        }
        yield Homes(folder=folder, base=base, paths=paths, envs=envs)
    finally:
        for home in paths.values():
            shutil.rmtree(home, ignore_errors=True)


@dataclass(frozen=True)
class Measured:
    """One command's figures per tree, each tree's answer to its first call, and the
    ``python -c pass`` times of the rounds."""

    figures: dict[str, Figures]
    answers: dict[str, bytes]
    passes: list[float]


def measure_command(trees: Sequence[Tree], homes: Homes, command: list[str], repeat: int) -> Measured:
    """The first call on each tree, then ``repeat`` rounds, the trees in alternating order."""
    figures = {tree.name: Figures() for tree in trees}
    answers: dict[str, bytes] = {}
    for tree in trees:
        figures[tree.name].first, answers[tree.name] = homes.call(tree, command)
    passes = []
    for round_number in range(repeat):
        for tree in trees if round_number % 2 == 0 else trees[::-1]:
            figures[tree.name].repeats.append(homes.call(tree, command)[0])
        passes.append(homes.python_pass())
    return Measured(figures=figures, answers=answers, passes=passes)


def progress(size: int, name: str, figures: Mapping[str, Figures]) -> None:
    """One line on stderr, so that a long run shows where it is."""
    print(
        f"{size:>9,} {name}: before {ms(figures['before'].median)}, after "
        f"{ms(figures['after'].median)} (first call {ms(figures['after'].first)})",
        file=sys.stderr,
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def git_commit(tree: Path) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None


def measured_when(load: float) -> str:
    """The report's opening: when, on what, and that every call is a whole process."""
    return (
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, load average {load:.1f} when it started "
        "(a shared machine: read the columns side by side, not against other runs). Every call is a "
        "whole `stablenew` process with bytecode cached, "
    )


def which_trees(label: str) -> str:
    """The report's sentence naming the "before" and the "after" tree."""
    commit = git_commit(ROOT)
    after_is = f"this tree (commit {commit})" if commit else "this tree"
    return f'"before" is {label}; "after" is {after_is}.'


def python_pass_sentence(passes: list[float]) -> str:
    return f"`python -c pass` in the same run: {ms(statistics.median(passes))}."


def section(title: str, paragraph: str, header: list[str], rows: list[list[str]]) -> str:
    """A report section: its title, its paragraph, and a table whose first column is left-aligned
    and every other right-aligned."""
    return "\n".join(
        [
            f"## {title}",
            "",
            paragraph,
            "",
            "| " + " | ".join(header) + " |",
            "|---|" + "---:|" * (len(header) - 1),
            *("| " + " | ".join(row) + " |" for row in rows),
        ]
    )


def publish(options: Options, name: str, text: str, invocation: str) -> int:
    """Print the report; with ``--write`` also put it into docs/performance.md as section ``name``,
    with the command that produced it (``invocation`` and the options, the baseline as DIR)."""
    print(text)
    if options.write:
        produced_by = (
            f"{invocation} --sizes {options.sizes_text} --repeat {options.repeat} "
            f"--baseline DIR --label '{options.label}' --write"
        )
        write_section(name, text, produced_by)
    return 0
