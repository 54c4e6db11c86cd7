"""The FeedbackStore contract run against the JSONL store and the in-memory test fake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.jsonl_log import encode_line
from domain.ports import FeedbackStore
from tests.contract.feedback_store_contract import FeedbackStoreContract
from tests.review.fakes import InMemoryFeedbackStore


class TestJsonlFeedbackStore(FeedbackStoreContract):
    def make_store(self, tmp_path: Path) -> FeedbackStore:
        return JsonlFeedbackStore(tmp_path / "records" / "feedback.jsonl")

    def store_raw(self, store: FeedbackStore, payload: Any) -> None:
        assert isinstance(store, JsonlFeedbackStore)
        store.path.parent.mkdir(parents=True, exist_ok=True)
        with store.path.open("ab") as handle:
            handle.write(encode_line(payload))


class TestInMemoryFeedbackStore(FeedbackStoreContract):
    def make_store(self, tmp_path: Path) -> FeedbackStore:
        return InMemoryFeedbackStore()

    def store_raw(self, store: FeedbackStore, payload: Any) -> None:
        assert isinstance(store, InMemoryFeedbackStore)
        store.add_raw(payload)
