"""Former name of ``adapters.record_store.jsonl`` (``JsonlRecordSink`` is ``JsonlRecordStore``)."""

from adapters.record_store.jsonl import JsonlRecordStore, record_problem

JsonlRecordSink = JsonlRecordStore

__all__ = ["JsonlRecordSink", "JsonlRecordStore", "record_problem"]
