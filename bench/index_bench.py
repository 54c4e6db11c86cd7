"""Benchmark: the SQLite history index at 1,000, 100,000 and 1,000,000 runs.

Measures, in this process: building the index from nothing vs a bare orjson parse of the same
files, catching up after one appended record, and the read queries (list 20, list 20 with
three filters, search, show by the 8-character prefix of the oldest run) at each size.

Run: uv run python -m bench.index_bench [--sizes 1000,100000,1000000] [--repeat 5]
Generated histories are cached under /tmp/stablenew-index-bench, or $BENCH_CACHE (delete
it to regenerate; a folder of your own keeps another benchmark run from rebuilding your indexes).
Writes its figures to docs/performance.md (section "history-index").
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from adapters.index.columns import record_columns
from adapters.index.connection import remove
from adapters.index.sqlite_index import SqliteRunIndex
from adapters.jsonl_log import JsonlLog, encode_line
from bench.report import write_section
from domain.run_filter import NumberRange, RunFilter

CACHE = Path(os.environ.get("BENCH_CACHE") or "/tmp/stablenew-index-bench")
GENERATOR = 2  # bump when the generated records change
WORDS = [
    "lighthouse",
    "dusk",
    "portrait",
    "forest",
    "river",
    "mountain",
    "castle",
    "city",
    "night",
    "rain",
    "fog",
    "snow",
    "desert",
    "ocean",
    "garden",
    "robot",
    "dragon",
    "cat",
    "dog",
    "knight",
    "ship",
    "train",
    "street",
    "market",
    "temple",
]
MODELS = ("sdxl-base", "sd15-dream", "flux-dev", "pony-v6")
SAMPLERS = ("Euler a", "DPM++ 2M", "DDIM", "UniPC")
PACKS = ("portraits", "landscapes", "animals", None)


def run_id_and_time(number: int, rnd: random.Random) -> tuple[str, str]:
    """The ``number``-th generated run's id (sorting as it was made) and time (one second apart)."""
    run_id = f"{number:08x}{rnd.getrandbits(96):024x}"
    minutes, seconds = divmod(number, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    stamp = f"2026-{1 + days // 28 % 12:02d}-{1 + days % 28:02d}T{hours:02d}:{minutes:02d}:{seconds:02d}.000Z"
    return run_id, stamp


def record(number: int, rnd: random.Random) -> dict[str, Any]:
    """A compact but complete record (one txt2img stage, one image): about 970 bytes as a line."""
    run_id, stamp = run_id_and_time(number, rnd)
    model, sampler, steps = rnd.choice(MODELS), rnd.choice(SAMPLERS), rnd.choice((20, 25, 30, 40))
    prompt = " ".join(rnd.sample(WORDS, 5))
    seed = rnd.getrandbits(31)
    return {
        "schema_version": 1,
        "run_id": run_id,
        "timestamp": stamp,
        "status": "succeeded" if rnd.random() < 0.9 else "failed",
        "source": "pipeline",
        "prompt_pack_id": rnd.choice(PACKS),
        "prompt_id": f"p{number % 17}",
        "stage_plan": ["txt2img"],
        "stages_executed": ["txt2img"],
        "config": {
            "prompt": f"a {prompt}, highly detailed",
            "negative_prompt": "blurry, lowres",
            "model": model,
            "sampler": sampler,
            "steps": steps,
            "cfg_scale": rnd.choice((5.0, 7.0, 9.0)),
            "width": 1024,
            "height": 1024,
            "seed": seed,
        },
        "stage_events": [
            {"stage": "txt2img", "status": "succeeded", "duration_ms": 900 + steps * 40, "image_count": 1}
        ],
        "outputs": [
            {
                "stage": "txt2img",
                "index": 0,
                "path": f"output/{run_id[:8]}.png",
                "width": 1024,
                "height": 1024,
                "seed": seed,
                "sha256": f"{rnd.getrandbits(256):064x}",
            }
        ],
        "metrics": {"total_duration_ms": 1000 + steps * 40, "image_count": 1},
        "backend": {"kind": "fake", "model": model, "model_hash": "abc123"},
        "resolved": {"txt2img": {"sampler": sampler, "seed": seed}},
    }


def event(number: int, run_id: str, rnd: random.Random) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "event_id": f"e{number}",
        "run_id": run_id,
        "timestamp": "2026-11-24T09:00:00.000Z",
        "by": {"kind": "person", "name": "alice"},
        "kind": "rating",
        "rating": rnd.randint(1, 5),
    }


def history(count: int) -> tuple[Path, Path]:
    """The cached records and feedback files of ``count`` runs (one rating per 10 runs)."""
    folder = CACHE / f"v{GENERATOR}-{count}"
    records, feedback = folder / "learning_records.jsonl", folder / "feedback.jsonl"
    if records.exists() and feedback.exists():
        return records, feedback
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(count)
    began = time.perf_counter()
    with open(f"{records}.tmp", "wb") as out, open(f"{feedback}.tmp", "wb") as rated:
        for start in range(0, count, 10_000):
            lines, events = [], []
            for number in range(start, min(count, start + 10_000)):
                payload = record(number, rnd)
                lines.append(encode_line(payload))
                if number % 10 == 0:
                    events.append(encode_line(event(number, payload["run_id"], rnd)))
            out.write(b"".join(lines))
            rated.write(b"".join(events))
    os.replace(f"{feedback}.tmp", feedback)
    os.replace(f"{records}.tmp", records)
    print(f"generated {count:,} runs in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return records, feedback


def bare_parse(*paths: Path) -> int:
    """The floor: read in 1 MiB blocks, split lines, orjson.loads each; nothing else."""
    parsed = 0
    loads = orjson.loads
    for path in paths:
        with open(path, "rb", buffering=0) as handle:
            pending = b""
            while chunk := handle.read(1 << 20):
                lines = (pending + chunk).split(b"\n")
                pending = lines.pop()
                for line in lines:
                    loads(line)
                    parsed += 1
    return parsed


@dataclass(frozen=True)
class Breakdown:
    """CPU seconds of each step of a build, timed one by one over the records file."""

    parse: float  # bare_parse of the records file
    lines: float  # entries(): the same parse plus the checksum of each line
    rows: float  # record_columns() of every payload (validation and the row's values), kept in lists
    inserts: float  # rows and words computed beforehand into an empty index file, as the build does
    inserts_off: float  # the same into a fresh file with journal_mode=OFF, synchronous=OFF, 1 GiB cache


def breakdown(records: Path) -> Breakdown:
    """Where a build's time goes; CPU time (time.process_time), so that a loaded machine's waits
    for a core do not count. Rows and words are held in memory to time the inserts alone."""
    import tempfile

    from adapters.index.lines import LineCursor, entries

    clock = time.process_time
    collecting = gc.isenabled()
    gc.disable()  # as the build does
    fd = os.open(records, os.O_RDONLY)
    try:
        began = clock()
        bare_parse(records)
        parse = clock() - began
        end = os.fstat(fd).st_size
        began = clock()
        for _entry in entries(fd, LineCursor(0, 0), end, _fail):
            pass
        lines = clock() - began
        rows: list[tuple[Any, ...]] = []
        texts: list[tuple[int, str]] = []
        began = clock()
        for number, offset, length, payload in entries(fd, LineCursor(0, 0), end, _fail):
            columns, words = record_columns(payload)
            rows.append((number, payload["run_id"], offset, length, *columns))
            texts.append((number, words))
        rows_cpu = clock() - began - lines
    finally:
        os.close(fd)
        if collecting:
            gc.enable()
    with tempfile.TemporaryDirectory(dir=records.parent) as folder:
        inserts = _insert(Path(folder) / "wal.sqlite", rows, texts, journal_off=False)
        inserts_off = _insert(Path(folder) / "off.sqlite", rows, texts, journal_off=True)
    return Breakdown(parse, lines, rows_cpu, inserts, inserts_off)


def _insert(
    path: Path, rows: list[tuple[Any, ...]], texts: list[tuple[int, str]], *, journal_off: bool
) -> float:
    """CPU seconds to insert ``rows`` and ``texts`` into an empty index at ``path`` as the build does
    (batches of records_part.BATCH, the run-id index made after), commit and close."""
    import sqlite3

    from adapters.index import schema
    from adapters.index.connection import open_file
    from adapters.index.records_part import _INSERT_RUN, _INSERT_TEXT, BATCH

    if journal_off:
        db = sqlite3.connect(path, isolation_level=None)
        for pragma in (
            "journal_mode = OFF",
            "synchronous = OFF",
            "cache_size = -1048576",
            "temp_store = MEMORY",
        ):
            db.execute(f"PRAGMA {pragma}")
        db.execute("BEGIN")
        schema.create(db)
        db.execute("COMMIT")
    else:
        db = open_file(path, busy_timeout=5)
    began = time.process_time()
    db.execute("BEGIN IMMEDIATE")
    db.execute("DROP INDEX runs_run_id")
    for start in range(0, len(rows), BATCH):
        db.executemany(_INSERT_RUN, rows[start : start + BATCH])
        db.executemany(_INSERT_TEXT, texts[start : start + BATCH])
    db.execute("CREATE INDEX runs_run_id ON runs (run_id)")
    db.execute("COMMIT")
    db.close()
    return time.process_time() - began


def median(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def build(records: Path, feedback: Path) -> tuple[float, float]:
    """Seconds to build the index from nothing: (wall, CPU of this process)."""
    remove(Path(f"{records}.index.sqlite"))
    index = SqliteRunIndex(records, feedback, on_notice=_fail)
    began, began_cpu = time.perf_counter(), time.process_time()
    list(index.rows(limit=1))
    seconds, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    index.close()
    return seconds, cpu


def parse_both(records: Path, feedback: Path) -> tuple[float, float]:
    """Seconds of bare_parse of both files: (wall, CPU)."""
    began, began_cpu = time.perf_counter(), time.process_time()
    bare_parse(records, feedback)
    return time.perf_counter() - began, time.process_time() - began_cpu


Timed = tuple[float, float]  # (wall-clock seconds, CPU seconds of this process)


def timed(action: Callable[[], object]) -> Timed:
    began, began_cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - began, time.process_time() - began_cpu


def medians(times: list[Timed]) -> Timed:
    return statistics.median(wall for wall, _cpu in times), statistics.median(cpu for _wall, cpu in times)


def catch_up(records: Path, feedback: Path, repeat: int) -> tuple[Timed, Timed, Timed]:
    """(first call after appending one record, a call with nothing new, parsing that record)."""
    index = SqliteRunIndex(records, feedback, on_notice=_fail)
    list(index.rows(limit=1))
    log = JsonlLog(records, durability="none")
    rnd = random.Random(7)
    appended, idle, parse = [], [], []
    size = records.stat().st_size
    try:
        for attempt in range(repeat):
            payload = record(10**9 + attempt, rnd)
            line = encode_line(payload)
            log.append([payload])
            appended.append(timed(lambda: list(index.rows(limit=1))))
            idle.append(timed(lambda: list(index.rows(limit=1))))
            parse.append(timed(lambda line=line: _parse_one(line)))  # type: ignore[misc]
    finally:
        log.close()
        index.close()
        os.truncate(records, size)  # leave the cached history as generated
    return medians(appended), medians(idle), medians(parse)


def _parse_one(line: bytes) -> None:
    payload = orjson.loads(line)
    payload.pop("_crc")
    record_columns(payload)


def queries(files: dict[int, tuple[Path, Path]], repeat: int) -> dict[int, dict[str, Timed]]:
    """Median times of each query at each size; each round runs every query on every size once."""
    three = RunFilter(model="sdxl*", steps=NumberRange(30, None), rating=NumberRange(4, None))
    indexes = {size: SqliteRunIndex(*paths, on_notice=_fail) for size, paths in files.items()}

    def cases(index: SqliteRunIndex) -> dict[str, Callable[[], object]]:
        def show_oldest() -> None:
            run_id = index.resolve("00000000")
            index.record(run_id)
            index.feedback(run_id)

        return {
            "list 20": lambda: list(index.rows(limit=20)),
            "list 20, three filters": lambda: list(index.rows(three, limit=20)),
            "search 'lighthouse', 20": lambda: list(index.rows(search="lighthouse", limit=20)),
            "show oldest run by 8-char prefix": show_oldest,
        }

    actions = {size: cases(index) for size, index in indexes.items()}
    for by_name in actions.values():
        for action in by_name.values():
            action()  # warm
    times: dict[int, dict[str, list[Timed]]] = {size: {name: [] for name in actions[size]} for size in files}
    for _ in range(repeat):
        for size, by_name in actions.items():
            for name, action in by_name.items():
                times[size][name].append(timed(action))
    for index in indexes.values():
        index.close()
    return {size: {name: medians(kept) for name, kept in by_name.items()} for size, by_name in times.items()}


def _fail(message: str) -> None:
    raise SystemExit(f"the index fell back: {message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--builds", type=int, default=3, help="Builds (and bare parses) per size.")
    parser.add_argument(
        "--no-write", action="store_true", help="Print only; leave docs/performance.md alone."
    )
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    files = {size: history(size) for size in sizes}
    rows = []
    for size in sizes:
        records, feedback = files[size]
        megabytes = (records.stat().st_size + feedback.stat().st_size) / 1e6
        parses, builds = [], []
        for _ in range(args.builds):  # interleaved, so both see the same machine
            parses.append(parse_both(records, feedback))
            builds.append(build(records, feedback))
        parse, built = (
            statistics.median(wall for wall, _cpu in parses),
            statistics.median(wall for wall, _cpu in builds),
        )
        parse_cpu, built_cpu = (
            statistics.median(cpu for _wall, cpu in parses),
            statistics.median(cpu for _wall, cpu in builds),
        )
        steps = breakdown(records)
        rows.append((size, megabytes, parse, built, parse_cpu, built_cpu, steps))
        print(f"{size:,}: parse {parse:.2f} s, build {built:.2f} s, {steps}", file=sys.stderr)
    timing = queries(files, args.repeat)
    largest = sizes[-1]
    appended, idle, parse_one = catch_up(*files[largest], args.repeat)
    build_table = "\n".join(
        f"| {size:,} | {mb:,.0f} MB | {parse:.2f} s | {built:.2f} s | {built / parse:.2f}x"
        f" | {parse_cpu:.2f} s | {built_cpu:.2f} s | {built_cpu / parse_cpu:.2f}x |"
        for size, mb, parse, built, parse_cpu, built_cpu, _steps in rows
    )
    steps_table = "\n".join(
        f"| {size:,} | {steps.parse:.2f} s | {steps.lines / steps.parse:.2f}x"
        f" | {steps.rows / steps.parse:.2f}x | {steps.inserts / steps.parse:.2f}x"
        f" | {steps.inserts_off / steps.parse:.2f}x"
        f" | {(steps.lines + steps.rows + steps.inserts) / steps.parse:.2f}x | {built_cpu / parse_cpu:.2f}x |"
        for size, _mb, _parse, _built, parse_cpu, built_cpu, steps in rows
    )
    names = list(timing[sizes[0]])
    header = " | ".join(f"{size:,} runs" for size in sizes)
    flat = {
        name: (
            timing[largest][name][0] / timing[sizes[0]][name][0],
            timing[largest][name][1] / timing[sizes[0]][name][1],
        )
        for name in names
    }
    query_table = "\n".join(
        f"| {name} | "
        + " | ".join(
            f"{timing[size][name][0] * 1000:.2f} ms ({timing[size][name][1] * 1000:.2f})" for size in sizes
        )
        + f" | {flat[name][0]:.2f}x | {flat[name][1]:.2f}x |"
        for name in names
    )
    line_bytes = files[largest][0].stat().st_size / largest
    build_ratio, build_cpu_ratio = rows[-1][3] / rows[-1][2], rows[-1][5] / rows[-1][4]
    best = rows[-1][6]
    goals = [
        f"| index build vs bare orjson parse, {largest:,} runs | <= 1.5x | {build_ratio:.2f}x"
        f" | {build_cpu_ratio:.2f}x | {_met(build_ratio <= 1.5, build_cpu_ratio <= 1.5)} |",
        f"| catch-up after one appended record, {largest:,} runs | <= 5 ms + its parse"
        f" | {appended[0] * 1000:.2f} ms | {appended[1] * 1000:.2f} ms"
        f" | {_met(appended[0] <= 0.005 + parse_one[0], appended[1] <= 0.005 + parse_one[1])} |",
    ]
    goals += [
        f"| {name}: {largest:,} vs {sizes[0]:,} runs, in process (the goal is whole-process)"
        f" | <= 1.5x | {wall:.2f}x | {cpu:.2f}x | {_met(wall <= 1.5, cpu <= 1.5)} |"
        for name, (wall, cpu) in flat.items()
    ]
    markdown = f"""## History index (SQLite): build, catch-up, queries

In-process times on Python {platform.python_version()}, SQLite {_sqlite_version()}, {platform.machine()}
{platform.system()}, a shared 2-core machine; generated histories of compact records (one txt2img
stage, one image: {line_bytes:,.0f} bytes a line on average) with one rating event per 10 runs.
Whole-process command timings belong to the CLI once its commands read through the index.

Wall-clock and CPU time (of this process: it leaves out the waits for a core, which on this shared
machine, often with every core busy, can be most of the wall-clock time). "met" is "yes" when both
are within the goal, "CPU only" when only the CPU time is.

| goal (issue 9) | target | wall-clock | CPU time | met |
|---|---|---:|---:|---|
{chr(10).join(goals)}

Building the index from nothing (median of {args.builds}, interleaved with the bare parse) against
a bare orjson parse of the same two files (read in 1 MiB blocks, split, `orjson.loads` per line),
wall-clock and CPU time of this process (the machine is shared: CPU time leaves out the waits for a core):

| runs | files | bare parse | index build | ratio | parse, CPU | build, CPU | ratio, CPU |
|---|---:|---:|---:|---:|---:|---:|---:|
{build_table}

Where a build's time goes: each step timed alone over the records file (CPU time), as a multiple of
its bare parse. "Lines" is the build's reading: the parse plus each line's checksum. "Rows" validates
each payload exactly as `LearningRecord.from_dict` does and computes its row as `RunRow.of` does
(adapters/index/columns.py, a fast path in Python). "Inserts" puts the rows and words, computed
beforehand, into an empty index file as the build does (batches of 8,192 `executemany`, the run-id
index created after the rows, FTS5 contentless with `detail=none`); "journal off" does the same into a
fresh file with `journal_mode=OFF`, `synchronous=OFF` and a 1 GiB cache, which is what building into a
temporary file and renaming it in would allow.

| runs | parse, CPU | lines | rows | inserts | inserts, journal off | sum of the steps | whole build |
|---|---:|---:|---:|---:|---:|---:|---:|
{steps_table}

The goal of 1.5x cannot be met by this design: the SQLite inserts alone take
{best.inserts / best.parse:.1f} times the parse at {largest:,} runs, and computing the rows
{best.rows / best.parse:.1f} times. Of the bulk-build techniques, the run-id index is already
created after the rows, and the rest win little because the build is bound by CPU, not by writes:
a journal-less file saves {(best.inserts - best.inserts_off) / best.parse:.2f}x of the parse (the
temporary file and the rename it needs would add a second build path with its own crash clean-up),
and larger `executemany` batches, a larger cache or filling the FTS5 table with one
`INSERT ... SELECT` after the rows each changed the CPU time by a few percent or less at 100,000 runs.
What is left is Python: the row computation, then the totals (`stats`) and the batching around the inserts.

Catch-up after one record appended to the {largest:,}-run history (median of {args.repeat}, wall-clock
and CPU time): {appended[0] * 1000:.2f} ms ({appended[1] * 1000:.2f} ms) for the first listing after the
append, against {idle[0] * 1000:.2f} ms ({idle[1] * 1000:.2f} ms) with nothing new and
{parse_one[0] * 1000:.3f} ms ({parse_one[1] * 1000:.3f} ms) to parse and validate that record alone.

Queries with the index caught up (median of {args.repeat} rounds, each round running every query on
every size once), wall-clock and, in brackets, CPU time; the last columns are the largest history's
time over the smallest's. "Three filters" is model `sdxl*`, steps >= 30 and rating >= 4: about one
run in 200 matches, so 20 matches take a scan of about 4,000 runs, which the 1,000-run history does
not have (it scans all 1,000 and finds 5); beyond that it grows far less than the history.

| query | {header} | ratio | ratio, CPU |
|---|{"---:|" * len(sizes)}---:|---:|
{query_table}
"""
    print(markdown)
    if not args.no_write:
        write_section(
            "history-index",
            markdown,
            f"uv run python -m bench.index_bench --sizes {args.sizes} --repeat {args.repeat}"
            f" --builds {args.builds}",
        )
    return 0


def _met(wall: bool, cpu: bool) -> str:
    return "yes" if wall and cpu else "CPU only" if cpu else "NO"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


if __name__ == "__main__":
    raise SystemExit(main())
