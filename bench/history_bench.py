"""Benchmark: "list the last 20 runs" on a 100,000-record history vs parsing the whole file.

Run: uv run python -m bench.history_bench [--records 100000] [--repeat 5]
Writes its figures to docs/performance.md (section "history").
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.sinks.jsonl import JsonlRecordSink
from application.history import History
from bench.report import write_section
from domain.run_filter import NumberRange, RunFilter
from tests.review.fakes import InMemoryFeedbackStore
from tests.review.history_data import generate

BATCH = 10_000


def build(folder: Path, count: int) -> tuple[JsonlRecordSink, JsonlFeedbackStore]:
    sink = JsonlRecordSink(folder / "learning_records.jsonl", durability="none")
    store = JsonlFeedbackStore(folder / "feedback.jsonl", durability="none")
    for start in range(0, count, BATCH):
        _specs, records, events = generate(min(BATCH, count - start), seed=start)
        renamed = [
            r.__class__(**{**_fields(r), "run_id": f"{start + i:08x}" + r.run_id[8:]})
            for i, r in enumerate(records)
        ]
        sink.append_records(renamed)
        if start == count - BATCH or count <= BATCH:
            store.append(
                [
                    e.__class__(
                        **{
                            **_fields(e),
                            "run_id": f"{start + int(e.run_id[:8], 16):08x}" + e.run_id[8:],
                            "event_id": f"{start}-{e.event_id}",
                        }
                    )
                    for e in events
                ]
            )
    return sink, store


def _fields(value: object) -> dict[str, object]:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}  # type: ignore[attr-defined]


def timed(action: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--no-write", action="store_true", help="Print only; leave docs/performance.md alone."
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="stablenew-history-bench-") as folder:
        began = time.perf_counter()
        sink, store = build(Path(folder), args.records)
        size_mb = sink.records_path.stat().st_size / 1e6
        events = sum(1 for _ in store.iter_events())
        print(
            f"built {args.records} records ({size_mb:.0f} MB) in {time.perf_counter() - began:.1f} s",
            file=sys.stderr,
        )
        history = History(sink, store)
        records_only = History(sink, InMemoryFeedbackStore())
        full_id = next(sink.iter_records(newest_first=True)).run_id
        rated = RunFilter(rating=NumberRange(4, None), steps=NumberRange(30, None))
        cases = [
            ("last 20 runs (`records list`)", lambda: len(history.recent(20))),
            ("last 20 runs rated 4+ with steps >= 30", lambda: len(history.recent(20, rated))),
            ("last 20 runs, records only (no feedback file)", lambda: len(records_only.recent(20))),
            ("feedback fold alone", lambda: len(history.feedback_state())),
            ("show one recent run by full id", lambda: history.detail(full_id).record.run_id),
            (
                "show one recent run by 8-character prefix",
                lambda: history.detail(f"{args.records - 50:08x}").record.run_id,
            ),
            ("full parse of every record, oldest first", lambda: sum(1 for _ in sink.iter_records())),
            (
                "full parse, newest first (backward blocks)",
                lambda: sum(1 for _ in sink.iter_records(newest_first=True)),
            ),
        ]
        results = []
        for name, action in cases:
            seconds, _ = timed(action, args.repeat if "full" not in name else max(1, args.repeat // 2))
            results.append((name, seconds))
            print(f"{name}: {seconds * 1000:.1f} ms", file=sys.stderr)
    full = next(seconds for name, seconds in results if name.startswith("full parse of every"))
    rows = "\n".join(
        f"| {name} | {seconds * 1000:,.1f} ms | {full / seconds:,.0f}x |" for name, seconds in results
    )
    markdown = f"""## History: recent runs read from the end of the file

{args.records:,} records ({size_mb:.0f} MB JSON lines), median of {args.repeat} runs (full parses: of
{max(1, args.repeat // 2)}); Python {platform.python_version()} on {platform.machine()}, {platform.system()}.
The feedback file holds {events:,} events (about half of the last 10,000 runs rated, some tagged).
"Speed-up" compares with parsing the whole records file once. Reading newest first stops as soon
as 20 matching runs are found, so its cost depends on how far back they are, not on the file
size; what remains is folding the whole feedback file (every event is read to know the latest
rating). A full run id stops at the first match; a prefix must scan every run to prove it is
unambiguous.

| operation | time | speed-up vs full parse |
|---|---:|---:|
{rows}
"""
    print(markdown)
    if not args.no_write:
        write_section(
            "history",
            markdown,
            f"uv run python -m bench.history_bench --records {args.records} --repeat {args.repeat}",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
