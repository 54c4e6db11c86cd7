"""Runs and ratings for the insights tests, built directly as rows (no files)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from domain.feedback import FeedbackAuthor, FeedbackEvent
from domain.ports import FeedbackStore
from domain.run_filter import RunFilter
from domain.run_row import RunRow
from domain.setting_counts import SettingCount, count_settings

ROW_DEFAULTS: dict[str, Any] = {
    "timestamp": "2026-11-24T09:00:00.000Z",
    "status": "succeeded",
    "source": "pipeline",
    "pack": "portraits",
    "prompt_id": "p1",
    "prompt": "a lighthouse at dusk",
    "negative_prompt": "blurry",
    "model": "good",
    "model_hash": "g00d",
    "sampler": "Euler a",
    "scheduler": "Automatic",
    "steps": 20,
    "cfg_scale": 7.0,
    "width": 512,
    "height": 512,
    "seed": 1,
    "duration_ms": 1000,
    "image_count": 1,
    "stages": ("txt2img",),
    "stage_durations": (("txt2img", 1000),),
    "image_path": None,
    "plan_id": None,
    "variant_index": None,
    "rating": None,
    "tags": (),
    "notes": 0,
    "wins": 0,
    "losses": 0,
}


def make_row(run_id: str, **overrides: Any) -> RunRow:
    return RunRow(run_id=run_id, **{**ROW_DEFAULTS, **overrides})


def rating(
    run_id: str,
    stars: int,
    by: str = "alice",
    *,
    at: str = "2026-11-24T10:00:00.000Z",
    scorer: str | None = None,
) -> FeedbackEvent:
    author = FeedbackAuthor.scorer(by, scorer) if scorer else FeedbackAuthor.person(by)
    return FeedbackEvent(f"{run_id}-{by}-{scorer}-{at}-{stars}", run_id, at, author, "rating", rating=stars)


class RowsIndex:
    """The RunIndex calls the insights make, over a list of rows (in the given order) and the events
    of a feedback store, answered by the contract's definitions."""

    def __init__(self, rows: list[RunRow], feedback: FeedbackStore | None = None) -> None:
        self._rows = rows
        self._feedback = feedback

    def setting_counts(self, run_filter: RunFilter | None = None) -> list[SettingCount]:
        return count_settings(self.rows(run_filter))

    def runs(self, run_ids: Collection[str]) -> Iterator[RunRow]:
        wanted = set(run_ids)
        return iter([row for row in self._rows if row.run_id in wanted])

    def judgements(self) -> Iterator[FeedbackEvent]:
        seen: set[str] = set()
        kept = []
        for event in self._feedback.iter_events() if self._feedback else ():
            if event.event_id not in seen:
                seen.add(event.event_id)
                if event.kind in ("rating", "choice"):
                    kept.append(event)
        return iter(kept)

    def rows(
        self,
        run_filter: RunFilter | None = None,
        *,
        search: str | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> Iterator[RunRow]:
        return iter([row for row in self._rows if run_filter is None or run_filter.matches(row)])
