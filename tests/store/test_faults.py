"""I/O faults in the middle of an append leave the file byte-identical and the store usable.

Like SQLite's I/O-error tests: the N-th os.write or os.fsync of the store fails (N = 1, 2, 3...)
or writes short; the append raises a RecordStoreError naming the file, the file is as before,
and the next append works.
"""

from __future__ import annotations

import base64
import errno
import importlib
import os
import pkgutil
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

import adapters.jsonl_log
from adapters.jsonl_log import decode_line, encode_line
from adapters.record_store.jsonl import JsonlRecordStore
from domain import RecordStoreError
from tests.store.helpers import ids, quarantine_of, record

_STORE_MODULES = [
    importlib.import_module(f"adapters.jsonl_log.{info.name}")
    for info in pkgutil.iter_modules(adapters.jsonl_log.__path__)
]


def use_os(monkeypatch: pytest.MonkeyPatch, stand_in: Any) -> None:
    """Make every module of the store call ``stand_in`` instead of the ``os`` module."""
    for module in _STORE_MODULES:
        if getattr(module, "os", None) is not None:
            monkeypatch.setattr(module, "os", stand_in)


class FaultyOs(types.SimpleNamespace):
    """Stands in for the ``os`` module inside the store; fails the N-th call of one function.

    ``short`` writes half and lets the caller continue; ``partial-enospc`` writes half and the
    next write raises ENOSPC, as a filling disk does.
    """

    def __init__(self, target: str, nth: int, fault: str) -> None:
        super().__init__()
        self.target, self.nth, self.fault, self.calls, self.fired = target, nth, fault, 0, False
        self.full = False

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def write(self, fd: int, data: Any) -> int:
        if self.full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if self._due("write"):
            if self.fault in ("short", "partial-enospc"):
                self.full = self.fault == "partial-enospc"
                return os.write(fd, bytes(data)[: max(1, len(data) // 2)])
            code = errno.ENOSPC if self.fault == "enospc" else errno.EIO
            raise OSError(code, os.strerror(code))
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        if self._due("fsync"):
            raise OSError(errno.EIO, "Input/output error")
        os.fsync(fd)

    def _due(self, name: str) -> bool:
        if name != self.target or self.fired:
            return False
        self.calls += 1
        if self.calls == self.nth:
            self.fired = True
            return True
        return False


def _run_until_fault(
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    faulty: FaultyOs,
    before_each: Callable[[], None],
    torn: bytes = b"",
) -> tuple[list[str], bytes]:
    """Append records one by one until the fault fires; return the stored ids and the bytes before it.

    The failed append leaves the file as it was, except that a ``torn`` tail it found may already
    be in the quarantine and cut off (that step commits on its own before the append proper).
    """
    sink = JsonlRecordStore(path)
    acknowledged: list[str] = ids(sink.iter_records())
    use_os(monkeypatch, faulty)
    for i in range(6):
        before_each()
        snapshot = path.read_bytes() if path.exists() else None
        error: RecordStoreError | None = None
        try:
            sink.append_record(record(f"r{i}"))
        except RecordStoreError as exc:
            error = exc
        if error is not None:
            assert str(path) in str(error)
            assert faulty.fired
            after = path.read_bytes() if path.exists() else None
            allowed = [snapshot]
            if torn and snapshot is not None and snapshot.endswith(torn):
                allowed.append(snapshot[: -len(torn)])
            assert after in allowed, "the failed append left bytes behind"
            use_os(monkeypatch, os)
            sink.append_record(record("after"))
            assert ids(sink.iter_records()) == [*acknowledged, "after"]
            return acknowledged, snapshot or b""
        acknowledged.append(f"r{i}")
    # A short write of the quarantine file is simply continued: nothing failed.
    assert faulty.fired, f"fault {faulty.target}#{faulty.nth} never fired"
    assert faulty.fault == "short"
    assert ids(sink.iter_records()) == acknowledged
    return acknowledged, path.read_bytes()


@pytest.mark.parametrize("nth", [1, 2, 3, 4])
@pytest.mark.parametrize(
    ("target", "fault"),
    [
        ("write", "eio"),
        ("write", "enospc"),
        ("write", "short"),
        ("write", "partial-enospc"),
        ("fsync", "eio"),
    ],
)
def test_nth_call_fails_file_unchanged_next_append_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, fault: str, nth: int
) -> None:
    path = tmp_path / "store" / "r.jsonl"
    _run_until_fault(path, monkeypatch, FaultyOs(target, nth, fault), lambda: None)


@pytest.mark.parametrize("nth", [1, 2, 3])
@pytest.mark.parametrize(
    ("target", "fault"), [("write", "eio"), ("write", "short"), ("write", "partial-enospc"), ("fsync", "eio")]
)
def test_faults_while_a_torn_tail_is_being_quarantined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, fault: str, nth: int
) -> None:
    path = tmp_path / "r.jsonl"
    torn = encode_line(record("torn").to_dict())[:77]

    JsonlRecordStore(path).append_record(record("seed"))
    tears = 0

    def tear() -> None:
        nonlocal tears
        tears += 1
        with path.open("ab") as handle:
            handle.write(torn)

    acknowledged, _snapshot = _run_until_fault(path, monkeypatch, FaultyOs(target, nth, fault), tear, torn)
    assert acknowledged[0] == "seed"
    # Every torn piece was moved to the quarantine; one whose move failed half-way may be there twice.
    pieces = [
        base64.b64decode(orjson.loads(line)["data_b64"])
        for line in quarantine_of(path).read_bytes().splitlines()
    ]
    assert set(pieces) == {torn}
    assert tears <= len(pieces) <= tears + 1
    assert JsonlRecordStore(path).verify().bad == ()


def test_failed_fsync_drops_the_descriptor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = JsonlRecordStore(tmp_path / "r.jsonl")
    sink.append_record(record("r0"))
    kept = sink.log._fds.records
    use_os(monkeypatch, FaultyOs("fsync", 1, "eio"))
    with pytest.raises(RecordStoreError, match="nothing was stored"):
        sink.append_record(record("r1"))
    use_os(monkeypatch, os)
    assert sink.log._fds.records is None
    sink.append_record(record("r2"))
    assert sink.log._fds.records is not None
    assert kept is not None
    assert ids(sink.iter_records()) == ["r0", "r2"]


def test_failed_truncate_after_failed_write_is_reported_and_healed_by_next_append(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    sink = JsonlRecordStore(path)
    sink.append_record(record("r0"))
    faulty = FaultyOs("write", 1, "partial-enospc")

    def broken_ftruncate(fd: int, size: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    faulty.ftruncate = broken_ftruncate
    use_os(monkeypatch, faulty)
    with pytest.raises(RecordStoreError, match="cutting the file back also failed"):
        sink.append_record(record("r1"))
    use_os(monkeypatch, os)
    sink.append_record(record("r2"))
    assert ids(sink.iter_records()) == ["r0", "r2"]
    assert quarantine_of(path).exists()


def test_unwritable_directory_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    sink = JsonlRecordStore(blocker / "r.jsonl")
    with pytest.raises(RecordStoreError, match=str(blocker)):
        sink.append_record(record("r0"))


def _quarantine_entries(path: Path) -> list[bytes]:
    """The exact bytes of every quarantined piece; every quarantine line must be valid."""
    pieces = []
    for line in quarantine_of(path).read_bytes().split(b"\n")[:-1]:
        payload, reason = decode_line(line)
        assert payload is not None, f"invalid quarantine line: {reason}"
        pieces.append(base64.b64decode(str(payload["data_b64"])))
    return pieces


def test_disk_full_while_quarantining_cuts_the_quarantine_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    sink = JsonlRecordStore(path)
    sink.append_record(record("r0"))
    first, second = b'{"torn": "first', b'{"torn": "second' + b"x" * 6000
    with path.open("ab") as handle:
        handle.write(first)
    sink.append_record(record("r1"))  # quarantines the first torn tail
    with path.open("ab") as handle:
        handle.write(second)
    records_before, quarantine_before = path.read_bytes(), quarantine_of(path).read_bytes()

    use_os(monkeypatch, FaultyOs("write", 1, "partial-enospc"))  # the quarantine write fills the disk
    with pytest.raises(RecordStoreError) as raised:
        sink.append_record(record("lost"))
    use_os(monkeypatch, os)
    message = str(raised.value)
    assert "No space left on device" in message
    assert "short write" not in message
    assert str(quarantine_of(path)) in message
    assert quarantine_of(path).read_bytes() == quarantine_before  # no partial entry left behind
    assert path.read_bytes() == records_before

    sink.append_record(record("r2"))  # space is back: the torn tail moves cleanly
    assert _quarantine_entries(path) == [first, second]
    assert ids(sink.iter_records()) == ["r0", "r1", "r2"]


def test_a_quarantine_created_by_a_failed_write_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(encode_line(record("r0").to_dict()) + b'{"torn')
    use_os(monkeypatch, FaultyOs("write", 1, "enospc"))
    with pytest.raises(RecordStoreError, match="No space left on device"):
        JsonlRecordStore(path).append_record(record("lost"))
    use_os(monkeypatch, os)
    assert not quarantine_of(path).exists()


def test_disk_full_after_a_short_append_names_the_os_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    sink = JsonlRecordStore(path)
    sink.append_record(record("r0"))
    before = path.read_bytes()
    use_os(monkeypatch, FaultyOs("write", 1, "partial-enospc"))
    with pytest.raises(RecordStoreError) as raised:
        sink.append_record(record("r1", 6000))
    use_os(monkeypatch, os)
    assert str(raised.value) == f"cannot append to {path}: No space left on device (nothing was stored)"
    assert path.read_bytes() == before


def test_a_quarantine_left_without_its_newline_is_never_glued_to(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(encode_line(record("r0").to_dict()) + b'{"torn')
    quarantine_of(path).write_bytes(b'{"half an entry')  # a cut-back that failed, say
    JsonlRecordStore(path).append_record(record("r1"))
    lines = quarantine_of(path).read_bytes().split(b"\n")
    assert lines[0] == b'{"half an entry'
    payload, reason = decode_line(lines[1])
    assert payload is not None, reason
    assert base64.b64decode(str(payload["data_b64"])) == b'{"torn'
