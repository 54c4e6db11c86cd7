"""What the insights view and the HTML report show: the insights, and for each value the runs that
show it best and worst (docs/insights.md, "The view and the report").

The numbers come unchanged from DeriveInsights; this only adds example runs and the filter choices.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from application.history import History
from application.insights import DeriveInsights, latest_ratings
from domain.comparability import run_levels
from domain.evidence import Rating
from domain.insights import PARAMETERS, Insights, InsightsReport
from domain.run_filter import RunFilter
from domain.run_row import RunRow

EXAMPLES = 3
"""Best and worst rated runs shown per value."""


@dataclass(frozen=True, slots=True)
class Example:
    """One rated run of a value: its id, the stars the insight's rater gave it, its final image."""

    run_id: str
    stars: int
    image_path: str | None


@dataclass(frozen=True, slots=True)
class ValueExamples:
    """A value's best rated runs (most stars first) and, apart from those, its worst (fewest first)."""

    best: tuple[Example, ...]
    worst: tuple[Example, ...]


ExampleFields = Callable[[Example], Mapping[str, Any]]
"""Extra fields of an example in ``to_dict`` (an image URL, an inlined thumbnail)."""
ExampleKey = tuple[int, str, str]
"""(position of the insight in the report, parameter, value)."""


@dataclass(frozen=True, slots=True)
class InsightsPicture:
    """The report, its example runs by ExampleKey, and the packs and models a filter can choose."""

    report: InsightsReport
    examples: Mapping[ExampleKey, ValueExamples]
    packs: tuple[str, ...]
    models: tuple[str, ...]

    def to_dict(self, example_fields: ExampleFields | None = None) -> dict[str, Any]:
        """The report's JSON with ``examples`` ({best, worst} lists) in each value; ``example_fields``
        (an Example -> dict of extra fields, e.g. an image URL) adds to each example."""
        data = self.report.to_dict()
        for position, insight in enumerate(data["insights"]):
            for parameter in insight["parameters"]:
                for value in parameter["values"]:
                    found = self.examples.get((position, parameter["parameter"], value["value"]))
                    value["examples"] = {
                        side: [_example(e, example_fields) for e in (getattr(found, side) if found else ())]
                        for side in ("best", "worst")
                    }
        return {**data, "packs": list(self.packs), "models": list(self.models)}


class PictureInsights:
    """DeriveInsights over the same history, with ``per_value`` example runs per value. Like the
    insights, it reads through the index only: the ratings, the rows of the rated runs, the counts.

    Raises what DeriveInsights raises (InsightsError).
    """

    def __init__(self, history: History, per_value: int = EXAMPLES) -> None:
        self._history = history
        self._per_value = per_value

    def __call__(
        self,
        *,
        pack: str | None = None,
        model: str | None = None,
        parameters: Sequence[str] = PARAMETERS,
        by_rater: bool = False,
        per_model: bool = False,
    ) -> InsightsPicture:
        derive = DeriveInsights(self._history)
        report = derive(pack=pack, model=model, parameters=parameters, by_rater=by_rater, per_model=per_model)
        ratings = latest_ratings(self._history.judgements(), by_rater=by_rater)
        rows = list(self._history.runs({r.run_id for kept in ratings.values() for r in kept}))
        packs, models = self.choices()
        examples: dict[ExampleKey, ValueExamples] = {}
        for position, insight in enumerate(report.insights):
            members = [row for row in rows if _in_scope(row, insight, model)]
            found = _examples(insight, members, ratings.get(insight.rater, []), self._per_value)
            examples.update({(position, *key): value for key, value in found.items()})
        return InsightsPicture(report, examples, packs, models)

    def choices(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The packs and models of the history, for the filters (also when there is nothing to show)."""
        counts = self._history.setting_counts()
        packs = {count.pack for count in counts if count.pack}
        models = {count.value for count in counts if count.parameter == "model" and count.value}
        return tuple(sorted(packs)), tuple(sorted(models))


def _in_scope(row: RunRow, insight: Insights, model: str | None) -> bool:
    scope = insight.scope
    if row.pack != scope.pack or row.stages != scope.stages:
        return False
    if scope.model_hash is not None and row.model_hash != scope.model_hash:
        return False
    return model is None or RunFilter(model=model).matches(row)


def _examples(
    insight: Insights, rows: list[RunRow], ratings: list[Rating], per_value: int
) -> dict[tuple[str, str], ValueExamples]:
    by_id = {row.run_id: row for row in rows}
    stars: dict[str, list[int]] = {}
    for rating in ratings:
        if rating.run_id in by_id:
            stars.setdefault(rating.run_id, []).append(rating.stars)
    rated = [
        Example(run_id, round(sum(given) / len(given)), by_id[run_id].image_path)
        for run_id, given in sorted(stars.items())
    ]
    levels = {example.run_id: run_levels(by_id[example.run_id]) for example in rated}
    found: dict[tuple[str, str], ValueExamples] = {}
    for parameter in insight.parameters:
        for value in parameter.values:
            own = [e for e in rated if levels[e.run_id][parameter.parameter] == value.value]
            ranked = sorted(own, key=lambda e: (-e.stars, e.run_id))
            best = tuple(ranked[:per_value])
            rest = ranked[per_value:]
            worst = tuple(sorted(rest, key=lambda e: (e.stars, e.run_id))[:per_value])
            found[(parameter.parameter, value.value)] = ValueExamples(best, worst)
    return found


def _example(example: Example, extra: ExampleFields | None) -> dict[str, Any]:
    data: dict[str, Any] = {"run_id": example.run_id, "stars": example.stars}
    if extra is not None:
        data.update(extra(example))
    return data
