"""``repair`` streams, lets writers append while it copies, and cleans up after a killed repair.

Appends made during a repair end up in the repaired file, once and in order; ``verify`` reads the
file it measured; a repair killed with SIGKILL leaves a temp file that the next repair or append
removes, and nothing is lost.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from adapters.jsonl_log import JsonlLog, encode_line
from adapters.jsonl_log import repair as repair_module
from adapters.record_store.jsonl import JsonlRecordStore
from domain import BadLine, RecordStoreError
from tests.store.helpers import ids, quarantine_of, record

ROOT = Path(__file__).resolve().parents[2]
_WRITER = [sys.executable, "-m", "tests.store.writer"]
BAD = b'{"schema_version": 1, "run_id": "half a record\n'


def _big_file(path: Path, count: int, bad_at: int, size: int = 4096) -> list[str]:
    """``count`` records of about ``size`` bytes with one bad line after record ``bad_at``; their ids."""
    template = record("base", size).to_dict()
    names = [f"base-{n:06d}" for n in range(count)]
    with path.open("wb") as handle:
        for n, name in enumerate(names):
            handle.write(encode_line({**template, "run_id": name}))
            if n == bad_at:
                handle.write(BAD)
    path.chmod(0o600)
    return names


def _quarantined(path: Path) -> list[bytes]:
    lines = quarantine_of(path).read_bytes().splitlines() if quarantine_of(path).exists() else []
    return [base64.b64decode(orjson.loads(line)["data_b64"]) for line in lines]


def _temp_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if ".repair-" in p.name)


def _checked_ids(path: Path) -> list[str]:
    bad: list[BadLine] = []
    found = ids(JsonlRecordStore(path).iter_records(on_bad_line=bad.append))
    assert bad == []
    return found


# -- item 10: verify reads the file whose size it took --------------------------------------------


def test_verify_reads_the_file_it_measured_even_if_repaired_and_appended_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(encode_line(record("r0").to_dict()) + b"garbage\n" + encode_line(record("r1").to_dict()))
    sink = JsonlRecordStore(path)
    other = JsonlRecordStore(path)
    release = sink.log._release
    interleaved = False

    def release_then_repair_and_append() -> None:
        nonlocal interleaved
        release()
        if not interleaved:  # between verify's look at the size and its read of the lines
            interleaved = True
            other.repair()
            other.append_record(record("r2", 2000))

    sink.log._release = release_then_repair_and_append  # type: ignore[method-assign]
    report = sink.verify()
    assert interleaved
    assert [(b.line_number, b.reason[:8]) for b in report.bad] == [(2, "not JSON")]
    assert report.good == 2


def test_verify_does_not_see_an_append_that_starts_after_it_released_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    sink = JsonlRecordStore(path)
    sink.append_records([record("r0"), record("r1")])
    release = sink.log._release

    def release_then_start_writing() -> None:
        release()
        with path.open("ab") as handle:  # an appender that took the lock is half-way through its write
            handle.write(encode_line(record("r2").to_dict())[:100])

    sink.log._release = release_then_start_writing  # type: ignore[method-assign]
    report = sink.verify()
    assert (report.good, report.bad) == (2, ())


# -- item 11: appends during a repair ------------------------------------------------------------


def _during_the_copy(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run ``action`` once, after the repair copied the file without the lock and before it locks."""
    copy = repair_module.RepairJob.copy

    def copy_then_act(job: repair_module.RepairJob) -> None:
        copy(job)
        action()

    monkeypatch.setattr(repair_module.RepairJob, "copy", copy_then_act)


def test_appends_made_while_the_repair_copies_are_kept_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    names = _big_file(path, 300, bad_at=120)
    appender = JsonlRecordStore(path)
    appender.append_record(record("early"))  # keeps its descriptor open across the repair
    _during_the_copy(monkeypatch, lambda: appender.append_records([record("during-1"), record("during-2")]))
    result = JsonlRecordStore(path).repair()
    assert [(b.line_number, b.reason.split(" (")[0]) for b in result.moved] == [(122, "not JSON")]
    assert result.kept == 303
    appender.append_record(record("after"))  # notices the replaced file
    assert _checked_ids(path) == [*names, "early", "during-1", "during-2", "after"]
    assert _quarantined(path) == [BAD]
    assert _temp_files(tmp_path) == []


def test_bad_lines_appended_during_the_copy_are_moved_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    names = _big_file(path, 50, bad_at=10)

    def foreign_writes() -> None:
        with path.open("ab") as handle:  # another program, not using the lock
            handle.write(b"junk\n" + encode_line(record("late").to_dict()) + b'{"torn')

    _during_the_copy(monkeypatch, foreign_writes)
    result = JsonlRecordStore(path).repair()
    assert [b.line_number for b in result.moved] == [12, 52, 54]
    assert _checked_ids(path) == [*names, "late"]
    assert _quarantined(path) == [BAD, b"junk\n", b'{"torn']


def test_a_torn_tail_cut_by_an_appender_during_the_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    names = _big_file(path, 50, bad_at=10)
    with path.open("ab") as handle:
        handle.write(b'{"torn')
    _during_the_copy(monkeypatch, lambda: JsonlRecordStore(path).append_record(record("during")))
    result = JsonlRecordStore(path).repair()
    assert [b.line_number for b in result.moved] == [12]
    assert _checked_ids(path) == [*names, "during"]
    assert _quarantined(path) == [b'{"torn', BAD]  # the appender moved the torn tail first


def test_only_a_torn_tail_is_cut_in_place(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    JsonlRecordStore(path).append_records([record("r0"), record("r1")])
    with path.open("ab") as handle:
        handle.write(b'{"torn')
    inode = path.stat().st_ino
    result = JsonlRecordStore(path).repair()
    assert [(b.line_number, b.byte_offset) for b in result.moved] == [(3, path.stat().st_size)]
    assert path.stat().st_ino == inode  # no copy of the whole file for a torn tail
    assert _checked_ids(path) == ["r0", "r1"]
    (entry,) = [orjson.loads(line) for line in quarantine_of(path).read_bytes().splitlines()]
    assert entry["line_number"] == 3
    assert base64.b64decode(entry["data_b64"]) == b'{"torn'


def test_a_repair_gives_up_if_another_replaced_the_file_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    names = _big_file(path, 50, bad_at=10)
    first = True

    def another_repair() -> None:
        nonlocal first
        if first:
            first = False
            JsonlRecordStore(path).repair()

    _during_the_copy(monkeypatch, another_repair)
    with pytest.raises(RecordStoreError, match=f"{path} was replaced while this repair copied it"):
        JsonlRecordStore(path).repair()
    assert _checked_ids(path) == names
    assert _quarantined(path) == [BAD]  # once: the repair that gave up wrote nothing
    assert _temp_files(tmp_path) == []


def test_a_failing_check_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _big_file(path, 50, bad_at=10)
    before = path.read_bytes()

    def check(payload: dict[str, object]) -> str | None:
        if payload.get("run_id") == "base-000040":
            raise ValueError("no")
        return None

    with pytest.raises(ValueError, match="no"):
        JsonlLog(path).repair(check)
    assert path.read_bytes() == before
    assert not quarantine_of(path).exists()
    assert _temp_files(tmp_path) == []


@pytest.mark.slow
def test_appender_processes_during_a_repair_of_a_large_file(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    names = _big_file(path, 16_000, bad_at=8_000)  # about 66 MB
    go = tmp_path / "go"
    writers, count = 2, 150
    acks = [tmp_path / f"ack-{w}" for w in range(writers)]
    processes = [
        subprocess.Popen(
            [
                *_WRITER,
                str(path),
                f"w{w}",
                str(count),
                "--size",
                "2048",
                "--go",
                str(go),
                "--ack",
                str(acks[w]),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    for process in processes:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
    repair = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "records", "repair", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not _temp_files(tmp_path) and repair.poll() is None:
        time.sleep(0.001)
    go.touch()
    # Appends complete while the repair is still copying: it does not hold the writers' lock.
    while _temp_files(tmp_path) and not any(a.exists() and a.stat().st_size for a in acks):
        time.sleep(0.001)
    acknowledged_during_the_copy = bool(_temp_files(tmp_path))
    _pid, status, usage = os.wait4(repair.pid, 0)
    out, err = repair.communicate()
    assert os.waitstatus_to_exitcode(status) == 0, err
    for process in processes:
        assert process.wait(timeout=120) == 0
    assert acknowledged_during_the_copy
    assert "moved 1 bad lines" in out
    stored = _checked_ids(path)
    assert stored[: len(names)] == names
    appended = stored[len(names) :]
    assert Counter(appended) == Counter(f"w{w}-{n}" for w in range(writers) for n in range(count))
    for w in range(writers):
        assert [i for i in appended if i.startswith(f"w{w}-")] == [f"w{w}-{n}" for n in range(count)]
    assert _quarantined(path) == [BAD]
    assert _temp_files(tmp_path) == []
    # Streaming: the repair of a 66 MB file grew the process by far less than the file's size.
    assert usage.ru_maxrss * 1024 < (60 << 20) + _python_rss()


def _python_rss() -> int:
    """Peak RSS in bytes of a Python process that loads the CLI and does nothing else."""
    probe = subprocess.Popen([sys.executable, "-c", "import adapters.cli.main"], cwd=ROOT)
    _pid, _status, usage = os.wait4(probe.pid, 0)
    probe.returncode = 0
    return usage.ru_maxrss * 1024


# -- item 5: a killed repair's temp file ---------------------------------------------------------


def _kill_a_repair(path: Path) -> None:
    """Start ``records repair`` and SIGKILL it while it is writing its temp file."""
    repair = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "records", "repair", str(path)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    while repair.poll() is None and not any(_size(temp) for temp in _temp_files(path.parent)):
        time.sleep(0.0005)
    repair.send_signal(signal.SIGKILL)
    assert repair.wait(timeout=30) == -signal.SIGKILL, "the repair ended before it was killed"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


@pytest.mark.slow
@pytest.mark.parametrize("next_step", ["repair", "append"])
def test_a_killed_repair_leaves_a_temp_file_that_the_next_repair_or_append_removes(
    tmp_path: Path, next_step: str
) -> None:
    path = tmp_path / "records.jsonl"
    names = _big_file(path, 8_000, bad_at=5)
    before = path.read_bytes()
    _kill_a_repair(path)
    (left,) = _temp_files(tmp_path)
    assert left.name.startswith("records.jsonl.repair-")
    assert path.read_bytes() == before  # killed before its rename: nothing changed
    if next_step == "repair":
        result = JsonlRecordStore(path).repair()
        assert len(result.moved) == 1
        assert _checked_ids(path) == names
    else:
        JsonlRecordStore(path).append_record(record("next"))
        assert path.read_bytes() == before + encode_line(record("next").to_dict())
    assert _temp_files(tmp_path) == []


def test_a_running_repairs_temp_file_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.jsonl"
    names = _big_file(path, 50, bad_at=10)
    seen: list[list[Path]] = []

    def append_from_a_new_process() -> None:
        JsonlRecordStore(path).append_record(record("during"))  # its first append cleans up
        seen.append(_temp_files(tmp_path))

    _during_the_copy(monkeypatch, append_from_a_new_process)
    JsonlRecordStore(path).repair()
    assert len(seen[0]) == 1  # the running repair's own temp file survived
    assert _checked_ids(path) == [*names, "during"]
