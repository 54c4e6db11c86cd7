"""ScanRunIndex: a RunIndex without storage of its own; every call reads both files whole.

It is the reference the stored indexes are checked against, and what an application without
SQLite can use. Each call costs a full parse of the records and the feedback files.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from domain.feedback import FeedbackEvent, RunFeedback, fold_feedback
from domain.history_stats import HistoryStats, compute_stats
from domain.index_state import IndexCheck, IndexedFile, IndexStatus
from domain.ports import BadLineReport, FeedbackStore, RecordReader, RunIndex
from domain.record import LearningRecord
from domain.run_filter import RunFilter
from domain.run_lookup import RunNotFound, pick_run_id, wanted_run_id
from domain.run_row import RunRow
from domain.run_search import Search
from domain.setting_counts import SettingCount, count_settings
from domain.store_health import BadLine

JUDGEMENTS = ("rating", "choice")
SCAN_LOCATION = "no index: a full scan of the files on every call"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Both files read whole: the newest copy of every run (oldest first), folded feedback."""

    records: tuple[LearningRecord, ...]
    feedback: dict[str, RunFeedback]
    events: int
    bad: dict[str, int]


class ScanRunIndex(RunIndex):
    """Answers every RunIndex question from a fresh full scan of ``records`` and ``feedback``."""

    def __init__(
        self, records: RecordReader, feedback: FeedbackStore, on_bad_line: BadLineReport | None = None
    ) -> None:
        self._records = records
        self._feedback = feedback
        self._on_bad_line = on_bad_line
        self._reported: set[tuple[str, BadLine]] = set()

    def scan(self) -> Snapshot:
        bad = {"records": 0, "feedback": 0}
        stored = list(self._records.iter_records(on_bad_line=self._report("records", bad)))
        seen: set[str] = set()
        newest: list[LearningRecord] = []
        for record in reversed(stored):
            if record.run_id not in seen:
                seen.add(record.run_id)
                newest.append(record)
        newest.reverse()
        events = list(self._feedback.iter_events(on_bad_line=self._report("feedback", bad)))
        return Snapshot(tuple(newest), fold_feedback(events), len({e.event_id for e in events}), bad)

    def rows(
        self,
        run_filter: RunFilter | None = None,
        *,
        search: str | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> Iterator[RunRow]:
        if limit is not None and limit <= 0:
            return
        snapshot = self.scan()
        wanted = Search.parse(search)
        ordered = reversed(snapshot.records) if newest_first else iter(snapshot.records)
        count = 0
        for record in ordered:
            row = RunRow.of(record, snapshot.feedback.get(record.run_id))
            if (run_filter is None or run_filter.matches(row)) and wanted.matches(
                row.prompt, row.negative_prompt
            ):
                yield row
                count += 1
                if limit is not None and count >= limit:
                    return

    def stats(self, run_filter: RunFilter | None = None, *, search: str | None = None) -> HistoryStats:
        return compute_stats(self.rows(run_filter, search=search))

    def resolve(self, text: str) -> str:
        wanted = wanted_run_id(text)
        return pick_run_id(wanted, (record.run_id for record in reversed(self.scan().records)))

    def record(self, run_id: str) -> LearningRecord:
        for record in self.scan().records:
            if record.run_id == run_id:
                return record
        raise RunNotFound(f"no run with id {run_id!r} in the history")

    def feedback(self, run_id: str) -> RunFeedback:
        bad = {"records": 0, "feedback": 0}
        events = self._feedback.iter_events(on_bad_line=self._report("feedback", bad))
        return fold_feedback(events).get(run_id) or RunFeedback(run_id=run_id)

    def status(self) -> IndexStatus:
        snapshot = self.scan()
        return IndexStatus(
            location=SCAN_LOCATION,
            version=0,
            runs=len(snapshot.records),
            events=snapshot.events,
            records=IndexedFile("", 0, 0, snapshot.bad["records"]),
            feedback=IndexedFile("", 0, 0, snapshot.bad["feedback"]),
            fresh=True,
        )

    def rebuild(self) -> IndexStatus:
        return self.status()

    def check(self) -> IndexCheck:
        runs = len(self.scan().records)
        return IndexCheck(runs=runs, scanned_runs=runs, differences=())

    def setting_counts(self, run_filter: RunFilter | None = None) -> list[SettingCount]:
        return count_settings(self.rows(run_filter))

    def runs(self, run_ids: Collection[str]) -> Iterator[RunRow]:
        wanted = set(run_ids)
        return (row for row in self.rows() if row.run_id in wanted)

    def judgements(self) -> Iterator[FeedbackEvent]:
        bad = {"records": 0, "feedback": 0}
        seen: set[str] = set()
        for event in self._feedback.iter_events(on_bad_line=self._report("feedback", bad)):
            if event.event_id not in seen:
                seen.add(event.event_id)
                if event.kind in JUDGEMENTS:
                    yield event

    def plan_records(self, *, newest_first: bool = False) -> Iterator[LearningRecord]:
        records = [record for record in self.scan().records if record.plan_id]
        return reversed(records) if newest_first else iter(records)

    def _report(self, source: str, counts: dict[str, int]) -> Callable[[BadLine], None]:
        def report(bad: BadLine) -> None:
            counts[source] += 1
            key = (source, bad)
            if self._on_bad_line is not None and key not in self._reported:
                self._reported.add(key)
                self._on_bad_line(source, bad)

        return report
