"""The RecordSink contract, as tests any implementation can run.

Subclass :class:`RecordSinkContract` in a module named ``test_*.py``, name the subclass
``Test...`` and implement :meth:`make_sink` and :meth:`stored_records`. The base class is not
collected by pytest on its own (its name does not start with ``Test``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain import (
    BackendInfo,
    ImageArtifact,
    LearningRecord,
    RecordSerializationError,
    RecordSink,
    RunMetrics,
    StageEvent,
    StageStatus,
)


def contract_record(run_id: str, **overrides: Any) -> LearningRecord:
    """A small valid record built from the domain alone, so third parties need no project helpers."""
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    values: dict[str, Any] = {
        "run_id": run_id,
        "timestamp": "2026-11-24T09:00:01.000Z",
        "status": "succeeded",
        "stage_plan": ("txt2img",),
        "stages_executed": ("txt2img",),
        "config": {"prompt": "a red kite", "seed": 7, "steps": 20},
        "stage_events": (
            StageEvent("txt2img", StageStatus.SUCCEEDED, start, start + timedelta(seconds=1), 1000, 1),
        ),
        "outputs": (ImageArtifact("txt2img", 0, f"out/{run_id}.png", 512, 512, 7, "c" * 64),),
        "metrics": RunMetrics(total_duration_ms=1000, image_count=1),
        "backend": BackendInfo(kind="fake", version="1"),
        "metadata": {"note": "ünïcode ✓", "nested": {"list": [1, 2.5, None, True]}},
    }
    values.update(overrides)
    return LearningRecord(**values)


class RecordSinkContract:
    """Shared tests of the RecordSink port (see domain/ports.py for the contract text)."""

    #: False for sinks that accept records and deliberately keep nothing (learning off).
    keeps_records: bool = True
    #: True for sinks that must turn non-JSON values into RecordSerializationError.
    rejects_non_json: bool = False
    #: True for a KeyedRecordStore (one copy per run id): a repeat is stored once.
    keyed_by_run_id: bool = False

    def make_sink(self, tmp_path: Path) -> RecordSink:
        raise NotImplementedError

    def stored_records(self, sink: RecordSink) -> list[LearningRecord]:
        """Everything the sink holds, oldest first (never called when ``keeps_records`` is False)."""
        raise NotImplementedError

    @pytest.fixture
    def sink(self, tmp_path: Path) -> RecordSink:
        return self.make_sink(tmp_path)

    def test_is_a_record_sink(self, sink: RecordSink) -> None:
        assert isinstance(sink, RecordSink)

    def test_append_returns_none(self, sink: RecordSink) -> None:
        assert sink.append_record(contract_record("run-1")) is None  # type: ignore[func-returns-value]

    def test_appended_record_is_stored_whole(self, sink: RecordSink) -> None:
        record = contract_record("run-1")
        sink.append_record(record)
        if self.keeps_records:
            assert self.stored_records(sink) == [record]

    def test_each_call_stores_exactly_one_record_in_order(self, sink: RecordSink) -> None:
        records = [contract_record(f"run-{i}") for i in range(25)]
        for record in records:
            sink.append_record(record)
        if self.keeps_records:
            assert self.stored_records(sink) == records

    def test_same_record_twice_is_stored_twice(self, sink: RecordSink) -> None:
        record = contract_record("run-1")
        sink.append_record(record)
        sink.append_record(record)
        if self.keeps_records:
            expected = [record] if self.keyed_by_run_id else [record, record]
            assert self.stored_records(sink) == expected

    @pytest.mark.parametrize(
        "bad_metadata",
        [{"path": Path("/tmp/x.png")}, {"tags": {"a", "b"}}, {"score": float("nan")}],
        ids=["path", "set", "nan"],
    )
    def test_unrepresentable_value_is_all_or_nothing(
        self, sink: RecordSink, bad_metadata: dict[str, object]
    ) -> None:
        before = contract_record("run-0")
        sink.append_record(before)
        odd = contract_record("run-odd", metadata=bad_metadata)
        refused: RecordSerializationError | None = None
        try:
            sink.append_record(odd)
        except RecordSerializationError as exc:
            refused = exc
        if refused is not None:
            assert "metadata" in str(refused), "the error must say where the bad value is"
            if self.keeps_records:
                assert self.stored_records(sink) == [before]
        else:
            assert not self.rejects_non_json, "expected RecordSerializationError"
            if self.keeps_records:
                assert self.stored_records(sink) == [before, odd]
        after = contract_record("run-2")
        sink.append_record(after)
        if self.keeps_records:
            assert self.stored_records(sink)[-1] == after
