"""Property: after any interleaving of appends, feedback, bad and torn lines, repairs,
truncations and index deletions, every answer of the index equals a full scan of the files."""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.index.connection import remove
from adapters.index.sqlite_index import SqliteRunIndex
from adapters.jsonl_log import JsonlLog
from domain.feedback import FeedbackEvent
from domain.history_stats import compute_stats
from domain.run_filter import NumberRange, RunFilter
from domain.run_search import Search
from tests.contract.run_index_contract import ALICE, HistoryFiles
from tests.factories import make_config, make_record

SOURCES = st.sampled_from(["records", "feedback"])
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 3), st.booleans()),
        st.tuples(st.just("rate"), st.integers(0, 30), st.integers(1, 5)),
        st.tuples(st.just("tag"), st.integers(0, 30), st.sampled_from(["keeper", "sharp"])),
        st.tuples(st.just("choose"), st.integers(0, 30), st.integers(0, 30)),
        st.tuples(st.just("bad"), SOURCES),
        st.tuples(st.just("torn"), SOURCES),
        st.tuples(st.just("repair"), SOURCES),
        st.tuples(st.just("truncate"), SOURCES, st.floats(0, 1)),
        st.tuples(st.just("repeat event")),
        st.tuples(st.just("reverse"), SOURCES),
        st.tuples(st.just("delete index")),
    ).flatmap(lambda operation: st.tuples(st.just(operation), st.booleans())),
    max_size=14,
)
PROMPTS = ("a lighthouse at dusk", "a quiet forest", "Lighthouse keeper's cat")


class Story:
    """The files being changed, and what was added so far."""

    def __init__(self, folder: Path) -> None:
        self.files = HistoryFiles(folder)
        self.run_ids: list[str] = []
        self.events = 0
        self.last_event: FeedbackEvent | None = None

    def apply(self, operation: tuple[Any, ...]) -> None:
        kind = operation[0]
        if kind == "add":
            _kind, count, again = operation
            records = []
            for _ in range(count):
                if again and self.run_ids:
                    run_id = self.run_ids[len(self.run_ids) // 2]
                    records.append(replace(make_record(run_id), status="failed"))
                else:
                    run_id = f"r{len(self.run_ids):04d}"
                    self.run_ids.append(run_id)
                    prompt = PROMPTS[len(self.run_ids) % len(PROMPTS)]
                    config = make_config(prompt=prompt, steps=10 + len(self.run_ids) % 30)
                    records.append(make_record(run_id, config=config.to_dict()))
            self.files.add(*records)
        elif kind in ("rate", "tag", "choose"):
            self.last_event = self._event(operation)
            self.files.rate(self.last_event)
        elif kind == "repeat event":
            event = self.last_event  # the same event id again (about another run, if it can be)
            if event is not None:
                other = self._run(self.events + 1)
                self.files.rate(event if event.kind == "choice" else replace(event, run_id=other))
        elif kind == "bad":
            self.files.raw(operation[1], b"not a line of JSON\n")
        elif kind == "torn":
            self.files.raw(operation[1], b'{"run_id": "half-writ')
        elif kind == "repair":
            path = self._path(operation[1])
            if path.exists():
                JsonlLog(path).repair()
        elif kind == "reverse":
            path = self._path(operation[1])
            if path.exists():
                lines = path.read_bytes().splitlines(keepends=True)
                path.write_bytes(b"".join(reversed(lines)))
        elif kind == "truncate":
            path = self._path(operation[1])
            if path.exists():
                os.truncate(path, int(path.stat().st_size * operation[2]))
        else:
            remove(Path(f"{self.files.records_path}.index.sqlite"))

    def _event(self, operation: tuple[Any, ...]) -> FeedbackEvent:
        kind, which, detail = operation
        self.events += 1
        run_id = self._run(which)
        event_id, stamp = f"e{self.events}", "2026-11-24T10:00:00Z"
        if kind == "rate":
            return FeedbackEvent(event_id, run_id, stamp, ALICE, "rating", rating=detail)
        if kind == "tag":
            return FeedbackEvent(event_id, run_id, stamp, ALICE, "tags", tags_added=(detail,))
        other = self._run(detail)
        if other == run_id:
            other = f"{run_id}-other"
        return FeedbackEvent(event_id, run_id, stamp, ALICE, "choice", worse_run_id=other)

    def _run(self, which: int) -> str:
        return self.run_ids[which % len(self.run_ids)] if self.run_ids else f"r{which:04d}"

    def _path(self, source: str) -> Path:
        return self.files.records_path if source == "records" else self.files.feedback_path


def assert_same_as_full_scan(index: SqliteRunIndex, story: Story) -> None:
    history = story.files.history()
    expected = list(history.iter_rows())
    assert list(index.rows()) == expected
    rated = RunFilter(rating=NumberRange(3, None), steps=NumberRange(None, 30))
    assert list(index.rows(rated, limit=5)) == list(history.iter_rows(rated))[:5]
    search = Search.parse("lighthouse")
    assert list(index.rows(search="lighthouse")) == [
        row for row in expected if search.matches(row.prompt, row.negative_prompt)
    ]
    for run_id, feedback in history.feedback_state().items():
        assert index.feedback(run_id) == feedback
    assert index.stats() == compute_stats(expected)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations=OPERATIONS)
def test_every_answer_equals_a_full_scan_after_any_changes(
    operations: list[tuple[tuple[Any, ...], bool]],
) -> None:
    with tempfile.TemporaryDirectory(prefix="stablenew-index-property-") as folder:
        story = Story(Path(folder))
        notices: list[str] = []
        index = SqliteRunIndex(story.files.records_path, story.files.feedback_path, on_notice=notices.append)
        try:
            for operation, look in operations:
                story.apply(operation)
                if look:  # else the next change happens before the index looks again
                    assert_same_as_full_scan(index, story)
            assert_same_as_full_scan(index, story)
            fresh = SqliteRunIndex(
                story.files.records_path, story.files.feedback_path, on_notice=notices.append
            )
            assert_same_as_full_scan(fresh, story)
            assert fresh.check().ok
            fresh.close()
            assert notices == []
        finally:
            index.close()
            story.files.close()
