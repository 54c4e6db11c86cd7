"""The reader streams records both ways, reports every bad line, and refuses newer schema versions."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.jsonl_log import JsonlLog, encode_line, scan
from adapters.record_store.jsonl import JsonlRecordStore
from domain import BadLine, LearningRecord, UnsupportedSchemaVersion
from tests.store.helpers import ids, record


def _write(path: Path, *chunks: bytes) -> None:
    path.write_bytes(b"".join(chunks))


def _line(run_id: str, **changes: object) -> bytes:
    return encode_line({**record(run_id).to_dict(), **changes})


def test_missing_store_yields_nothing(tmp_path: Path) -> None:
    sink = JsonlRecordStore(tmp_path / "none.jsonl")
    assert list(sink.iter_records()) == []
    assert list(sink.iter_records(newest_first=True)) == []


def test_bad_lines_anywhere_are_skipped_and_reported_with_numbers(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    flipped = bytearray(_line("r-flip"))
    flipped[flipped.index(b'"seed":1234') + 8] = ord("9")
    _write(
        path,
        b"not json\n",
        _line("r1"),
        b"[1, 2]\n",
        b"\n",
        bytes(flipped),
        _line("r2"),
        encode_line({"hello": "world"}),
        b'{"legacy": "x", "schema_version": 1}\n',
        _line("r3"),
        b'{"torn": ',
    )
    forward: list[BadLine] = []
    assert ids(JsonlRecordStore(path).iter_records(on_bad_line=forward.append)) == ["r1", "r2", "r3"]
    assert [bad.line_number for bad in forward] == [1, 3, 4, 5, 7, 8, 10]
    reasons = [bad.reason for bad in forward]
    assert reasons[0].startswith("not JSON")
    assert reasons[1].startswith("not a JSON object")
    assert reasons[2] == "empty line"
    assert "checksum mismatch" in reasons[3]
    assert reasons[4].startswith("not a learning record")
    assert "missing field" in reasons[5]
    assert reasons[6].startswith("incomplete last line")

    backward: list[BadLine] = []
    assert ids(JsonlRecordStore(path).iter_records(newest_first=True, on_bad_line=backward.append)) == [
        "r3",
        "r2",
        "r1",
    ]
    assert [bad.line_number for bad in backward] == [-1, -3, -4, -6, -7, -8, -10]
    # Both directions name the same lines by byte offset.
    assert sorted(b.byte_offset for b in backward) == sorted(b.byte_offset for b in forward)
    data = path.read_bytes()
    for bad in forward:
        assert bad.byte_offset is not None
        assert bad.byte_offset == 0 or data[bad.byte_offset - 1 : bad.byte_offset] == b"\n"


def test_known_schema_versions_are_read_newer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path, _line("r1", schema_version=1), _line("r2", schema_version=2))
    sink = JsonlRecordStore(path)
    with pytest.raises(UnsupportedSchemaVersion, match="schema_version 2 is newer"):
        list(sink.iter_records())
    newest = sink.iter_records(newest_first=True)
    with pytest.raises(UnsupportedSchemaVersion):
        next(newest)


@pytest.mark.parametrize("block", [7, 64, 4096, 1 << 20])
def test_both_directions_agree_across_block_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(scan, "READ_BLOCK", block)
    monkeypatch.setattr(scan, "TAIL_BLOCK", block)
    path = tmp_path / "r.jsonl"
    sink = JsonlRecordStore(path, durability="none")
    sink.append_records([record(f"r{i}", size=300 * (i % 7)) for i in range(40)])
    with path.open("ab") as handle:
        handle.write(b"garbage\n" + _line("last") + b'{"cut')
    forward: list[BadLine] = []
    backward: list[BadLine] = []
    oldest_first = ids(sink.iter_records(on_bad_line=forward.append))
    newest_first = ids(sink.iter_records(newest_first=True, on_bad_line=backward.append))
    assert oldest_first == [f"r{i}" for i in range(40)] + ["last"]
    assert newest_first == list(reversed(oldest_first))
    assert [b.line_number for b in forward] == [41, 43]
    assert [b.line_number for b in backward] == [-1, -3]
    assert [b.byte_offset for b in forward] == [b.byte_offset for b in reversed(backward)]


def test_newest_first_reads_only_the_end_of_a_large_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.jsonl"
    line = _line("r")
    _write(path, line * 20_000)  # about 32 MB
    read = 0
    real_pread = os.pread

    def counting_pread(fd: int, length: int, offset: int) -> bytes:
        nonlocal read
        read += length
        return real_pread(fd, length, offset)

    monkeypatch.setattr(os, "pread", counting_pread)
    records = JsonlRecordStore(path).iter_records(newest_first=True)
    last_twenty = [next(records) for _ in range(20)]
    assert len(last_twenty) == 20
    assert read <= 2 * (1 << 20) + 2 * (1 << 16)
    assert path.stat().st_size > 15 * read


def test_reader_sees_the_file_as_it_was_when_iteration_started(tmp_path: Path) -> None:
    sink = JsonlRecordStore(tmp_path / "r.jsonl", durability="none")
    sink.append_records([record("r1"), record("r2")])
    stream = sink.iter_records()
    first = next(stream)
    sink.append_record(record("r3"))
    assert [first.run_id, *ids(stream)] == ["r1", "r2"]


def test_iter_lines_keeps_its_numbers_and_newlines(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path, b'{"a":1}\n', b"x\n", b"tail")
    assert list(JsonlLog(path).iter_lines()) == [(1, b'{"a":1}\n'), (2, b"x\n"), (3, b"tail")]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    metadata=st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    prompt=st.text(),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_record_round_trips(tmp_path: Path, metadata: dict[str, object], prompt: str, seed: int) -> None:
    original = record("r")
    values = {name: getattr(original, name) for name in original.__dataclass_fields__}
    values.update(metadata=metadata, config={**original.config, "prompt": prompt, "seed": seed})
    rec = LearningRecord(**values)
    path = tmp_path / f"rt-{os.getpid()}-{abs(hash((prompt, seed)))}.jsonl"
    sink = JsonlRecordStore(path, durability="none")
    sink.append_record(rec)
    bad: list[BadLine] = []
    back = list(sink.iter_records(on_bad_line=bad.append))
    path.unlink()
    assert bad == []
    assert back == [rec]
    assert back[0].to_dict() == orjson.loads(orjson.dumps(rec.to_dict()))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(garbage=st.binary(max_size=400), newest_first=st.booleans())
def test_random_bytes_never_raise_they_are_reported(
    tmp_path: Path, garbage: bytes, newest_first: bool
) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(_line("good") + garbage + b"\n" + _line("also-good"))
    bad: list[BadLine] = []
    found = ids(JsonlRecordStore(path).iter_records(newest_first=newest_first, on_bad_line=bad.append))
    assert found == (["good", "also-good"] if not newest_first else ["also-good", "good"])
    assert len(bad) == garbage.count(b"\n") + 1  # every garbage line is reported, none is lost
    assert all(isinstance(b.reason, str) and b.reason for b in bad)
