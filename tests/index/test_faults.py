"""The SQLite index when the files change behind its back, and when its own file is unusable.

Every test ends by comparing the index's answers with a full scan of the files (History).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from adapters.index.schema import VERSION
from adapters.index.sqlite_index import SqliteRunIndex
from adapters.record_store.jsonl import JsonlRecordStore
from domain.feedback import FeedbackEvent
from tests.contract.run_index_contract import ALICE, HistoryFiles, varied_events, varied_records
from tests.factories import make_record
from tests.unprivileged import as_nobody

WORKER = [sys.executable, "-m", "tests.index.worker"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def files(tmp_path: Path) -> Iterator[HistoryFiles]:
    files = HistoryFiles(tmp_path)
    records = varied_records()
    files.add(*records)
    files.rate(*varied_events(records))
    yield files
    files.close()


@pytest.fixture
def notices() -> list[str]:
    return []


def open_index(files: HistoryFiles, notices: list[str], **options: object) -> SqliteRunIndex:
    return SqliteRunIndex(files.records_path, files.feedback_path, on_notice=notices.append, **options)  # type: ignore[arg-type]


def assert_answers_as_the_files(index: SqliteRunIndex, files: HistoryFiles) -> None:
    history = files.history()
    assert list(index.rows()) == list(history.iter_rows())
    for run_id, feedback in history.feedback_state().items():
        assert index.feedback(run_id) == feedback
    newest = history.recent(1)
    if newest:
        assert index.record(newest[0].run_id) == history.resolve(newest[0].run_id)


def line_starts(path: Path) -> list[int]:
    data = path.read_bytes()
    starts = [0]
    starts += [position + 1 for position, byte in enumerate(data) if byte == 0x0A]
    return starts


# -- the files change behind the index's back ---------------------------------------------------


@pytest.mark.parametrize("cut", ["at a line", "inside a line"])
def test_a_truncated_records_file_is_read_again(files: HistoryFiles, notices: list[str], cut: str) -> None:
    index = open_index(files, notices)
    list(index.rows())
    where = line_starts(files.records_path)[30] + (0 if cut == "at a line" else 40)
    os.truncate(files.records_path, where)
    assert_answers_as_the_files(index, files)
    assert_answers_as_the_files(open_index(files, notices), files)
    assert notices == []


def test_a_file_cut_and_then_grown_past_its_old_size_is_read_again(
    files: HistoryFiles, notices: list[str]
) -> None:
    index = open_index(files, notices)
    size = files.records_path.stat().st_size
    list(index.rows())
    os.truncate(files.records_path, line_starts(files.records_path)[10])
    while files.records_path.stat().st_size <= size:
        files.add(make_record(f"new{files.records_path.stat().st_size:08d}"))
    assert_answers_as_the_files(index, files)
    assert notices == []


def test_a_repaired_file_is_read_again(files: HistoryFiles, notices: list[str]) -> None:
    files.raw("records", b"a damaged line\n")
    files.add(make_record("after001"), make_record("after002"))
    bad: list[tuple[str, object]] = []
    index = SqliteRunIndex(
        files.records_path, files.feedback_path, on_bad_line=lambda s, b: bad.append((s, b))
    )
    list(index.rows())
    assert [source for source, _line in bad] == ["records"]
    files.sink.repair()
    assert_answers_as_the_files(index, files)
    assert index.check().ok


def test_a_replaced_file_is_read_again(files: HistoryFiles, notices: list[str], tmp_path: Path) -> None:
    index = open_index(files, notices)
    list(index.rows())
    other = HistoryFiles(tmp_path / "other")
    other.add(*[replace(record, status="interrupted") for record in varied_records()[::3]])
    other.close()
    os.replace(other.records_path, files.records_path)
    assert_answers_as_the_files(index, files)


def test_a_rotated_file_is_read_again(files: HistoryFiles, notices: list[str]) -> None:
    index = open_index(files, notices)
    list(index.rows())
    files.records_path.rename(f"{files.records_path}.1")
    files.close()
    files.sink = JsonlRecordStore(files.records_path, durability="none")
    files.add(make_record("fresh001"))
    assert [row.run_id for row in index.rows()] == ["fresh001"]
    assert_answers_as_the_files(index, files)


@pytest.mark.parametrize("then_append", [False, True])
def test_an_older_copy_restored_is_read_again(
    files: HistoryFiles, notices: list[str], tmp_path: Path, then_append: bool
) -> None:
    backup = tmp_path / "backup.jsonl"
    shutil.copyfile(files.records_path, backup)
    files.add(*[make_record(f"later{n:03d}") for n in range(20)])
    index = open_index(files, notices)
    list(index.rows())
    shutil.copyfile(backup, files.records_path)  # same inode, older content
    if then_append:
        files.add(*[make_record(f"other{n:03d}") for n in range(25)])
    assert_answers_as_the_files(index, files)


def test_another_history_ending_in_the_same_line_written_over_the_file(tmp_path: Path) -> None:
    """Same inode, the same bytes where the index stopped, then grown: only the head differs."""
    files = HistoryFiles(tmp_path)
    files.add(*[make_record(f"aaaa{n:04d}") for n in range(10)])
    notices: list[str] = []
    index = open_index(files, notices)
    list(index.rows())
    last = files.records_path.read_bytes().splitlines(keepends=True)[-1]
    other = HistoryFiles(tmp_path / "other")
    other.add(*[make_record(f"bbbb{n:04d}") for n in range(9)])
    other.close()
    files.records_path.write_bytes(other.records_path.read_bytes() + last)
    files.add(make_record("cccc0000"))
    assert_answers_as_the_files(index, files)
    files.close()


def test_a_line_rewritten_in_place_is_noticed(files: HistoryFiles, notices: list[str]) -> None:
    index = open_index(files, notices)
    list(index.rows())
    start, end = line_starts(files.records_path)[3:5]
    data = bytearray(files.records_path.read_bytes())
    line = bytes(data[start:end])
    swapped = line.replace(b'"status":"succeeded"', b'"status":"xsucceeds"').replace(
        b'"status":"failed"', b'"status":"xfaild"'
    )
    assert swapped != line
    data[start:end] = swapped  # the checksum no longer matches: a bad line now, same size
    before = files.records_path.stat()
    files.records_path.write_bytes(bytes(data))
    os.utime(files.records_path, ns=(before.st_atime_ns, before.st_mtime_ns + 1))
    assert_answers_as_the_files(index, files)


def test_a_record_read_by_offset_is_checked_against_its_line(files: HistoryFiles, notices: list[str]) -> None:
    """Even if a rewrite keeps the size, the first and last bytes and the modification time."""
    files.add(
        make_record("swap0001"), make_record("swap0002"), *[make_record(f"tail{n:04d}") for n in range(3)]
    )
    index = open_index(files, notices)
    list(index.rows())
    starts = line_starts(files.records_path)
    data = bytearray(files.records_path.read_bytes())
    first, second = bytes(data[starts[-6] : starts[-5]]), bytes(data[starts[-5] : starts[-4]])
    assert (b"swap0001" in first, b"swap0002" in second, len(first)) == (True, True, len(second))
    data[starts[-6] : starts[-4]] = second + first
    before = files.records_path.stat()
    files.records_path.write_bytes(bytes(data))
    os.utime(files.records_path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert index.record("swap0001") == files.history().resolve("swap0001")
    assert_answers_as_the_files(index, files)


def test_feedback_file_truncated_or_replaced(files: HistoryFiles, notices: list[str], tmp_path: Path) -> None:
    index = open_index(files, notices)
    list(index.rows())
    os.truncate(files.feedback_path, line_starts(files.feedback_path)[5])
    assert_answers_as_the_files(index, files)
    replacement = tmp_path / "fb.jsonl"
    replacement.write_bytes(b"")
    os.replace(replacement, files.feedback_path)
    files.rate(
        FeedbackEvent("late", varied_records()[0].run_id, "2026-11-25T00:00:00Z", ALICE, "rating", rating=3)
    )
    assert_answers_as_the_files(index, files)
    assert notices == []


# -- the index file itself ----------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["garbage", "header", "half"])
def test_a_corrupt_index_file_is_rebuilt_from_the_files(
    files: HistoryFiles, notices: list[str], damage: str
) -> None:
    first = open_index(files, notices)
    list(first.rows())
    first.close()
    path = first.index_path
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    size = path.stat().st_size
    if damage == "garbage":
        path.write_bytes(os.urandom(size))
    elif damage == "header":
        with open(path, "r+b") as handle:
            handle.write(b"\x00garbage" * 8)
    else:
        os.truncate(path, size // 2)
    index = open_index(files, notices)
    assert_answers_as_the_files(index, files)
    assert len(notices) <= 1
    assert all("damaged" in notice for notice in notices)
    assert index.status().location == str(path)  # the file was replaced, not given up
    assert index.check().ok


def test_a_deleted_index_file_loses_nothing(files: HistoryFiles, notices: list[str]) -> None:
    index = open_index(files, notices)
    list(index.rows())
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index.index_path}{suffix}").unlink(missing_ok=True)
    files.add(make_record("after001"))
    assert_answers_as_the_files(index, files)
    assert index.index_path.exists()
    assert notices == []


@pytest.mark.parametrize("version", [0, VERSION - 1, VERSION + 1])
def test_an_index_of_another_version_is_rebuilt(
    files: HistoryFiles, notices: list[str], version: int
) -> None:
    first = open_index(files, notices)
    list(first.rows())
    first.close()
    db = sqlite3.connect(first.index_path)
    db.execute(f"PRAGMA user_version = {version}")
    db.execute("DROP TABLE feedback_state")
    db.execute("CREATE TABLE feedback_state (something_else TEXT)")
    db.commit()
    db.close()
    index = open_index(files, notices)
    assert_answers_as_the_files(index, files)
    assert notices == []
    assert index.check().ok


def test_a_foreign_sqlite_file_in_its_place_is_replaced(files: HistoryFiles, notices: list[str]) -> None:
    path = Path(f"{files.records_path}.index.sqlite")
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE runs (x)")
    db.commit()
    db.close()
    assert_answers_as_the_files(open_index(files, notices), files)


def test_an_index_locked_by_another_process(files: HistoryFiles, notices: list[str]) -> None:
    index = open_index(files, notices, busy_timeout=0.2)
    list(index.rows())
    locker = subprocess.Popen(
        [*WORKER, "lock", str(index.index_path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None
        assert locker.stdout.readline().strip() == "locked"
        assert_answers_as_the_files(open_index(files, notices, busy_timeout=0.2), files)
        assert notices == []  # nothing new to read: the file answers while another process writes
        files.add(make_record("during01"))
        assert_answers_as_the_files(index, files)
        assert len(notices) == 1
        assert "busy" in notices[0]
        assert index.status().location == ":memory:"
    finally:
        locker.communicate("", timeout=30)
    fresh: list[str] = []
    later = open_index(files, fresh)
    assert_answers_as_the_files(later, files)
    assert fresh == []
    assert later.status().location == str(index.index_path)


def test_a_read_only_folder(tmp_path: Path) -> None:
    """The index file cannot be created: an in-memory index answers, with one notice."""
    folder = Path(tempfile.mkdtemp(dir="/tmp", prefix="stablenew-ro-"))
    try:
        files = HistoryFiles(folder)
        files.add(*varied_records()[:20])
        files.rate(*varied_events(varied_records())[:5])
        files.close()
        for path in (files.records_path, files.feedback_path):
            path.chmod(0o644)
        expected = [row.run_id for row in files.history().iter_rows()]
        folder.chmod(0o555)
        result = _as_unprivileged_user(files)
        assert result["runs"] == expected
        assert len(result["notices"]) == 1
        assert "cannot" in result["notices"][0]
        assert not Path(f"{files.records_path}.index.sqlite").exists()
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def _as_unprivileged_user(files: HistoryFiles) -> dict[str, list[str]]:
    """List the runs as an ordinary user (root ignores folder permissions)."""

    def listing() -> dict[str, list[str]]:
        notices: list[str] = []
        index = SqliteRunIndex(files.records_path, files.feedback_path, on_notice=notices.append)
        return {"runs": [row.run_id for row in index.rows()], "notices": notices}

    return as_nobody(listing)  # type: ignore[no-any-return]


# -- several processes ---------------------------------------------------------------------------


def test_two_processes_catch_up_at_once(files: HistoryFiles, tmp_path: Path) -> None:
    files.add(*[make_record(f"bulk{n:05d}") for n in range(3000)])
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [*WORKER, "list", str(files.records_path), str(files.feedback_path), str(go)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()
    expected = [row.run_id for row in files.history().iter_rows()]
    for worker in workers:
        out, _err = worker.communicate(timeout=120)
        assert worker.returncode == 0
        result = json.loads(out)
        assert result == {"runs": expected, "notices": []}
    notices: list[str] = []
    index = open_index(files, notices)
    assert index.check().ok
    assert notices == []


def test_readers_while_one_process_appends(tmp_path: Path) -> None:
    files = HistoryFiles(tmp_path)
    count = 60
    readers = [
        subprocess.Popen(
            [*WORKER, "follow", str(files.records_path), str(files.feedback_path), str(count)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for number in range(count):
        files.add(make_record(f"run{number:05d}"))
    for reader in readers:
        out, _err = reader.communicate(timeout=120)
        assert reader.returncode == 0, out
    files.close()


@pytest.mark.parametrize("delay", [0.05, 0.4])
def test_a_process_killed_while_building_leaves_a_usable_index(tmp_path: Path, delay: float) -> None:
    files = HistoryFiles(tmp_path)
    template = make_record("x").to_dict()
    lines = []
    from tests.contract.run_index_contract import line_of

    for number in range(20_000):
        lines.append(line_of({**template, "run_id": f"kill{number:06d}"}))
    files.raw("records", b"".join(lines))
    builder = subprocess.Popen(
        [*WORKER, "build", str(files.records_path), str(files.feedback_path)], cwd=ROOT
    )
    wal = Path(f"{files.records_path}.index.sqlite-wal")
    try:
        while builder.poll() is None and not (wal.exists() and wal.stat().st_size > 0):
            pass
        import time

        time.sleep(delay)
    finally:
        builder.send_signal(signal.SIGKILL)
        builder.wait()
    notices: list[str] = []
    index = open_index(files, notices)
    rows = list(index.rows())
    assert len(rows) == 20_000
    assert rows[0].run_id == "kill019999"
    assert index.check().ok
    assert notices == []
    files.close()


# -- one index object shared -------------------------------------------------------------------


def test_the_index_file_is_private_like_the_records(files: HistoryFiles, notices: list[str]) -> None:
    index = open_index(files, notices)
    list(index.rows(limit=1))
    assert stat.S_IMODE(index.index_path.stat().st_mode) == 0o600


def test_records_in_a_folder_that_does_not_exist_yet(tmp_path: Path) -> None:
    notices: list[str] = []
    index = SqliteRunIndex(
        tmp_path / "nowhere" / "r.jsonl", tmp_path / "nowhere" / "f.jsonl", on_notice=notices.append
    )
    assert list(index.rows()) == []
    assert notices == []
    assert not (tmp_path / "nowhere").exists()


def test_threads_share_one_index_while_records_are_appended(files: HistoryFiles, notices: list[str]) -> None:
    index = open_index(files, notices)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                rows = list(index.rows(limit=5))
                index.record(rows[0].run_id)
                index.feedback(rows[-1].run_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for number in range(20):
        files.add(make_record(f"thread{number:02d}"))
    for thread in threads:
        thread.join()
    assert errors == []
    assert_answers_as_the_files(index, files)
    assert notices == []


def test_a_forked_child_opens_its_own_connection(files: HistoryFiles, notices: list[str]) -> None:
    index = open_index(files, notices)
    list(index.rows())
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            files.add(make_record("child001"))
            os.write(write_end, json.dumps([row.run_id for row in index.rows(limit=2)]).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        seen = json.loads(pipe.read())
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert seen[0] == "child001"
    assert_answers_as_the_files(index, files)
    assert notices == []
