"""The reference the RunIndex contract checks against: the history read by a plain full scan of
both files on every call (what ``History`` did before the index), sharing no code with any index."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from application.history import RunDetail
from domain.feedback import RunFeedback, fold_feedback
from domain.ports import BadLineReport, FeedbackStore, RecordReader
from domain.record import LearningRecord
from domain.run_filter import RunFilter
from domain.run_lookup import RunNotFound, pick_run_id, wanted_run_id
from domain.run_row import RunRow
from domain.store_health import BadLine


class ScanHistory:
    """Reads records (newest first, stopping as soon as it can) and folds feedback events.

    A run id stored more than once (a retried append) is shown once: the newest copy wins.
    Bad lines never raise; they go to ``on_bad_line``.
    """

    def __init__(
        self, records: RecordReader, feedback: FeedbackStore, on_bad_line: BadLineReport | None = None
    ) -> None:
        self._records = records
        self._feedback = feedback
        self._on_bad_line = on_bad_line

    def feedback_state(self) -> dict[str, RunFeedback]:
        return fold_feedback(self._feedback.iter_events(on_bad_line=self._report("feedback")))

    def iter_records(self) -> Iterator[LearningRecord]:
        """Every distinct run, newest first."""
        seen: set[str] = set()
        for record in self._records.iter_records(newest_first=True, on_bad_line=self._report("records")):
            if record.run_id not in seen:
                seen.add(record.run_id)
                yield record

    def iter_rows(self, run_filter: RunFilter | None = None) -> Iterator[RunRow]:
        """Rows of the runs ``run_filter`` keeps, newest first."""
        state = self.feedback_state()
        for record in self.iter_records():
            row = RunRow.of(record, state.get(record.run_id))
            if run_filter is None or run_filter.matches(row):
                yield row

    def recent(self, limit: int = 20, run_filter: RunFilter | None = None) -> list[RunRow]:
        """The newest ``limit`` runs ``run_filter`` keeps; reads only as far back as it must."""
        rows: list[RunRow] = []
        if limit <= 0:
            return rows
        for row in self.iter_rows(run_filter):
            rows.append(row)
            if len(rows) >= limit:
                break
        return rows

    def resolve(self, text: str) -> LearningRecord:
        """The run whose id is ``text``, else the only run whose id starts with it.

        Raises RunNotFound, or AmbiguousRunId when several runs start with ``text``. Stops at
        the first exact match (recent runs are found without reading the whole history).
        """
        wanted = wanted_run_id(text)
        run_id = pick_run_id(wanted, (record.run_id for record in self.iter_records()))
        for record in self.iter_records():
            if record.run_id == run_id:
                return record
        raise RunNotFound(f"no run with id {wanted!r} in the history")  # a line vanished meanwhile

    def detail(self, text: str) -> RunDetail:
        record = self.resolve(text)
        feedback = self.feedback_state().get(record.run_id) or RunFeedback(run_id=record.run_id)
        return RunDetail(record, RunRow.of(record, feedback), feedback)

    def known_output_hashes(self) -> set[str]:
        return {output.sha256 for record in self.iter_records() for output in record.outputs}

    def _report(self, source: str) -> Callable[[BadLine], None] | None:
        report = self._on_bad_line
        if report is None:
            return None
        return lambda bad: report(source, bad)
