"""Comparing an index with a full scan of the files, read by the JSONL log reader itself.

The scan shares no code with the index's own reading: it parses every line with
``JsonlLog.iter_entries``, builds each record with ``LearningRecord.from_dict`` and each row
with ``RunRow.of``, and folds the events with ``fold_feedback``.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import zip_longest
from pathlib import Path

from adapters.jsonl_log import JsonlLog
from domain.errors import UnsupportedSchemaVersion
from domain.feedback import FeedbackError, FeedbackEvent, RunFeedback, fold_feedback
from domain.history_stats import StatsTally
from domain.index_state import IndexCheck
from domain.ports import RunIndex
from domain.record import NOT_A_RECORD, LearningRecord, not_a_record
from domain.run_row import RunRow
from domain.store_health import BadLine

SHOWN = 20


def compare(
    index: RunIndex, records_path: Path, feedback_path: Path, index_bad: set[tuple[str, BadLine]]
) -> IndexCheck:
    """Every run (in order), every run's feedback, the stats and every bad line: index vs files."""
    bad: set[tuple[str, BadLine]] = set()
    events = list(_events(feedback_path, bad))
    state = fold_feedback(events)
    newest = _newest_lines(records_path, bad)
    differences: list[str] = []
    indexed = 0
    expected = _rows(records_path, newest, state)
    tally = StatsTally()
    for want, have in zip_longest(expected, index.rows(newest_first=False)):
        indexed += have is not None
        if want is not None:
            tally.add(want)
        if want != have:
            differences.append(_describe(want, have))
    if index.stats() != tally.stats():
        differences.append("the index's stats of the whole history differ from those of the files")
    for run_id, feedback in state.items():
        if index.feedback(run_id) != feedback:
            differences.append(f"run {run_id}: the index's feedback differs from the feedback file")
    for source, line in sorted(bad - index_bad, key=_order):
        differences.append(
            f"{source} line {line.line_number}: skipped by the files' reader, not by the index"
        )
    for source, line in sorted(index_bad - bad, key=_order):
        differences.append(
            f"{source} line {line.line_number}: skipped by the index, not by the files' reader"
        )
    shown = differences[:SHOWN]
    if len(differences) > SHOWN:
        shown.append(f"and {len(differences) - SHOWN} more")
    return IndexCheck(runs=indexed, scanned_runs=len(newest), differences=tuple(shown))


def _order(item: tuple[str, BadLine]) -> tuple[str, int]:
    return item[0], item[1].line_number


def _describe(want: RunRow | None, have: RunRow | None) -> str:
    if have is None:
        return f"run {want.run_id if want else '?'}: in the files, missing from the index"
    if want is None:
        return f"run {have.run_id}: in the index, not in the files"
    if want.run_id != have.run_id:
        return f"run {want.run_id}: the index has {have.run_id} in its place"
    fields = [name for name in RunRow.__dataclass_fields__ if getattr(want, name) != getattr(have, name)]
    return f"run {want.run_id}: the index differs in {', '.join(fields)}"


def _records(path: Path, bad: set[tuple[str, BadLine]]) -> Iterator[tuple[int, LearningRecord]]:
    log = JsonlLog(path)
    for number, offset, payload in log.iter_entries(on_bad_line=lambda line: bad.add(("records", line))):
        try:
            yield number, LearningRecord.from_dict(payload)
        except UnsupportedSchemaVersion:
            raise
        except (*NOT_A_RECORD, OverflowError) as exc:
            bad.add(("records", BadLine(number, not_a_record(exc), offset)))


def _newest_lines(path: Path, bad: set[tuple[str, BadLine]]) -> dict[str, int]:
    newest: dict[str, int] = {}
    for number, record in _records(path, bad):
        newest[record.run_id] = number
    return newest


def _rows(path: Path, newest: dict[str, int], state: dict[str, RunFeedback]) -> Iterator[RunRow]:
    for number, record in _records(path, set()):
        if newest.get(record.run_id) == number:
            yield RunRow.of(record, state.get(record.run_id))


def _events(path: Path, bad: set[tuple[str, BadLine]]) -> Iterator[FeedbackEvent]:
    log = JsonlLog(path)
    for number, offset, payload in log.iter_entries(on_bad_line=lambda line: bad.add(("feedback", line))):
        try:
            yield FeedbackEvent.from_dict(payload)
        except FeedbackError as exc:
            bad.add(("feedback", BadLine(number, f"not a feedback event: {exc}", offset)))
