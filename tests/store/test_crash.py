"""kill -9 a writer at random moments: every acknowledged record survives exactly once.

The child appends records of 1 KB to 3 MB (big writes take long enough to be torn), with and
without fsync, and logs each id only after ``append_record`` returned. After each kill the next
open repairs the tail. ``STABLENEW_CRASH_TRIALS`` raises the number of kills (default 20).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from adapters.record_store.jsonl import JsonlRecordStore
from domain import BadLine
from tests.store.helpers import quarantine_of

ROOT = Path(__file__).resolve().parents[2]
_WRITER = [sys.executable, "-m", "tests.store.writer"]
TRIALS = int(os.environ.get("STABLENEW_CRASH_TRIALS", "20"))


def _stored(sink: JsonlRecordStore) -> tuple[Counter[str], list[BadLine]]:
    bad: list[BadLine] = []
    return Counter(r.run_id for r in sink.iter_records(on_bad_line=bad.append)), bad


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_acknowledged_record(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    torn_trials = quarantined = 0
    for trial in range(TRIALS):
        # Two kills per file: the second child appends after a recovered tail.
        path = tmp_path / f"records-{trial // 2}.jsonl"
        ack = tmp_path / f"acknowledged-{trial // 2}.txt"
        durability = ("fsync", "none")[trial % 2]
        arguments = [str(path), f"t{trial}", "40", "--size", "mixed", "--durability", durability]
        child = subprocess.Popen(
            [*_WRITER, *arguments, "--ack", str(ack)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.3 if durability == "fsync" else 0.1))
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) in (-signal.SIGKILL, 0)  # 0: it finished first

        sink = JsonlRecordStore(path)
        before, bad_before = _stored(sink)
        # Only the last line can be broken, and only by missing its newline.
        assert all(b.reason.startswith("incomplete last line") for b in bad_before)
        assert len(bad_before) <= 1
        torn_trials += len(bad_before)

        sink.recover_tail()  # what the next open and every append do first
        after, bad_after = _stored(sink)
        assert bad_after == []
        assert after == before, "recovering the tail lost a valid line"
        assert max(after.values(), default=1) == 1
        acknowledged = ack.read_text().split() if ack.exists() else []
        assert set(acknowledged) <= set(after)
        sink.close()
        if trial % 2:
            quarantine = quarantine_of(path)
            quarantined += quarantine.read_bytes().count(b"\n") if quarantine.exists() else 0
    assert quarantined == torn_trials
    print(f"{TRIALS} kills, {torn_trials} torn tails quarantined")
