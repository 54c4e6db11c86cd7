"""A second process for the index fault tests: ``python -m tests.index.worker COMMAND ARGS``.

- ``lock INDEX``: hold an exclusive write transaction on the index file until stdin closes.
- ``list RECORDS FEEDBACK GO``: wait until the file GO exists, then list every run through a
  new SqliteRunIndex; print the run ids and any notices as JSON.
- ``build RECORDS FEEDBACK``: build the index from nothing (the test kills it half-way).
- ``follow RECORDS FEEDBACK COUNT``: list again and again until COUNT runs are seen; every
  listing must be the newest-first order of the first k runs appended (k = 0..COUNT), else exit 3.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

from adapters.index.sqlite_index import SqliteRunIndex


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "lock":
        db = sqlite3.connect(args[0], isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        sys.stdin.read()
        db.execute("ROLLBACK")
        return 0
    records, feedback = Path(args[0]), Path(args[1])
    notices: list[str] = []
    index = SqliteRunIndex(records, feedback, on_notice=notices.append, busy_timeout=30)
    if command == "list":
        go = Path(args[2])
        while not go.exists():
            time.sleep(0.001)
        print(json.dumps({"runs": [row.run_id for row in index.rows()], "notices": notices}), flush=True)
        return 0
    if command == "build":
        list(index.rows(limit=1))
        return 0
    if command == "follow":
        count = int(args[2])
        while True:
            seen = [row.run_id for row in index.rows()]
            expected = [f"run{number:05d}" for number in range(len(seen))][::-1]
            if seen != expected or notices:
                print(json.dumps({"seen": seen[:5], "notices": notices}), flush=True)
                return 3
            if len(seen) >= count:
                return 0
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
