"""The LLM summary of one prompt pack: what its history says, compact and the same every time."""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from application.history import History
from application.insights import DeriveInsights, latest_ratings
from application.llm_sections import (
    baseline,
    effects,
    examples,
    open_questions,
    pairwise,
    stage_timings,
)
from application.presets import VerifyPreset
from domain.evidence import Rating
from domain.feedback import FeedbackEvent
from domain.insights import PARAMETERS, InsightsError, InsightsReport
from domain.llm_summary import LlmSummary, fit
from domain.ports import FeedbackStore, PresetStore
from domain.preset import PresetError
from domain.run_filter import RunFilter
from domain.run_row import RunRow


class SummarizeForLlm:
    """Everything the history says about one pack (optionally one model), as an ``LlmSummary``.

    Sections and their order are in docs/llm.md; ``max_chars`` shortens it in ``CUT_ORDER``
    (``SummaryTooLarge`` when it cannot fit). Raises InsightsError (``usage``) for a pack or model
    without runs; a pack without ratings still gets its coverage, timings and a note. The answer
    depends only on what the files hold, never on the order of their lines. Never writes anything.
    """

    def __init__(
        self, history: History, insights: DeriveInsights, feedback: FeedbackStore, presets: PresetStore
    ) -> None:
        self._history = history
        self._insights = _Remembered(insights)
        self._feedback = feedback
        self._presets = presets

    def __call__(
        self,
        *,
        pack: str,
        model: str | None = None,
        max_chars: int | None = None,
        redact_prompts: bool = False,
    ) -> LlmSummary:
        notes: list[str] = []
        report: InsightsReport | None
        try:
            report = self._insights(pack=pack, model=model)
        except InsightsError as exc:
            if exc.usage:
                raise
            report = None
            notes.append(str(exc))
        rows = sorted(self._history.iter_rows(RunFilter(pack=pack, model=model)), key=lambda r: r.run_id)
        events = list(self._feedback.iter_events())
        ids = {row.run_id for row in rows}
        ratings = {
            rater: [rating for rating in kept if rating.run_id in ids]
            for rater, kept in latest_ratings(events, by_rater=True).items()
        }
        persons = [
            rating for rater, kept in ratings.items() if rater.startswith("person:") for rating in kept
        ]
        choices = _choices(events, ids)
        if redact_prompts:
            notes.append("prompts redacted (--redact-prompts)")
        summary = LlmSummary(
            pack=pack,
            model=model,
            coverage=_coverage(rows, ratings, choices, report),
            baseline=baseline(rows, persons),
            effects=effects(report),
            pairwise=pairwise(rows, choices),
            presets=self._preset_status(pack),
            open_questions=open_questions(report),
            stage_timings=stage_timings(rows),
            examples=examples(rows, persons, redact_prompts=redact_prompts),
            notes=tuple(notes),
        )
        return fit(summary, max_chars)

    def _preset_status(self, pack: str) -> tuple[dict[str, Any], ...]:
        verify = VerifyPreset(self._insights, self._presets)
        found: list[dict[str, Any]] = []
        for name in self._presets.names():
            try:
                preset = self._presets.load(name)
            except PresetError as exc:
                found.append({"name": name, "status": "unreadable", "error": str(exc)})
                continue
            if not fnmatch.fnmatchcase(preset.pack.casefold(), pack.casefold()):
                continue
            verification = verify(name)
            found.append(
                {
                    "name": name,
                    "model": preset.model or None,
                    "stages": list(preset.stages),
                    "settings": dict(sorted(preset.settings.items())),
                    "status": "holds" if verification.unchanged else "changed",
                    "changes": [change.describe() for change in verification.changes],
                }
            )
        return tuple(found)


def _choices(events: Iterable[FeedbackEvent], ids: set[str]) -> list[tuple[str, str]]:
    """Persons' choices between two runs of the pack, as (better, worse) run ids, sorted."""
    return sorted(
        (event.run_id, event.worse_run_id)
        for event in events
        if event.kind == "choice"
        and event.by.kind == "person"
        and event.worse_run_id is not None
        and event.run_id in ids
        and event.worse_run_id in ids
    )


def _coverage(
    rows: Sequence[RunRow],
    ratings: dict[str, list[Rating]],
    choices: Sequence[tuple[str, str]],
    report: InsightsReport | None,
) -> dict[str, Any]:
    stamps = sorted(row.timestamp for row in rows if row.timestamp)
    rated = {rating.run_id for kept in ratings.values() for rating in kept}
    persons = sorted(
        rater.removeprefix("person:")
        for rater, kept in ratings.items()
        if kept and rater.startswith("person:")
    )
    scorers = sorted(
        rater.removeprefix("scorer:")
        for rater, kept in ratings.items()
        if kept and rater.startswith("scorer:")
    )
    by_status: Counter[str] = Counter(row.status for row in rows)
    return {
        "runs": len(rows),
        "by_status": dict(sorted(by_status.items())),
        "rated_runs": len(rated),
        "ratings": sum(len(kept) for kept in ratings.values()),
        "persons": len(persons),
        "scorers": scorers,
        "choices": len(choices),
        "first": stamps[0] if stamps else None,
        "last": stamps[-1] if stamps else None,
        "orphan_ratings": report.orphan_ratings if report else 0,
        "parameters": list(PARAMETERS),
    }


class _Remembered(DeriveInsights):
    """The same insights for the same question, asked once (a summary asks again per preset).

    It wraps the use case rather than extending it, so DeriveInsights.__init__ is not called."""

    def __init__(self, inner: DeriveInsights) -> None:
        self._inner = inner
        self._answers: dict[str, InsightsReport | InsightsError] = {}

    def __call__(self, **options: Any) -> InsightsReport:
        # Any keyword DeriveInsights takes is passed on as it is: the key is their sorted text.
        key = repr(sorted(options.items()))
        if key not in self._answers:
            try:
                self._answers[key] = self._inner(**options)
            except InsightsError as exc:
                self._answers[key] = exc
        answer = self._answers[key]
        if isinstance(answer, InsightsError):
            raise answer
        return answer
