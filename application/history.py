"""The read side of the learning history: recent runs, one run with its feedback, run-id prefixes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from application.history_filter import RunFilter
from application.history_rows import RunRow
from domain.errors import StableNewError
from domain.feedback import FeedbackStore, RunFeedback, fold_feedback
from domain.ports import BadLine, RecordReader
from domain.record import LearningRecord

BadLineReport = Callable[[str, BadLine], None]
"""Told ``("records" | "feedback", bad line)`` for every stored line that was skipped."""

MIN_PREFIX = 4


class RunNotFound(StableNewError, LookupError):
    """No run of the history has this id (or id prefix)."""


class AmbiguousRunId(StableNewError, LookupError):
    """Several runs start with this prefix; ``candidates`` holds some of them."""

    def __init__(self, prefix: str, candidates: tuple[str, ...]) -> None:
        shown = ", ".join(candidates[:5])
        super().__init__(f"run id prefix {prefix!r} matches several runs ({shown}); give more characters")
        self.candidates = candidates


@dataclass(frozen=True, slots=True)
class RunDetail:
    """One run: its whole record, its flat row and its feedback with the full event history."""

    record: LearningRecord
    row: RunRow
    feedback: RunFeedback


class History:
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
        wanted = text.strip()
        if not wanted:
            raise RunNotFound("a run id must not be empty")
        run_id = self._full_run_id(wanted)
        for record in self.iter_records():
            if record.run_id == run_id:
                return record
        raise RunNotFound(f"no run with id {wanted!r} in the history")  # a line vanished meanwhile

    def _full_run_id(self, wanted: str) -> str:
        """Scan run ids only (no records built): an exact id ends the scan, a prefix must be unique."""
        matches: list[str] = []
        for run_id in self._records.iter_run_ids(newest_first=True):
            if run_id == wanted:
                return run_id
            if len(wanted) >= MIN_PREFIX and run_id.startswith(wanted) and run_id not in matches:
                matches.append(run_id)
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousRunId(wanted, tuple(matches))
        hint = "" if len(wanted) >= MIN_PREFIX else f" (prefixes need at least {MIN_PREFIX} characters)"
        raise RunNotFound(f"no run with id {wanted!r} in the history{hint}")

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
