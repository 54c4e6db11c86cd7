"""Which setting values gave better-rated images, with the evidence for it (docs/insights.md)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from application.history import History
from application.pairwise import choices_by_parameter, fit_bradley_terry
from domain.comparability import SHAPING, run_levels, shaping
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
from domain.run_filter import RunFilter
from domain.run_row import RunRow
from domain.setting_counts import SettingCount
from domain.timefmt import parse_timestamp

_UNREADABLE_TIME = datetime.min.replace(tzinfo=UTC)


class DeriveInsights:
    """Compares the values of each parameter within each scope (prompt pack and stage list, and with
    ``per_model`` model hash), separately for each rater: all persons together (or each person with
    ``by_rater``) and each scorer name and version; the latest rating of a run by a rater counts.

    Pairwise choices between runs that differ in one setting alone are fitted apart (Bradley-Terry,
    ``application.pairwise``) and reported beside the ratings of the same scope and rater. Reads
    through the index only: counts per value for every run, rows for the judged runs alone. The
    answer depends only on what the files hold, never on the order of their lines. Raises
    InsightsError when there is nothing to compare.
    """

    def __init__(self, history: History) -> None:
        self._history = history

    def __call__(
        self,
        *,
        pack: str | None = None,
        model: str | None = None,
        parameters: Sequence[str] = PARAMETERS,
        by_rater: bool = False,
        per_model: bool = False,
    ) -> InsightsReport:
        run_filter = RunFilter(pack=pack, model=model) if pack is not None or model is not None else None
        counts = self._history.setting_counts(run_filter)
        if not counts and run_filter is not None:
            self._unknown(pack, model)
        events = list(self._history.judgements())
        ratings = latest_ratings(events, by_rater=by_rater)
        choices = [event for event in events if event.kind == "choice" and event.worse_run_id]
        judged = {r.run_id for kept in ratings.values() for r in kept}
        judged.update(run_id for event in choices for run_id in (event.run_id, event.worse_run_id or ""))
        known = {row.run_id: row for row in self._history.runs(judged)}
        orphans = sum(1 for kept in ratings.values() for r in kept if r.run_id not in known)
        rows = {run_id: row for run_id, row in known.items() if run_filter is None or run_filter.matches(row)}
        if not any(r.run_id in rows for kept in ratings.values() for r in kept):
            where = " of the runs asked for" if pack or model else ""
            orphaned = f" ({orphans} rating(s) are of runs the records no longer hold)" if orphans else ""
            raise InsightsError(
                f"no ratings{where}{orphaned}: rate runs with `stablenew records rate RUN 1-5` "
                "or on the review page"
            )
        scopes = _scopes(counts, per_model)
        rated_rows: dict[InsightScope, list[RunRow]] = defaultdict(list)
        for row in rows.values():
            if (scope_of := scopes.key_of(row)) is not None:
                rated_rows[scope_of].append(row)
        pairs = _choices_by_scope(choices, rows, scopes, by_rater)
        insights = []
        for scope in sorted(scopes.totals, key=lambda s: s.sort_key()):
            members = sorted(rated_rows.get(scope, []), key=lambda row: row.run_id)
            levels = {row.run_id: run_levels(row) for row in members}
            shaped = {row.run_id: shaping(row, levels[row.run_id]) for row in members}
            for rater in sorted(ratings, key=_rater_order):
                insight = _insight(
                    scope,
                    scopes,
                    members,
                    (levels, shaped),
                    rater,
                    ratings[rater],
                    parameters,
                    pairs.get((scope, rater), []),
                )
                if insight is not None:
                    insights.append(insight)
        if not insights:
            raise InsightsError(
                f"nothing to compare: in every scope with ratings the runs used one value of each of "
                f"{', '.join(parameters)} (a scope is a prompt pack and stage list)"
            )
        return InsightsReport(tuple(insights), orphans)

    def _unknown(self, pack: str | None, model: str | None) -> None:
        """Raise the usage error naming what the history holds instead (reads every row: rare)."""
        rows = list(self._history.iter_rows())
        in_pack = RunFilter(pack=pack)
        if pack is not None and not any(in_pack.matches(row) for row in rows):
            packs = sorted({row.pack for row in rows if row.pack})
            raise InsightsError(
                f"--pack: no runs in pack {pack!r} (packs: {', '.join(packs) or 'none'})", usage=True
            )
        models = sorted({row.model for row in rows if row.model and in_pack.matches(row)})
        raise InsightsError(
            f"--model: no runs with model {model!r} (models: {', '.join(models) or 'none'})", usage=True
        )


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


class _Scopes:
    """The scopes of the counted runs: their run totals and each parameter's value counts."""

    def __init__(self, per_model: bool) -> None:
        self.per_model = per_model
        self.totals: dict[InsightScope, int] = {}
        self.values: dict[InsightScope, dict[str, dict[str, tuple[int, int]]]] = {}
        self._scope: dict[tuple[str | None, tuple[str, ...], str | None], InsightScope] = {}

    def key_of(self, row: RunRow) -> InsightScope | None:
        """The scope of ``row``; None if the counts hold none for it (never for a row they counted)."""
        return self._scope.get((row.pack, row.stages, row.model_hash if self.per_model else None))


def _scopes(counts: Iterable[SettingCount], per_model: bool) -> _Scopes:
    grouped: dict[tuple[str | None, tuple[str, ...], str | None], list[SettingCount]] = defaultdict(list)
    for count in counts:
        grouped[(count.pack, count.stages, count.model_hash if per_model else None)].append(count)
    scopes = _Scopes(per_model)
    for key, members in grouped.items():
        hashes = {count.model_hash for count in members}
        scope = InsightScope(key[0], next(iter(hashes)) if len(hashes) == 1 else None, key[1])
        scopes._scope[key] = scope
        scopes.totals[scope] = sum(count.runs for count in members if count.parameter == PARAMETERS[0])
        values: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
        for count in members:
            if count.value is not None:
                runs, failed = values[count.parameter].get(count.value, (0, 0))
                values[count.parameter][count.value] = (runs + count.runs, failed + count.failed)
        scopes.values[scope] = values
    return scopes


def _choices_by_scope(
    choices: Iterable[FeedbackEvent], rows: Mapping[str, RunRow], scopes: _Scopes, by_rater: bool
) -> dict[tuple[InsightScope, str], list[tuple[Mapping[str, object], Mapping[str, object]]]]:
    """The choices between two runs of one scope, as (better run's, worse run's) shaping values."""
    found: dict[tuple[InsightScope, str], list[tuple[Mapping[str, object], Mapping[str, object]]]] = (
        defaultdict(list)
    )
    for event in choices:
        better, worse = rows.get(event.run_id), rows.get(event.worse_run_id or "")
        if better is None or worse is None:
            continue
        scope = scopes.key_of(better)
        if scope is None or scope != scopes.key_of(worse):
            continue
        key = rater_key(event.by.kind, event.by.name, event.by.version, by_rater=by_rater)
        found[(scope, key)].append((_settings(better), _settings(worse)))
    return found


def _settings(row: RunRow) -> dict[str, object]:
    """What shapes a run's image, by name: two runs differing in one setting alone differ in one key."""
    levels = run_levels(row)
    return {
        **{name: levels[name] for name in SHAPING},
        "_same_else": (row.model_hash, row.prompt, row.negative_prompt, row.seed),
    }


def _rater_order(key: str) -> tuple[int, str]:
    return (0 if key == PERSONS else 1 if key.startswith("person:") else 2, key)


def _insight(
    scope: InsightScope,
    scopes: _Scopes,
    rows: list[RunRow],
    known: tuple[Mapping[str, Mapping[str, str | None]], Mapping[str, tuple[object, ...]]],
    rater: str,
    ratings: list[Rating],
    parameters: Sequence[str],
    pairs: Sequence[tuple[Mapping[str, object], Mapping[str, object]]],
) -> Insights | None:
    levels, shaped = known
    counted = [rating for rating in ratings if rating.run_id in levels]
    if not counted:
        return None
    weighed: list[ParameterInsight] = []
    single: list[str] = []
    for parameter in parameters:
        counts = scopes.values[scope].get(parameter, {})
        insight = weigh_parameter(parameter, rows, counted, levels, counts=counts, shaped=shaped)
        if insight is None:
            single.append(parameter)
        else:
            weighed.append(insight)
    if not weighed:
        return None
    rated = len({rating.run_id for rating in counted})
    by_parameter = choices_by_parameter(pairs).by_parameter
    pairwise = tuple(
        fit_bradley_terry(parameter, by_parameter[parameter])
        for parameter in parameters
        if parameter in by_parameter
    )
    return Insights(scope, rater, scopes.totals[scope], rated, tuple(weighed), tuple(single), pairwise)
