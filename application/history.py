"""The read side of the learning history: recent runs, searches, one run with its feedback."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

from domain.feedback import FeedbackEvent, RunFeedback
from domain.history_stats import HistoryStats
from domain.index_state import IndexCheck, IndexStatus
from domain.ports import RunIndex
from domain.recall import RecalledRun, recall
from domain.record import LearningRecord
from domain.run_filter import RunFilter
from domain.run_row import RunRow
from domain.setting_counts import SettingCount


@dataclass(frozen=True, slots=True)
class RunDetail:
    """One run: its whole record, its flat row and its feedback with the full event history."""

    record: LearningRecord
    row: RunRow
    feedback: RunFeedback


class History:
    """What the read commands and the review page ask of the history, answered by a RunIndex.

    A run id stored more than once is one run (its newest copy); bad lines never raise: the
    index reports them to the callback it was built with.
    """

    def __init__(self, index: RunIndex) -> None:
        self._index = index

    def iter_rows(self, run_filter: RunFilter | None = None, search: str | None = None) -> Iterator[RunRow]:
        """Rows of the runs ``run_filter`` keeps whose prompts match ``search``, newest first."""
        return self._index.rows(run_filter, search=search)

    def recent(
        self, limit: int = 20, run_filter: RunFilter | None = None, search: str | None = None
    ) -> list[RunRow]:
        """The newest ``limit`` runs ``run_filter`` and ``search`` keep."""
        if limit <= 0:
            return []
        return list(self._index.rows(run_filter, search=search, limit=limit))

    def stats(self, run_filter: RunFilter | None = None) -> HistoryStats:
        """Counts, stage durations and ratings of the runs ``run_filter`` keeps."""
        return self._index.stats(run_filter)

    def run_id(self, text: str) -> str:
        """The run whose id is ``text``, else the only run whose id starts with it.

        Raises RunNotFound, or AmbiguousRunId when several runs start with ``text``.
        """
        return self._index.resolve(text)

    def resolve(self, text: str) -> LearningRecord:
        """The stored record of the run ``text`` names (see ``run_id``)."""
        return self._index.record(self._index.resolve(text))

    def recall(self, text: str) -> RecalledRun:
        """What the run ``text`` names was made with, to run it again (see domain.recall)."""
        return recall(self.resolve(text))

    def feedback(self, run_id: str) -> RunFeedback:
        """The current feedback of ``run_id`` with its full event history."""
        return self._index.feedback(run_id)

    def detail(self, text: str) -> RunDetail:
        record = self.resolve(text)
        feedback = self._index.feedback(record.run_id)
        return RunDetail(record, RunRow.of(record, feedback), feedback)

    def setting_counts(self, run_filter: RunFilter | None = None) -> list[SettingCount]:
        """Per group and compared setting, each value's runs and failures (``RunIndex.setting_counts``)."""
        return self._index.setting_counts(run_filter)

    def runs(self, run_ids: Collection[str]) -> Iterator[RunRow]:
        """The rows of those of ``run_ids`` the history holds, in no particular order."""
        return self._index.runs(run_ids)

    def judgements(self) -> Iterator[FeedbackEvent]:
        """Every counted rating and choice event, oldest first."""
        return self._index.judgements()

    def index_status(self) -> IndexStatus:
        """How far the index has read each file, without bringing it up to date."""
        return self._index.status()

    def rebuild_index(self) -> IndexStatus:
        """Start the index over from the files; its new state."""
        return self._index.rebuild()

    def check_index(self) -> IndexCheck:
        """Every answer of the index compared with a full scan of the files."""
        return self._index.check()
