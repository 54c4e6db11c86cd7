"""MirroredRunIndex: the shared history read through a local copy and the index kept over it.

Every call brings the copy up to date (reading only what the shared history gained since the
last call) and then asks the index over the copy's files, which in turn reads only the lines the
copy gained. A listing of a shared history of any size thus costs one round trip to the database
plus what a local listing costs, instead of reading the whole shared history.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from domain.feedback import FeedbackEvent, RunFeedback
from domain.history_stats import HistoryStats
from domain.index_state import IndexCheck, IndexStatus
from domain.ports import HistoryMirror, RunIndex
from domain.record import LearningRecord
from domain.run_filter import RunFilter
from domain.run_row import RunRow
from domain.setting_counts import SettingCount


class MirroredRunIndex(RunIndex):
    """``index`` reads ``mirror``'s files; each call refreshes the mirror first."""

    def __init__(self, mirror: HistoryMirror, index: RunIndex) -> None:
        self._mirror = mirror
        self._index = index

    def rows(
        self,
        run_filter: RunFilter | None = None,
        *,
        search: str | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> Iterator[RunRow]:
        self._mirror.refresh()
        return self._index.rows(run_filter, search=search, limit=limit, newest_first=newest_first)

    def stats(self, run_filter: RunFilter | None = None, *, search: str | None = None) -> HistoryStats:
        self._mirror.refresh()
        return self._index.stats(run_filter, search=search)

    def resolve(self, text: str) -> str:
        self._mirror.refresh()
        return self._index.resolve(text)

    def record(self, run_id: str) -> LearningRecord:
        self._mirror.refresh()
        return self._index.record(run_id)

    def feedback(self, run_id: str) -> RunFeedback:
        self._mirror.refresh()
        return self._index.feedback(run_id)

    def status(self) -> IndexStatus:
        return self._index.status()

    def rebuild(self) -> IndexStatus:
        self._mirror.refresh(start_over=True)
        return self._index.rebuild()

    def check(self) -> IndexCheck:
        self._mirror.refresh()
        return self._index.check()

    def setting_counts(self, run_filter: RunFilter | None = None) -> list[SettingCount]:
        self._mirror.refresh()
        return self._index.setting_counts(run_filter)

    def runs(self, run_ids: Collection[str]) -> Iterator[RunRow]:
        self._mirror.refresh()
        return self._index.runs(run_ids)

    def judgements(self) -> Iterator[FeedbackEvent]:
        self._mirror.refresh()
        return self._index.judgements()

    def plan_records(self, *, newest_first: bool = False) -> Iterator[LearningRecord]:
        self._mirror.refresh()
        return self._index.plan_records(newest_first=newest_first)

    def close(self) -> None:
        close = getattr(self._index, "close", None)
        if close is not None:
            close()
