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

How the trees are run and timed side by side: bench.side_by_side.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench import side_by_side
from bench.index_bench import history
from bench.side_by_side import Figures, Homes, Options, Tree, ms

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


def comparable(answer: bytes, home: Path) -> list[str]:
    """The answer's lines without the home's path and without lines that hold a timing."""
    text = answer.decode().replace(str(home), "HOME")
    return [line.rstrip() for line in text.splitlines() if not TIMING.search(line)]


@dataclass
class SizeResult:
    """One size's figures: each row's (command's) figures per tree, the `python -c pass` times,
    and the commands whose answers differed between the trees."""

    figures: dict[str, dict[str, Figures]] = field(default_factory=dict)
    passes: list[float] = field(default_factory=list)
    different: list[str] = field(default_factory=list)


def home_settings(home: Path) -> dict[str, str]:
    """Every file a tree reads or writes (records, feedback, index, images) under ``home``."""
    records = home / "records"
    return {
        "STABLENEW_LEARNING__RECORDS_PATH": str(records / "learning_records.jsonl"),
        "STABLENEW_FEEDBACK__PATH": str(records / "feedback.jsonl"),
        "STABLENEW_OUTPUT__DIR": str(home / "output"),
    }


def copy_history(homes: Homes, size: int) -> None:
    """Each home gets its own copy of the ``size``-run history (none for 0): the index file sits
    beside the records, so the trees never share a folder."""
    for home in homes.paths.values():
        (home / "records").mkdir()
        if size:
            for source in history(size):
                shutil.copyfile(source, home / "records" / source.name)


def measure(
    trees: tuple[Tree, ...], base: dict[str, str], folder: Path, plan: Path, size: int, repeat: int
) -> SizeResult:
    """The setup plan run, then every command, on each tree's own copy of the ``size``-run history."""
    result = SizeResult()
    commands = {
        name: [part.replace("{plan}", str(plan)) for part in command] for name, command in COMMANDS.items()
    }
    with side_by_side.empty_homes(folder, base, trees, home_settings) as homes:
        copy_history(homes, size)
        result.figures[SETUP] = {
            tree.name: Figures(first=homes.call(tree, commands["plan run PLAN.toml (every cell done)"])[0])
            for tree in trees
        }
        for name, command in commands.items():
            measured = side_by_side.measure_command(trees, homes, command, repeat)
            answers = [comparable(measured.answers[tree.name], homes.paths[tree.name]) for tree in trees]
            if name in COMPARED and any(each != answers[0] for each in answers):
                result.different.append(name)
            result.figures[name] = measured.figures
            result.passes += measured.passes
    return result


def report(options: Options, results: dict[int, SizeResult], load: float) -> str:
    rows = []
    for name in [SETUP, *COMMANDS]:
        for size in options.sizes:
            before, after = results[size].figures[name]["before"], results[size].figures[name]["after"]
            if name == SETUP:
                medians = ["-", "-", "-"]
            else:
                medians = [ms(before.median), ms(after.median), f"{before.median / after.median:.2f}x"]
            rows.append([f"`{name}`", f"{size:,}", ms(before.first), ms(after.first), *medians])
    passes = [each for result in results.values() for each in result.passes]
    different = [
        f"`{name}` at {size:,} runs" for size, result in results.items() for name in result.different
    ]
    same = (
        "Both trees printed the same answer to every first call of the plan commands "
        "(lines with a timing aside)."
        if not different
        else "The trees' answers differed for: " + ", ".join(different) + "."
    )
    paragraph = (
        side_by_side.measured_when(load) + "on the local JSONL history: "
        "bench.index_bench's generated records (about 950 bytes each, one rating per 10 runs), copied "
        "into a home of each tree's own, then a plan of 4 cells (1 prompt x 2 seeds x 2 samplers, "
        "64x64, txt2img, fake backend) run there (the first row: the only call, on a copy with no "
        f"index yet). {side_by_side.which_trees(options.label)} The first call of each command "
        f"follows that plan run; the medians are of the {options.repeat} calls after it, the trees "
        "interleaved call by call; `plan run` finds every cell done, so it reads the journal and stops. "
        f"{side_by_side.python_pass_sentence(passes)} {same}"
    )
    header = ["command", "runs", "before, first call", "after, first call", "before, median", "after, median"]
    return side_by_side.section(
        "Plan commands on a large history (whole processes)", paragraph, [*header, "before / after"], rows
    )


def main(argv: list[str] | None = None) -> int:
    options = side_by_side.parse_options((__doc__ or "").splitlines()[0], "1000,100000", argv)
    trees = options.trees
    load = os.getloadavg()[0]
    results: dict[int, SizeResult] = {}
    with tempfile.TemporaryDirectory(prefix="plan-read-bench-") as tmp:
        folder = Path(tmp)
        plan = folder / "plan.toml"
        plan.write_text(PLAN, encoding="utf-8")
        base = side_by_side.base_environment(folder, {})
        measure(trees, base, folder, plan, 0, 0)  # compile every module the commands load, untimed
        for size in options.sizes:
            history(size)  # generated (or found cached) before any timing
            results[size] = measure(trees, base, folder, plan, size, options.repeat)
            for name, figures in results[size].figures.items():
                side_by_side.progress(size, name, figures)
    table = report(options, results, load)
    return side_by_side.publish(options, "plan-read", table, "uv run python -m bench.plan_read_bench")


if __name__ == "__main__":
    raise SystemExit(main())
