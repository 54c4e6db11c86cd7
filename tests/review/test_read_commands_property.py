"""Every read command over a history holding one mutated record: an answer or one line, never a traceback.

A line whose checksum is right may still have been written by another program. Records that are
not learning records this version can read (a wrong type anywhere) are bad lines, reported with
their line number by every command and counted by ``records verify``.
"""

from __future__ import annotations

import copy
import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.jsonl_log import encode_line
from domain.errors import RecordSerializationError, UnsupportedSchemaVersion
from domain.feedback import FeedbackAuthor, FeedbackEvent
from domain.record import NOT_A_RECORD, LearningRecord
from tests.factories import make_record
from tests.index.test_columns import damaged

Invoke = Callable[..., subprocess.CompletedProcess[str]]

READ_COMMANDS: list[tuple[str, ...]] = [
    ("records", "list"),
    ("records", "list", "--json"),
    ("records", "list", "--search", "lighthouse"),
    ("records", "list", "--steps", "20..40", "--since", "2026-01-01", "--model", "*"),
    ("records", "show", "{run}"),
    ("records", "show", "{run}", "--json"),
    ("records", "stats"),
    ("records", "stats", "--json"),
    ("records", "export", "--format", "csv"),
    ("records", "export", "--format", "jsonl"),
    ("records", "query", "SELECT * FROM runs"),
    ("records", "query", "SELECT * FROM stages", "--json"),
    ("records", "verify"),
]


def kind_of(payload: dict[str, Any]) -> str:
    """``record``, ``newer`` (a newer schema_version) or ``bad``, as LearningRecord.from_dict judges it."""
    try:
        LearningRecord.from_dict(copy.deepcopy(payload))
    except UnsupportedSchemaVersion:
        return "newer"
    except NOT_A_RECORD:
        return "bad"
    return "record"


def write_home(home: Path, payload: dict[str, Any]) -> bytes:
    (home / "settings.toml").write_text(
        '[learning]\nrecords_path = "records.jsonl"\n[feedback]\nuser = "tester"\n', encoding="utf-8"
    )
    line = encode_line(payload)
    good = make_record("good0001")
    (home / "records.jsonl").write_bytes(encode_line(good.to_dict()) + line)
    os.chmod(home / "records.jsonl", 0o600)
    store = JsonlFeedbackStore(home / "feedback.jsonl")
    run_id = payload.get("run_id")
    by = FeedbackAuthor.person("tester")
    store.append([FeedbackEvent("e1", "good0001", "2026-11-24T10:00:00Z", by, "rating", rating=4)])
    if isinstance(run_id, str) and run_id.strip():
        store.append([FeedbackEvent("e2", run_id, "2026-11-24T10:01:00Z", by, "tags", tags_added=("keep",))])
    store.close()
    return line


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_no_read_command_fails_with_a_traceback_on_a_mutated_record(
    invoke: Invoke, data: st.DataObject
) -> None:
    payload = damaged(data)
    try:
        encode_line(payload)
    except RecordSerializationError:
        assume(False)
    kind = kind_of(payload)
    readable, newer = kind == "record", kind == "newer"
    run = payload.get("run_id") if readable else "good0001"
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        write_home(home, payload)
        for command in READ_COMMANDS:
            args = [part.replace("{run}", str(run)) for part in command]
            done = invoke(home, *args)  # an exception other than SystemExit fails the test here
            assert done.returncode in (0, 1, 2), (args, done.stderr)
            assert "Traceback" not in done.stderr
            if done.returncode and command[1] != "verify":  # verify reports on stdout
                assert done.stderr.count("\n") == 1, (args, done.stderr)
            if newer:
                assert done.returncode == 1, (args, done.stdout, done.stderr)
                assert "newer" in done.stderr
            elif command[1] == "verify":
                assert done.returncode == (0 if readable else 1), (args, done.stdout)
                assert readable or "line 2 (byte" in done.stdout
            elif not readable and command[1] in ("list", "stats", "export"):
                assert "line 2: not a learning record" in done.stderr, (args, done.stderr)


@pytest.mark.parametrize(
    ("where", "value", "reason"),
    [
        (("prompt_pack_id",), 1, "prompt_pack_id must be text or null, got 1"),
        (
            ("stage_events", 0, "duration_ms"),
            "slow",
            "stage_events[0].duration_ms must be a 64-bit integer or null",
        ),
        (("stages_executed",), [None], "stages_executed must be a list of non-empty texts, got [None]"),
        (("outputs", 1, "seed"), "7", "outputs[1].seed must be a 64-bit integer or null, got '7'"),
    ],
)
def test_the_records_the_audit_found_are_bad_lines_named_by_their_field(
    invoke: Invoke, tmp_path: Path, where: tuple[Any, ...], value: Any, reason: str
) -> None:
    payload = make_record("odd00001").to_dict()
    parent = payload
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    write_home(tmp_path, payload)
    for command in READ_COMMANDS:
        done = invoke(tmp_path, *[part.replace("{run}", "good0001") for part in command])
        if command[1] == "verify":
            assert done.returncode == 1
            assert "line 2 (byte" in done.stdout
            assert reason in done.stdout
        else:
            assert done.returncode == 0, (command, done.stderr)
            assert "odd00001" not in done.stdout
            if command[1] in ("list", "stats", "export"):
                assert f"line 2: not a learning record: {reason}" in done.stderr
