"""Benchmark: `stablenew export llm --pack portraits` as a whole process over large histories.

The histories are bench.index_bench's (about 950 bytes a record, a quarter of the runs in pack
`portraits`, one rating per 10 runs; cached under /tmp/stablenew-index-bench). Each size runs
once to bring the history index up to date, then ``--repeat`` times in full, with
``--max-chars 4000``, and `insights --json` of the same pack (most of the summary's work) for
comparison; the figures are medians, with the summary's size in characters.

Run: uv run python -m bench.llm_bench [--sizes 10000,100000] [--repeat 3] [--write]
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
from pathlib import Path

from bench.commands_bench import STABLENEW
from bench.index_bench import history
from bench.report import write_section


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds the process took and the characters it printed."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[3:])} failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return took, len(done.stdout.decode("utf-8").rstrip("\n"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="replace the section in docs/performance.md")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    rows = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as prefix:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")}
        settings = Path(prefix) / "settings.toml"
        settings.write_text("")
        env.update(PYTHONPYCACHEPREFIX=prefix, STABLENEW_SETTINGS=str(settings))
        for size in sizes:
            records, feedback = history(size)
            base = [*STABLENEW, "export", "llm", "--pack", "portraits"]
            paths = ["--records", str(records), "--feedback", str(feedback)]
            first, _ = timed([*base, *paths], env)
            print(f"{size:>9,} runs: first call (index build) {first:.2f} s", file=sys.stderr)
            full = [timed([*base, *paths], env) for _ in range(args.repeat)]
            cut = [timed([*base, "--max-chars", "4000", *paths], env) for _ in range(args.repeat)]
            insights = [
                timed([*STABLENEW, "insights", "--pack", "portraits", "--json", *paths], env)
                for _ in range(args.repeat)
            ]
            rows.append(
                f"| {size:,} | {statistics.median(t for t, _ in full):.2f} s | {full[0][1]:,} | "
                f"{statistics.median(t for t, _ in cut):.2f} s | {cut[0][1]:,} | "
                f"{statistics.median(t for t, _ in insights):.2f} s |"
            )
    table = "\n".join(
        [
            f"Whole `stablenew export llm --pack portraits` processes, index caught up, bytecode cached; "
            f"median of {args.repeat}. Python {platform.python_version()}, {os.cpu_count()} cores, "
            "histories of bench.index_bench (a quarter of the runs in the pack, one rating per 10 runs); "
            f"load average {load:.1f} when it started (the machine is shared: compare the columns, "
            "not runs on different days).",
            "",
            "| runs in the history | full | characters | `--max-chars 4000` | characters "
            "| `insights --pack portraits --json`, for comparison |",
            "|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )
    print(table)
    if args.write:
        command = f"uv run python -m bench.llm_bench --sizes {args.sizes} --repeat {args.repeat} --write"
        write_section("llm-export", table, command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
