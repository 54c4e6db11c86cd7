"""Torn tails: the reader returns exactly the committed records; the next append quarantines the rest."""

from __future__ import annotations

import base64
from pathlib import Path

import orjson
import pytest

from adapters.jsonl_log import decode_line, encode_line
from adapters.record_store.jsonl import JsonlRecordStore
from domain import BadLine
from tests.store.helpers import ids, quarantine_of, record


def _quarantined(path: Path) -> list[dict[str, object]]:
    entries = []
    for line in quarantine_of(path).read_bytes().splitlines():
        payload, reason = decode_line(line)
        assert payload is not None, reason
        entries.append(payload)
    return entries


def _committed(tmp_path: Path) -> tuple[Path, bytes, bytes]:
    path = tmp_path / "r.jsonl"
    sink = JsonlRecordStore(path, durability="none")
    sink.append_records([record("r1"), record("r2")])
    last = encode_line(record("r3").to_dict())
    return path, path.read_bytes(), last


@pytest.mark.slow
def test_cut_at_every_offset_of_the_last_record(tmp_path: Path) -> None:
    path, committed, last = _committed(tmp_path)
    appended = encode_line(record("r4").to_dict())
    for cut in range(1, len(last)):
        path.write_bytes(committed + last[:cut])
        quarantine_of(path).unlink(missing_ok=True)
        sink = JsonlRecordStore(path, durability="none")
        bad: list[BadLine] = []
        assert ids(sink.iter_records(on_bad_line=bad.append)) == ["r1", "r2"], cut
        assert [b.line_number for b in bad] == [3]
        sink.append_record(record("r4"))
        assert path.read_bytes() == committed + appended
        (entry,) = _quarantined(path)
        assert base64.b64decode(str(entry["data_b64"])) == last[:cut]
        assert entry["byte_offset"] == len(committed)
        assert "torn tail" in str(entry["reason"])


def test_nul_bytes_after_the_last_record(tmp_path: Path) -> None:
    path, committed, _last = _committed(tmp_path)
    path.write_bytes(committed + b"\0" * 4096)
    sink = JsonlRecordStore(path)
    bad: list[BadLine] = []
    assert ids(sink.iter_records(on_bad_line=bad.append)) == ["r1", "r2"]
    assert [b.line_number for b in bad] == [3]
    assert sink.recover_tail() == 4096
    assert path.read_bytes() == committed
    (entry,) = _quarantined(path)
    assert base64.b64decode(str(entry["data_b64"])) == b"\0" * 4096


def test_partial_record_followed_by_a_complete_one(tmp_path: Path) -> None:
    path, committed, last = _committed(tmp_path)
    partial = last[: len(last) // 2]
    path.write_bytes(committed + partial + encode_line(record("r5").to_dict()))
    bad: list[BadLine] = []
    sink = JsonlRecordStore(path)
    # The torn record glued to the next one makes one bad line: both are lost to the reader,
    # which is why every append first cuts a torn tail away.
    assert ids(sink.iter_records(on_bad_line=bad.append)) == ["r1", "r2"]
    assert [b.line_number for b in bad] == [3]
    result = sink.repair()
    assert result.kept == 2
    (entry,) = _quarantined(path)
    assert base64.b64decode(str(entry["data_b64"])).startswith(partial)
    assert sink.verify().bad == ()


def test_append_after_torn_tail_never_glues(tmp_path: Path) -> None:
    path, committed, last = _committed(tmp_path)
    path.write_bytes(committed + last[:100])
    sink = JsonlRecordStore(path)
    sink.append_record(record("r6"))
    assert path.read_bytes() == committed + encode_line(record("r6").to_dict())
    assert sink.verify().bad == ()


@pytest.mark.parametrize("tail", [b"x", b"\n\0\0", b"{}"])
def test_recover_tail_is_a_no_op_on_complete_files_and_cuts_only_after_the_last_newline(
    tmp_path: Path, tail: bytes
) -> None:
    path, committed, _last = _committed(tmp_path)
    sink = JsonlRecordStore(path)
    assert sink.recover_tail() == 0
    assert not quarantine_of(path).exists()
    path.write_bytes(committed + tail)
    torn = tail.rpartition(b"\n")[2]
    assert sink.recover_tail() == len(torn)
    assert path.read_bytes() == committed + tail[: len(tail) - len(torn)]
    assert orjson.loads(quarantine_of(path).read_bytes().splitlines()[0])["length"] == len(torn)
