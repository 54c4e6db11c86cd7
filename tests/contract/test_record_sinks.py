"""Every RecordSink implementation, real or fake, runs the same contract suite."""

from __future__ import annotations

from pathlib import Path

from adapters.record_store.jsonl import JsonlRecordStore
from adapters.record_store.null import NullRecordSink
from domain import LearningRecord, RecordSink
from tests.contract.record_sink_contract import RecordSinkContract, contract_record
from tests.fakes import InMemoryRecordSink


class TestJsonlRecordStore(RecordSinkContract):
    rejects_non_json = True

    def make_sink(self, tmp_path: Path) -> RecordSink:
        return JsonlRecordStore(tmp_path / "records" / "learning_records.jsonl")

    def stored_records(self, sink: RecordSink) -> list[LearningRecord]:
        assert isinstance(sink, JsonlRecordStore)
        bad: list[object] = []
        records = list(sink.iter_records(on_bad_line=bad.append))
        assert bad == []
        return records


class TestJsonlRecordStoreWithoutFsync(TestJsonlRecordStore):
    def make_sink(self, tmp_path: Path) -> RecordSink:
        return JsonlRecordStore(tmp_path / "learning_records.jsonl", durability="none")


class TestNullRecordSink(RecordSinkContract):
    keeps_records = False

    def make_sink(self, tmp_path: Path) -> RecordSink:
        return NullRecordSink()

    def test_touches_no_file(self, tmp_path: Path) -> None:
        sink = NullRecordSink()
        for i in range(3):
            sink.append_record(contract_record(f"r{i}"))
        assert list(tmp_path.iterdir()) == []


class TestInMemoryRecordSink(RecordSinkContract):
    def make_sink(self, tmp_path: Path) -> RecordSink:
        return InMemoryRecordSink()

    def stored_records(self, sink: RecordSink) -> list[LearningRecord]:
        assert isinstance(sink, InMemoryRecordSink)
        return list(sink.records)
