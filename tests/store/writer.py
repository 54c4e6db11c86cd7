"""A writer process for the concurrency and crash tests (run as ``python -m tests.store.writer``).

Appends ``count`` records named ``<prefix>-<n>`` to ``path``; after each ``append_record``
returns it logs the id to ``--ack`` (one line, O_APPEND). ``--size`` is the line size in
bytes, or ``mixed``: 1-64 KB, and 1-3 MB for 30 % (big writes can be torn by a kill).
``--go`` names a file to wait for first,
so several writers start together.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

from adapters.record_store.jsonl import JsonlRecordStore
from tests.store.helpers import record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("prefix")
    parser.add_argument("count", type=int)
    parser.add_argument("--size", default="4096")
    parser.add_argument("--durability", default="fsync", choices=["fsync", "none"])
    parser.add_argument("--ack", type=Path)
    parser.add_argument("--go", type=Path)
    args = parser.parse_args()

    rng = random.Random(args.prefix)
    sizes = [_size(args.size, rng) for _ in range(args.count)]
    records = (record(f"{args.prefix}-{n}", size) for n, size in enumerate(sizes))
    sink = JsonlRecordStore(args.path, durability=args.durability)
    ack = os.open(args.ack, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if args.ack else None
    print("ready", flush=True)
    while args.go is not None and not args.go.exists():
        time.sleep(0.001)
    for rec in records:
        sink.append_record(rec)
        if ack is not None:
            os.write(ack, f"{rec.run_id}\n".encode())


def _size(spec: str, rng: random.Random) -> int:
    if spec != "mixed":
        return int(spec)
    return rng.randint(1 << 20, 3 << 20) if rng.random() < 0.3 else rng.randint(1024, 64 << 10)


if __name__ == "__main__":
    main()
