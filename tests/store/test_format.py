"""Line format: plain JSON objects with a CRC-32 of their content; what cannot be JSON never is written."""

from __future__ import annotations

import json
import os
import stat
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from adapters.jsonl_log import CHECKSUM_KEY, JsonlLog, decode_line, encode_line
from adapters.record_store.jsonl import JsonlRecordStore
from domain import RecordSerializationError
from tests.store.helpers import ids, record


def test_line_is_plain_json_with_the_checksum_last() -> None:
    line = encode_line({"b": 1, "a": "x"})
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    parsed = json.loads(line)
    assert list(parsed) == ["b", "a", CHECKSUM_KEY]
    body = orjson.dumps({"b": 1, "a": "x"})
    assert parsed[CHECKSUM_KEY] == f"{zlib.crc32(body):08x}"


def test_empty_object_gets_a_checksum_too() -> None:
    line = encode_line({})
    assert decode_line(line[:-1]) == ({}, "")
    assert json.loads(line) == {CHECKSUM_KEY: f"{zlib.crc32(b'{}'):08x}"}


def test_newlines_inside_values_stay_inside_one_line() -> None:
    line = encode_line({"prompt": "two\nlines\r\n\u2028"})
    assert line.count(b"\n") == 1
    assert decode_line(line[:-1])[0] == {"prompt": "two\nlines\r\n\u2028"}


def test_line_without_checksum_is_still_read() -> None:
    assert decode_line(b'{"old": true}') == ({"old": True}, "")


def test_reformatted_line_with_same_content_is_accepted() -> None:
    canonical = encode_line({"a": 1, "b": [1, 2]})
    pretty = json.dumps(json.loads(canonical), indent=None, separators=(", ", ": ")).encode()
    assert decode_line(pretty) == ({"a": 1, "b": [1, 2]}, "")


@pytest.mark.parametrize("digit_index", [0, 1, 2, 5])
def test_one_changed_digit_is_a_checksum_mismatch(digit_index: int) -> None:
    line = bytearray(encode_line({"seed": 1234567, "steps": 20})[:-1])
    digits = [i for i, byte in enumerate(line) if chr(byte).isdigit() and i < line.index(b"_crc")]
    position = digits[digit_index]
    line[position] = ord("9") if line[position] != ord("9") else ord("1")
    payload, reason = decode_line(bytes(line))
    assert payload is None
    assert "checksum mismatch" in reason


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"path": Path("/x.png")}, "metadata.path is a PosixPath"),
        ({"tags": {"a"}}, "metadata.tags is a set"),
        ({"deep": [{"score": float("nan")}]}, "metadata.deep[0].score is nan"),
        ({"score": float("inf")}, "metadata.score is inf"),
        ({"score": -float("inf")}, "metadata.score is -inf"),
        ({1: "int key"}, "has a key 1 that is not text"),
    ],
)
def test_unrepresentable_values_raise_before_any_byte(
    tmp_path: Path, value: dict[Any, Any], where: str
) -> None:
    sink = JsonlRecordStore(tmp_path / "r.jsonl")
    sink.append_record(record("ok"))
    before = sink.records_path.read_bytes()
    with pytest.raises(RecordSerializationError, match=r"cannot be stored as JSON") as caught:
        sink.append_records(
            [record("fine"), record("odd").__class__(**{**_fields(record("odd")), "metadata": value})]
        )
    assert where in str(caught.value)
    assert sink.records_path.read_bytes() == before


def test_checksum_key_is_reserved(tmp_path: Path) -> None:
    log = JsonlLog(tmp_path / "r.jsonl")
    with pytest.raises(RecordSerializationError, match="reserved"):
        log.append([{CHECKSUM_KEY: "x"}])
    assert not log.path.exists()


def test_file_is_created_0600_with_parent_dirs(tmp_path: Path) -> None:
    sink = JsonlRecordStore(tmp_path / "a" / "b" / "records.jsonl")
    sink.append_record(record("r1"))
    assert stat.S_IMODE(os.stat(sink.records_path).st_mode) == 0o600
    assert ids(sink.iter_records()) == ["r1"]


def test_lines_are_readable_by_duckdb(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    sink = JsonlRecordStore(tmp_path / "r.jsonl")
    sink.append_records([record(f"r{i}") for i in range(3)])
    rows = duckdb.sql(f"select run_id, _crc from read_json_auto('{sink.records_path}')").fetchall()
    assert [row[0] for row in rows] == ["r0", "r1", "r2"]
    assert all(len(row[1]) == 8 for row in rows)


def test_unknown_durability_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="durability"):
        JsonlLog(tmp_path / "r.jsonl", durability="sometimes")  # type: ignore[arg-type]


def _fields(rec: Any) -> dict[str, Any]:
    return {name: getattr(rec, name) for name in rec.__dataclass_fields__}


def test_a_byte_order_mark_before_the_first_record_costs_nothing(tmp_path: Path) -> None:
    """Editors that save with a UTF-8 byte-order mark put it before the first line."""
    sink = JsonlRecordStore(tmp_path / "records.jsonl")
    sink.append_records([record("r0"), record("r1")])
    sink.records_path.write_bytes(b"\xef\xbb\xbf" + sink.records_path.read_bytes())
    bad: list[object] = []
    assert ids(sink.iter_records(on_bad_line=bad.append)) == ["r0", "r1"]
    assert ids(sink.iter_records(newest_first=True, on_bad_line=bad.append)) == ["r1", "r0"]
    assert bad == []
    verification = sink.verify()
    assert (verification.good, verification.bad) == (2, ())
    assert sink.repair().moved == ()
    assert ids(sink.iter_records()) == ["r0", "r1"]
