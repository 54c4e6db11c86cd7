"""Benchmark of the JSONL record store against the alternatives, side by side in one run.

    uv run python bench/store_bench.py            # prints the tables
    uv run python bench/store_bench.py --write    # also replaces the section in docs/performance.md

Every design appends the same ~4.6 KB learning record. Designs are interleaved in rounds so a
noisy, shared disk hurts them alike; ratios matter more than absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from report import write_section  # noqa: E402

from adapters.jsonl_log import JsonlLog, encode_line  # noqa: E402
from adapters.record_store.jsonl import JsonlRecordStore  # noqa: E402
from domain import LearningRecord  # noqa: E402
from tests.factories import make_record  # noqa: E402

RECORD_BYTES = 4096


@dataclass
class Timings:
    name: str
    durable: str
    seconds: list[float]
    records_per_call: int = 1

    @property
    def rate(self) -> float:
        return self.records_per_call * len(self.seconds) / sum(self.seconds)

    @property
    def p50(self) -> float:
        return self.percentile(0.5)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def row(self) -> str:
        return (
            f"| {self.name} | {self.durable} | {self.rate:,.0f} | "
            f"{self.percentile(0.5) * 1e3:.3f} | {self.percentile(0.99) * 1e3:.3f} |"
        )


def the_record(run_id: str = "bench-000001") -> LearningRecord:
    return make_record(run_id, payload_bytes=RECORD_BYTES - 1630)


def timed(call: Callable[[], object], times: int, into: list[float]) -> None:
    for _ in range(times):
        start = time.perf_counter()
        call()
        into.append(time.perf_counter() - start)


# ---------------------------------------------------------------------------------------------
# Designs


def raw_appender(path: Path, line: bytes) -> Callable[[], None]:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def append() -> None:
        os.write(fd, line)
        os.fsync(fd)

    return append


def naive_appender(path: Path, payload: dict[str, object]) -> Callable[[], None]:
    def append() -> None:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(payload) + "\n")

    return append


def rewrite_appender(path: Path, line: bytes) -> Callable[[], None]:
    def append() -> None:
        old = path.read_bytes() if path.exists() else b""
        temp = path.with_suffix(".tmp")
        with temp.open("wb") as handle:
            handle.write(old + line)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)

    return append


def sqlite_appender(path: Path, text: str) -> Callable[[], None]:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE IF NOT EXISTS records (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")

    def append() -> None:
        connection.execute("BEGIN")
        connection.execute("INSERT INTO records (body) VALUES (?)", (text,))
        connection.execute("COMMIT")

    return append


# ---------------------------------------------------------------------------------------------
# Scenarios


def single_appends(work: Path, rounds: int, per_round: int) -> list[Timings]:
    record = the_record()
    payload = record.to_dict()
    line = encode_line(payload)
    sink = JsonlRecordStore(work / "sink.jsonl")
    log = JsonlLog(work / "log.jsonl")
    sink_none = JsonlRecordStore(work / "sink-none.jsonl", durability="none")
    designs = [
        ("raw limit: os.write + fsync, no lock", "yes", raw_appender(work / "raw.jsonl", line)),
        ("JsonlRecordStore.append_record (fsync)", "yes", lambda: sink.append_record(record)),
        ("JsonlLog.append of the record's dict (fsync)", "yes", lambda: log.append([payload])),
        ("SQLite WAL, synchronous=FULL, 1 txn/record", "yes", sqlite_appender(work / "r.db", line.decode())),
        ("JsonlRecordStore (durability=none)", "no", lambda: sink_none.append_record(record)),
        ("naive json.dumps + open('a')", "no", naive_appender(work / "naive.jsonl", payload)),
    ]
    results = [Timings(name, durable, []) for name, durable, _ in designs]
    for _ in range(rounds * per_round):  # call by call, so a slow moment of the disk hits all alike
        for (_, _, append), result in zip(designs, results, strict=True):
            timed(append, 1, result.seconds)
    return results


def rewrite_per_append(work: Path, existing: int, appends: int) -> Timings:
    path = work / "rewrite.jsonl"
    line = encode_line(the_record().to_dict())
    path.write_bytes(line * existing)
    result = Timings(f"temp file + rename per append ({existing:,} records in file)", "yes", [])
    timed(rewrite_appender(path, line), appends, result.seconds)
    return result


def group_commit(work: Path, rounds: int, calls: int, batch: int) -> list[Timings]:
    records = [the_record(f"batch-{i}") for i in range(batch)]
    dicts = [r.to_dict() for r in records]
    single = the_record()
    sinks = [JsonlRecordStore(work / f"group-{i}.jsonl") for i in range(2)]
    logs = [JsonlLog(work / f"group-log-{i}.jsonl") for i in range(2)]
    results = [
        Timings(f"JsonlRecordStore.append_records, {batch} per call", "yes", [], records_per_call=batch),
        Timings("JsonlRecordStore.append_record", "yes", []),
        Timings(f"JsonlLog.append, {batch} dicts per call", "yes", [], records_per_call=batch),
        Timings("JsonlLog.append, 1 dict per call", "yes", []),
    ]
    for _ in range(rounds):
        timed(lambda: sinks[0].append_records(records), calls, results[0].seconds)
        timed(lambda: sinks[1].append_record(single), calls * 4, results[1].seconds)
        timed(lambda: logs[0].append(dicts), calls, results[2].seconds)
        timed(lambda: logs[1].append(dicts[:1]), calls * 4, results[3].seconds)
    return results


def fill(path: Path, count: int) -> None:
    """``count`` records written in big batches, then one fsync (fast set-up, same format)."""
    log = JsonlLog(path, durability="none")
    chunk = [the_record(f"fill-{i}").to_dict() for i in range(1000)]
    for _ in range(count // 1000):
        log.append(chunk)
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def size_flatness(small: Path, large: Path, rounds: int, per_round: int) -> list[Timings]:
    record = the_record()
    line = encode_line(record.to_dict())
    small_sink, large_sink = JsonlRecordStore(small), JsonlRecordStore(large)
    small_raw, large_raw = raw_appender(small, line), raw_appender(large, line)
    results = [
        Timings("append_record, 1,000 records in file", "yes", []),
        Timings(f"append_record, {_count(large):,} records in file", "yes", []),
        Timings("control: raw write+fsync, same 1,000-record file", "yes", []),
        Timings(f"control: raw write+fsync, same {_count(large):,}-record file", "yes", []),
    ]
    calls = [
        lambda: small_sink.append_record(record),
        lambda: large_sink.append_record(record),
        small_raw,
        large_raw,
    ]
    os.sync()  # let the write-back of the set-up settle before timing
    time.sleep(1.0)
    for _ in range(rounds * per_round):  # call by call, so a slow moment of the disk hits all alike
        for call, result in zip(calls, results, strict=True):
            timed(call, 1, result.seconds)
    return results


def _count(path: Path) -> int:
    return int(round(path.stat().st_size / len(encode_line(the_record().to_dict())), -3))


def reading(path: Path, repeats: int) -> dict[str, float]:
    def bare() -> int:
        count = 0
        with path.open("rb") as handle:
            for line in handle:
                orjson.loads(line)
                count += 1
        return count

    log = JsonlLog(path)
    sink = JsonlRecordStore(path)
    readers: dict[str, Callable[[], int]] = {
        "bare orjson loop (for line in f: orjson.loads)": bare,
        "JsonlLog.iter_payloads (checksums checked)": lambda: sum(1 for _ in log.iter_payloads()),
        "JsonlRecordStore.iter_records (LearningRecord objects)": lambda: sum(1 for _ in sink.iter_records()),
        "iter_records(newest_first=True), first 20": lambda: len(
            [r for r, _ in zip(sink.iter_records(newest_first=True), range(20), strict=False)]
        ),
    }
    best = dict.fromkeys(readers, float("inf"))
    for _ in range(repeats):
        for name, read in readers.items():
            start = time.perf_counter()
            read()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the figures to docs/performance.md")
    parser.add_argument("--quick", action="store_true", help="small counts (a smoke test, not figures)")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the files (default: a temp dir)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    large_count = 10_000 if args.quick else 100_000

    work = Path(tempfile.mkdtemp(prefix="store-bench-", dir=args.dir))
    try:
        started = time.perf_counter()
        singles = single_appends(work, rounds=10, per_round=300 // scale)
        rewrite = rewrite_per_append(work, existing=1000, appends=30 // min(scale, 3))
        group = group_commit(work, rounds=4, calls=25 // min(scale, 5), batch=64)
        small, large = work / "small.jsonl", work / "large.jsonl"
        fill(small, 1000)
        fill(large, large_count)
        flat = size_flatness(small, large, rounds=8, per_round=150 // scale)
        reads = reading(large, repeats=2)
        elapsed = time.perf_counter() - started
        size_mb = large.stat().st_size / 1e6
    finally:
        shutil.rmtree(work, ignore_errors=True)

    raw, sink, log = singles[0], singles[1], singles[2]
    sqlite = singles[3]
    bare = reads["bare orjson loop (for line in f: orjson.loads)"]
    payloads = reads["JsonlLog.iter_payloads (checksums checked)"]
    records = reads["JsonlRecordStore.iter_records (LearningRecord objects)"]
    many, one, log_many, log_one = group
    flat_small, flat_large, raw_small, raw_large = flat
    flat_mean = statistics.mean(flat_large.seconds) / statistics.mean(flat_small.seconds)
    flat_p50 = flat_large.p50 / flat_small.p50
    raw_flat_p50 = raw_large.p50 / raw_small.p50
    line_bytes = len(encode_line(the_record().to_dict()))
    sample = the_record()
    to_dict_us = _cpu_us(sample.to_dict)
    sample_dict = sample.to_dict()
    encode_us = _cpu_us(lambda: encode_line(sample_dict))

    header = "| design | durable | records/s | p50 ms | p99 ms |\n|---|---|---:|---:|---:|"
    goals = [
        _goal("durable append_record vs raw write+fsync (records/s)", sink.rate / raw.rate, 0.8),
        _goal("durable append_record vs raw write+fsync (p50 latency)", raw.p50 / sink.p50, 0.8),
        _goal("durable JsonlLog.append vs raw write+fsync (records/s)", log.rate / raw.rate, 0.8),
        _goal(f"append time, {large_count:,} vs 1,000 records in file (p50)", flat_p50, 1.2, at_most=True),
        _goal(f"append time, {large_count:,} vs 1,000 records in file (mean)", flat_mean, 1.2, at_most=True),
        _goal("append_records(64) vs durable append_record (records/s)", many.rate / one.rate, 10),
        _goal("JsonlLog.append, 64 dicts vs 1 dict per call (records/s)", log_many.rate / log_one.rate, 10),
        _goal(
            f"iter_payloads vs bare orjson loop, {large_count:,} records", payloads / bare, 1.3, at_most=True
        ),
        _goal(
            f"iter_records (LearningRecord objects) vs bare orjson loop, {large_count:,} records",
            records / bare,
            1.3,
            at_most=True,
        ),
    ]
    markdown = "\n".join(
        [
            "## Record store (JSONL sink)",
            "",
            f"Measured {time.strftime('%Y-%m-%d')} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, temp dir on "
            f"{_fs_type(Path(tempfile.gettempdir()) if args.dir is None else args.dir)}; "
            f"one {line_bytes:,}-byte record; {elapsed:.0f} s in all."
            + (" **Quick mode: counts too small for figures.**" if args.quick else "")
            + " The machine was shared with other jobs: between runs the ratios moved by about 0.1.",
            "",
            "Goals:",
            "",
            "| goal | target | measured | met |\n|---|---|---:|---|",
            *goals,
            "",
            "Single appends (designs interleaved call by call, 3,000 calls each):",
            "",
            header,
            *[timing.row() for timing in singles],
            rewrite.row(),
            "",
            f"SQLite vs this sink: {sqlite.rate / sink.rate:.2f}x the records/s (its WAL rewrites already "
            "allocated pages, so an fsync there needs no file-size journal commit; every append here does). "
            "The temp-file rewrite is "
            f"O(file size): {rewrite.p50 / sink.p50:.0f}x this sink's p50 at 1,000 records already. "
            f"`LearningRecord.to_dict()` alone takes {to_dict_us:.0f} us of CPU per append "
            "(domain code, counted in append_record, not in JsonlLog.append).",
            "",
            "Group commit and file size:",
            "",
            header,
            *[timing.row() for timing in (*group, *flat)],
            "",
            f"Control: raw write+fsync on the same two files, large vs small (p50): {raw_flat_p50:.2f}x; "
            f"the sink's is {flat_p50:.2f}x. The append path itself does not grow with the file "
            "(one stat, one 1-byte pread, one write, one fsync).",
            f"A 64-record batch costs {many.p50 * 1e3:.1f} ms at p50, mostly CPU: 64 x "
            f"(`to_dict` {to_dict_us:.0f} us + encoding {encode_us:.0f} us) "
            "before its one write and fsync.",
            "",
            f"Reading {large_count:,} records ({size_mb:,.0f} MB, page cache warm; best of 2):",
            "",
            "| reader | seconds | vs bare loop |\n|---|---:|---:|",
            *[f"| {name} | {seconds:.3f} | {seconds / bare:.2f}x |" for name, seconds in reads.items()],
            "",
            f"`iter_records` builds full `LearningRecord` objects (stage events, timestamps): "
            f"{records / bare:.1f}x the bare loop; the goal is about the reader itself (`iter_payloads`).",
        ]
    )
    command = "uv run python bench/store_bench.py --write"
    print(markdown)
    if args.write and not args.quick:
        write_section("record-store", markdown, command)
        print("\nwritten to docs/performance.md")


def _goal(name: str, value: float, target: float, *, at_most: bool = False) -> str:
    met = value <= target if at_most else value >= target
    sign = "<=" if at_most else ">="
    return f"| {name} | {sign} {target:g}x | {value:.2f}x | {'yes' if met else 'NO'} |"


def _cpu_us(call: Callable[[], object], times: int = 2000) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(times):
            call()
        best = min(best, (time.perf_counter() - start) / times)
    return best * 1e6


def _fs_type(path: Path) -> str:
    from adapters.jsonl_log import filesystem_type

    return filesystem_type(path) or "unknown"


if __name__ == "__main__":
    main()
