"""``stablenew records verify`` and ``records repair`` end to end, in a subprocess."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from adapters.jsonl_log import encode_line
from adapters.record_store.jsonl import JsonlRecordStore
from domain import RecordStoreError
from tests.store.helpers import ids, quarantine_of, record

ROOT = Path(__file__).resolve().parents[2]


def stablenew(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def _store(tmp_path: Path, count: int = 3) -> JsonlRecordStore:
    sink = JsonlRecordStore(tmp_path / "records.jsonl")
    sink.append_records([record(f"r{i}") for i in range(count)])
    return sink


def _flip_a_digit(path: Path, line_index: int) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    line = bytearray(lines[line_index])
    at = line.index(b'"seed":1234') + len(b'"seed":')
    line[at] = ord("5")
    lines[line_index] = bytes(line)
    path.write_bytes(b"".join(lines))


def test_verify_clean_store(tmp_path: Path) -> None:
    sink = _store(tmp_path)
    done = stablenew("records", "verify", str(sink.records_path))
    assert done.returncode == 0, done.stderr
    assert f"{sink.records_path}: 3 good, 0 bad, 0 quarantined" in done.stdout


def test_verify_reports_a_flipped_digit(tmp_path: Path) -> None:
    sink = _store(tmp_path)
    _flip_a_digit(sink.records_path, 1)
    before = sink.records_path.read_bytes()
    done = stablenew("records", "verify", str(sink.records_path))
    assert done.returncode == 1
    assert "2 good, 1 bad" in done.stdout
    assert "line 2 (byte" in done.stdout
    assert "checksum mismatch" in done.stdout
    assert sink.records_path.read_bytes() == before  # verify changes nothing


def test_repair_moves_bad_lines_and_keeps_good_ones_in_order(tmp_path: Path) -> None:
    sink = _store(tmp_path, count=4)
    sink.records_path.chmod(0o640)
    _flip_a_digit(sink.records_path, 1)
    with sink.records_path.open("ab") as handle:
        handle.write(b"garbage\n" + encode_line(record("r9").to_dict()) + b'{"torn')
    inode = sink.records_path.stat().st_ino
    done = stablenew("records", "repair", str(sink.records_path))
    assert done.returncode == 0, done.stderr
    assert "moved 3 bad lines" in done.stdout
    assert ids(JsonlRecordStore(sink.records_path).iter_records()) == ["r0", "r2", "r3", "r9"]
    assert sink.records_path.stat().st_ino != inode  # replaced by rename, not rewritten in place
    assert sink.records_path.stat().st_mode & 0o777 == 0o600  # other users lost access, as verify warned
    assert "mode 0640 changed to 0600" in done.stdout
    moved = [orjson.loads(line) for line in quarantine_of(sink.records_path).read_bytes().splitlines()]
    assert [entry["line_number"] for entry in moved] == [2, 5, 7]
    assert base64.b64decode(moved[1]["data_b64"]) == b"garbage\n"
    assert base64.b64decode(moved[2]["data_b64"]) == b'{"torn'
    again = stablenew("records", "verify", str(sink.records_path))
    assert again.returncode == 0
    assert "4 good, 0 bad, 3 quarantined" in again.stdout
    assert "nothing to repair" in stablenew("records", "repair", str(sink.records_path)).stdout


def test_an_appender_with_a_kept_descriptor_follows_the_repaired_file(tmp_path: Path) -> None:
    sink = _store(tmp_path)
    with sink.records_path.open("ab") as handle:
        handle.write(b"garbage\n")
    assert stablenew("records", "repair", str(sink.records_path)).returncode == 0
    sink.append_record(record("after"))  # its kept descriptor points at the replaced file
    assert ids(JsonlRecordStore(sink.records_path).iter_records()) == ["r0", "r1", "r2", "after"]


def test_repair_refuses_records_of_a_newer_schema(tmp_path: Path) -> None:
    sink = _store(tmp_path)
    with sink.records_path.open("ab") as handle:
        handle.write(b"garbage\n" + encode_line({**record("new").to_dict(), "schema_version": 99}))
    before = sink.records_path.read_bytes()
    done = stablenew("records", "repair", str(sink.records_path))
    assert done.returncode == 1
    assert "schema_version 99 is newer" in done.stderr
    assert "Traceback" not in done.stderr
    assert sink.records_path.read_bytes() == before
    assert not quarantine_of(sink.records_path).exists()


def test_path_defaults_to_the_settings(tmp_path: Path) -> None:
    sink = _store(tmp_path, count=2)
    done = stablenew("records", "verify", env={"STABLENEW_LEARNING__RECORDS_PATH": str(sink.records_path)})
    assert done.returncode == 0, done.stderr
    assert "2 good" in done.stdout


_MISSING = (lambda p: p / "missing.jsonl", "does not exist")
_DIRECTORY = (lambda p: p, "is a directory")
_UNDER_A_FILE = (lambda p: (p / "file").write_text("x") and p / "file" / "records.jsonl", "does not exist")


@pytest.mark.parametrize(
    ("command", "case"),
    [
        ("verify", _MISSING),
        ("verify", _DIRECTORY),
        ("verify", _UNDER_A_FILE),
        ("repair", _MISSING),
        ("repair", _DIRECTORY),
    ],
    ids=["verify-missing", "verify-directory", "verify-under-a-file", "repair-missing", "repair-directory"],
)
def test_bad_paths_are_one_line_errors(tmp_path: Path, command: str, case: tuple[Any, str]) -> None:
    make, message = case
    target = make(tmp_path)
    done = stablenew("records", command, str(target))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert message in done.stderr
    assert str(target) in done.stderr
    assert "Traceback" not in done.stderr


def test_unreadable_file_is_refused_with_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = _store(tmp_path)
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # root could read it anyway
    with pytest.raises(RecordStoreError, match=f"{sink.records_path} is not readable"):
        sink.verify()


def _feedback(tmp_path: Path, count: int = 5) -> Path:
    from adapters.feedback.jsonl import JsonlFeedbackStore
    from domain.feedback import FeedbackAuthor, FeedbackEvent

    path = tmp_path / "feedback.jsonl"
    store = JsonlFeedbackStore(path)
    by = FeedbackAuthor.person("tester")
    store.append(
        [
            FeedbackEvent(f"e{i}", "r0", "2026-11-24T10:00:00Z", by, "rating", rating=1 + i % 5)
            for i in range(count)
        ]
    )
    return path


def test_a_feedback_file_is_verified_and_repaired_as_feedback(tmp_path: Path) -> None:
    path = _feedback(tmp_path)
    before = path.read_bytes()
    done = stablenew("records", "verify", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{path}: 5 good, 0 bad" in done.stdout
    done = stablenew("records", "repair", str(path))
    assert done.returncode == 0, done.stderr
    assert "nothing to repair (5 good lines)" in done.stdout
    assert path.read_bytes() == before
    assert not quarantine_of(path).exists()


def test_repair_of_a_feedback_file_moves_only_what_is_not_an_event(tmp_path: Path) -> None:
    path = _feedback(tmp_path)
    with path.open("ab") as handle:
        handle.write(encode_line(record("a-record-among-events").to_dict()))
        handle.write(encode_line({"schema_version": 1, "event_id": "x", "run_id": "r0"}))
    done = stablenew("records", "verify", str(path))
    assert done.returncode == 1
    assert "5 good, 2 bad" in done.stdout
    assert "line 7 (byte" in done.stdout
    assert "not a feedback event: missing field" in done.stdout
    done = stablenew("records", "repair", str(path))
    assert "moved 2 bad lines" in done.stdout
    assert "kept 5 good lines" in done.stdout
    assert stablenew("records", "verify", str(path)).returncode == 0


def test_verify_and_repair_without_a_path_take_the_records_and_the_feedback_beside_them(
    tmp_path: Path,
) -> None:
    sink = _store(tmp_path, count=2)
    feedback = _feedback(tmp_path)
    with feedback.open("ab") as handle:
        handle.write(b"not json\n")
    env = {"STABLENEW_LEARNING__RECORDS_PATH": str(sink.records_path)}
    done = stablenew("records", "verify", env=env)
    assert done.returncode == 1
    assert f"{sink.records_path}: 2 good, 0 bad" in done.stdout
    assert f"{feedback}: 5 good, 1 bad" in done.stdout
    done = stablenew("records", "repair", env=env)
    assert done.returncode == 0, done.stderr
    assert f"{sink.records_path}: nothing to repair (2 good lines)" in done.stdout
    assert f"{feedback}: moved 1 bad lines" in done.stdout
