"""The FeedbackStore contract (domain/ports.py), runnable against any implementation.

Subclass ``FeedbackStoreContract`` in a ``Test...`` class and provide ``make_store`` and
``store_raw`` (put a damaged or foreign entry into the store the way its medium would hold it).
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import RecordStoreError, UnsupportedSchemaVersion
from domain.feedback import FeedbackAuthor, FeedbackEvent
from domain.ports import FeedbackStore
from domain.store_health import BadLine

ALICE = FeedbackAuthor.person("alice")


def event(n: int, kind: str = "rating", run_id: str = "run-a", **fields: Any) -> FeedbackEvent:
    defaults: dict[str, Any] = {
        "rating": {"rating": 1 + n % 5},
        "tags": {"tags_added": (f"tag{n}",)},
        "note": {"note": f"note {n}"},
        "choice": {"worse_run_id": "run-b"},
    }[kind]
    values: dict[str, Any] = {
        "event_id": f"ev-{n:04d}",
        "run_id": run_id,
        "timestamp": f"2026-11-24T09:00:{n % 60:02d}.000Z",
        "by": ALICE,
        "kind": kind,
        **defaults,
        **fields,
    }
    return FeedbackEvent(**values)


class FeedbackStoreContract:
    """Shared tests; pytest collects them only through a subclass named ``Test...``."""

    def make_store(self, tmp_path: Any) -> FeedbackStore:
        raise NotImplementedError

    def store_raw(self, store: FeedbackStore, payload: Any) -> None:
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path: Any) -> FeedbackStore:
        return self.make_store(tmp_path)

    def test_a_new_store_yields_nothing(self, store: FeedbackStore) -> None:
        assert list(store.iter_events()) == []

    def test_events_come_back_equal_and_in_append_order(self, store: FeedbackStore) -> None:
        batch = [event(1), event(2, "tags"), event(3, "note"), event(4, "choice")]
        store.append(batch)
        store.append([event(5, run_id="run-c")])
        assert list(store.iter_events()) == [*batch, event(5, run_id="run-c")]

    def test_every_kind_and_author_round_trips(self, store: FeedbackStore) -> None:
        scorer = FeedbackAuthor.scorer("aesthetic", "2.1")
        batch = [
            event(1, by=scorer),
            event(2, "tags", tags_added=("sharp", "teal ✓"), tags_removed=("blurry",)),
            event(3, "note", note='two\nlines, "quoted" — ünïcode'),
            event(4, "choice", worse_run_id="run-z"),
        ]
        store.append(batch)
        assert list(store.iter_events()) == batch

    def test_an_empty_append_stores_nothing(self, store: FeedbackStore) -> None:
        store.append([])
        assert list(store.iter_events()) == []

    def test_a_batch_is_stored_whole_or_not_at_all(self, store: FeedbackStore) -> None:
        store.append([event(1)])
        unstorable = event(3, "note", note="lone surrogate \ud800")
        with pytest.raises(RecordStoreError):
            store.append([event(2), unstorable])
        assert list(store.iter_events()) == [event(1)]
        store.append([event(4)])
        assert list(store.iter_events()) == [event(1), event(4)]

    def test_iterating_again_sees_later_appends(self, store: FeedbackStore) -> None:
        store.append([event(1)])
        assert len(list(store.iter_events())) == 1
        store.append([event(2)])
        assert [e.event_id for e in store.iter_events()] == ["ev-0001", "ev-0002"]

    def test_a_bad_entry_is_skipped_and_reported_never_raised(self, store: FeedbackStore) -> None:
        store.append([event(1)])
        self.store_raw(store, {"schema_version": 1, "event_id": "x", "run_id": "r", "kind": "rating"})
        self.store_raw(store, {**event(9).to_dict(), "rating": 9})
        store.append([event(2)])
        bad: list[BadLine] = []
        assert [e.event_id for e in store.iter_events(on_bad_line=bad.append)] == ["ev-0001", "ev-0002"]
        assert len(bad) == 2
        assert "rating" in bad[1].reason
        assert [e.event_id for e in store.iter_events()] == ["ev-0001", "ev-0002"]

    def test_a_newer_schema_version_raises(self, store: FeedbackStore) -> None:
        self.store_raw(store, {**event(1).to_dict(), "schema_version": 99})
        with pytest.raises(UnsupportedSchemaVersion):
            list(store.iter_events())
