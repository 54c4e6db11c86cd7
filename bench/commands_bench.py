"""Benchmark: the read commands as whole `stablenew` processes on 1,000, 100,000 and 1,000,000 runs.

Each command (`records list`, `list` with three filters, `list --search`, `show` by the
8-character prefix of the oldest run, `stats`) runs once to bring the history index up to date,
then ``--repeat`` times; the figure is the median, bytecode cached (as users have it), beside
`python -c pass` from the same run. Issue 9's goal: the 1,000,000-run time is at most 1.5x the
1,000-run time.

Run: uv run python -m bench.commands_bench [--sizes 1000,100000,1000000] [--repeat 5] [--write]
The histories are bench.index_bench's (cached under /tmp/stablenew-index-bench).
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

from bench.index_bench import history
from bench.report import write_section

COMMANDS: dict[str, list[str]] = {
    "records list": ["records", "list"],
    "list, three filters": ["records", "list", "--model", "sdxl*", "--steps", "30..", "--rating", "4.."],
    "list --search lighthouse": ["records", "list", "--search", "lighthouse"],
    "show <oldest run's prefix>": ["records", "show", "{oldest}"],
    "records stats": ["records", "stats"],
}
STABLENEW = [
    sys.executable,
    "-c",
    "import sys; from adapters.cli import main; sys.argv[0] = 'stablenew'; main()",
]


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[3:])} failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="replace the section in docs/performance.md")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as prefix:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
        env = {k: v for k, v in env.items() if not k.startswith("STABLENEW_")}
        settings = Path(prefix) / "settings.toml"
        settings.write_text("")
        env.update(PYTHONPYCACHEPREFIX=prefix, COLUMNS="160", STABLENEW_SETTINGS=str(settings))
        pass_times = []
        figures: dict[str, dict[int, float]] = {name: {} for name in COMMANDS}
        for size in sizes:
            records, feedback = history(size)
            oldest = records.open("rb").readline()[len(b'{"schema_version":1,"run_id":"') :][:8].decode()
            paths = ["--records", str(records), "--feedback", str(feedback)]
            for name, command in COMMANDS.items():
                full = [*STABLENEW, *[part.replace("{oldest}", oldest) for part in command], *paths]
                began = time.perf_counter()
                timed(full, env)  # brings the index up to date (builds it the first time)
                print(f"{size:>9,} {name}: first call {time.perf_counter() - began:.2f} s", file=sys.stderr)
                times = []
                for _ in range(args.repeat):
                    times.append(timed(full, env))
                    pass_times.append(timed([sys.executable, "-c", "pass"], env))
                figures[name][size] = statistics.median(times)
    rows = []
    for name, by_size in figures.items():
        cells = " | ".join(f"{by_size[size] * 1000:.0f} ms" for size in sizes)
        ratio = by_size[sizes[-1]] / by_size[sizes[0]]
        rows.append(f"| `{name}` | {cells} | {ratio:.2f}x | {'yes' if ratio <= 1.5 else 'NO'} |")
    header = " | ".join(f"{size:,} runs" for size in sizes)
    table = "\n".join(
        [
            f"Whole `stablenew` processes, index caught up, bytecode cached; median of {args.repeat}. "
            f"Python {platform.python_version()}, {os.cpu_count()} cores, histories of bench.index_bench "
            f"(about 950 bytes a record, one rating per 10 runs). `python -c pass` in the same run: "
            f"{statistics.median(pass_times) * 1000:.0f} ms.",
            "",
            f"| command | {header} | largest / smallest | <= 1.5x |",
            f"|---|{'---:|' * len(sizes)}---:|---|",
            *rows,
        ]
    )
    print(table)
    if args.write:
        command = f"uv run python -m bench.commands_bench --sizes {args.sizes} --repeat {args.repeat} --write"
        write_section("read-commands", table, command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
