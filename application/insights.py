"""Which setting values gave better-rated images, with the evidence for it (docs/insights.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from application.history import History
from domain.comparability import run_levels
from domain.evidence import Rating, weigh_parameter
from domain.feedback import FeedbackEvent
from domain.insights import (
    PARAMETERS,
    PERSONS,
    Insights,
    InsightScope,
    InsightsError,
    InsightsReport,
    ParameterInsight,
    rater_key,
)
from domain.ports import FeedbackStore
from domain.run_filter import RunFilter
from domain.run_row import RunRow
from domain.timefmt import parse_timestamp

_UNREADABLE_TIME = datetime.min.replace(tzinfo=UTC)


class DeriveInsights:
    """Compares the values of each parameter within each scope (prompt pack and stage list, and with
    ``per_model`` model hash), separately for each rater: all persons together (or each person with
    ``by_rater``) and each scorer name and version; the latest rating of a run by a rater counts.

    Pairwise choices are not counted here. The answer depends only on what the files hold, never on
    the order of their lines. Raises InsightsError when there is nothing to compare.
    """

    def __init__(self, history: History, feedback: FeedbackStore) -> None:
        self._history = history
        self._feedback = feedback

    def __call__(
        self,
        *,
        pack: str | None = None,
        model: str | None = None,
        parameters: Sequence[str] = PARAMETERS,
        by_rater: bool = False,
        per_model: bool = False,
    ) -> InsightsReport:
        every_row = list(self._history.iter_rows())
        rows = _kept(every_row, pack, model)
        known = {row.run_id for row in every_row}
        ratings = latest_ratings(self._feedback.iter_events(), by_rater=by_rater)
        orphans = sum(1 for kept in ratings.values() for r in kept if r.run_id not in known)
        ids = {row.run_id for row in rows}
        if not any(r.run_id in ids for kept in ratings.values() for r in kept):
            where = " of the runs asked for" if pack or model else ""
            orphaned = f" ({orphans} rating(s) are of runs the records no longer hold)" if orphans else ""
            raise InsightsError(
                f"no ratings{where}{orphaned}: rate runs with `stablenew records rate RUN 1-5` "
                "or on the review page"
            )
        insights = [
            insight
            for scope, scope_rows in sorted(_scopes(rows, per_model).items(), key=lambda s: s[0].sort_key())
            for rater in sorted(ratings, key=_rater_order)
            if (insight := _insight(scope, scope_rows, rater, ratings[rater], parameters)) is not None
        ]
        if not insights:
            raise InsightsError(
                f"nothing to compare: in every scope with ratings the runs used one value of each of "
                f"{', '.join(parameters)} (a scope is a prompt pack and stage list)"
            )
        return InsightsReport(tuple(insights), orphans)


def latest_ratings(events: Iterable[FeedbackEvent], *, by_rater: bool) -> dict[str, list[Rating]]:
    """The latest rating (by time, then event id) of each run by each rater, per rater key."""
    latest: dict[tuple[str, str, str], FeedbackEvent] = {}
    for event in events:
        if event.kind != "rating" or event.rating is None:
            continue
        by = event.by
        key = rater_key(by.kind, by.name, by.version, by_rater=by_rater)
        slot = (key, str(by), event.run_id)
        held = latest.get(slot)
        if held is None or _when(event) > _when(held):
            latest[slot] = event
    grouped: dict[str, list[Rating]] = defaultdict(list)
    for (key, rater, run_id), event in sorted(latest.items()):
        grouped[key].append(Rating(run_id, rater, event.rating or 0))
    return dict(grouped)


def _when(event: FeedbackEvent) -> tuple[datetime, str, str]:
    try:
        moment = parse_timestamp(event.timestamp)
    except ValueError:
        moment = _UNREADABLE_TIME
    return moment, event.timestamp, event.event_id


def _kept(rows: list[RunRow], pack: str | None, model: str | None) -> list[RunRow]:
    if pack is None and model is None:
        return rows
    wanted, in_pack = RunFilter(pack=pack, model=model), RunFilter(pack=pack)
    kept = [row for row in rows if wanted.matches(row)]
    if kept:
        return kept
    if pack is not None and not any(in_pack.matches(row) for row in rows):
        packs = sorted({row.pack for row in rows if row.pack})
        raise InsightsError(
            f"--pack: no runs in pack {pack!r} (packs: {', '.join(packs) or 'none'})", usage=True
        )
    models = sorted({row.model for row in rows if row.model and in_pack.matches(row)})
    raise InsightsError(
        f"--model: no runs with model {model!r} (models: {', '.join(models) or 'none'})", usage=True
    )


def _scopes(rows: Iterable[RunRow], per_model: bool) -> dict[InsightScope, list[RunRow]]:
    grouped: dict[tuple[str | None, str | None, tuple[str, ...]], list[RunRow]] = defaultdict(list)
    for row in rows:
        grouped[(row.pack, row.model_hash if per_model else None, row.stages)].append(row)
    scopes: dict[InsightScope, list[RunRow]] = {}
    for (pack, _, stages), members in grouped.items():
        hashes = {row.model_hash for row in members}
        only = next(iter(hashes)) if len(hashes) == 1 else None
        scopes[InsightScope(pack, only, stages)] = members
    return scopes


def _rater_order(key: str) -> tuple[int, str]:
    return (0 if key == PERSONS else 1 if key.startswith("person:") else 2, key)


def _insight(
    scope: InsightScope, rows: list[RunRow], rater: str, ratings: list[Rating], parameters: Sequence[str]
) -> Insights | None:
    ids = {row.run_id for row in rows}
    counted = [rating for rating in ratings if rating.run_id in ids]
    if not counted:
        return None
    levels = {row.run_id: run_levels(row) for row in rows}
    weighed: list[ParameterInsight] = []
    single: list[str] = []
    for parameter in parameters:
        insight = weigh_parameter(parameter, rows, counted, levels)
        if insight is None:
            single.append(parameter)
        else:
            weighed.append(insight)
    if not weighed:
        return None
    rated = len({rating.run_id for rating in counted})
    return Insights(scope, rater, len(rows), rated, tuple(weighed), tuple(single))
