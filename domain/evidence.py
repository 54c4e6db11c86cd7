"""The evidence of one parameter in one scope: each value's ratings weighed against the leading value.

The rules (docs/insights.md): a value needs ``MIN_RATINGS`` ratings to take part; the leader is
the taking-part value with the highest posterior mean star; another value is ``worse`` when the
95% interval of its difference to the leader lies below zero, else ``indistinguishable``; the
leader is ``best`` only when every value takes part and its lead over each clears ``family_z``
(all pairs share the 5%, since the leader was picked by looking), else ``not_enough_data``.
Values are listed leader first, then by verdict, then by mean star.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

from domain.comparability import Levels, confounders, evidence_kinds, run_levels
from domain.insights import Evidence, ParameterInsight, ValueEvidence, Verdict
from domain.rating_intervals import (
    LEVEL,
    StarMean,
    difference,
    ratings_to_separate,
    star_counts,
    star_mean,
    wilson,
)
from domain.run_row import RunRow

MIN_RATINGS = 3
TOP_STARS = 4
_ORDER: Mapping[Verdict, int] = {"best": 0, "indistinguishable": 1, "worse": 2, "not_enough_data": 3}


@dataclass(frozen=True, slots=True)
class Rating:
    """One counted rating: the latest ``stars`` that ``rater`` gave run ``run_id``."""

    run_id: str
    rater: str
    stars: int


@dataclass
class _Tally:
    """What one value gathered: its runs, failures, ratings, raters and rated run ids."""

    runs: int = 0
    failures: int = 0
    stars: list[int] = field(default_factory=list)
    raters: set[str] = field(default_factory=set)
    rated: set[str] = field(default_factory=set)


def weigh_parameter(
    parameter: str,
    runs: Sequence[RunRow],
    ratings: Iterable[Rating],
    levels: Levels | None = None,
    *,
    counts: Mapping[str, tuple[int, int]] | None = None,
    shaped: Mapping[str, tuple[object, ...]] | None = None,
) -> ParameterInsight | None:
    """Every value of ``parameter`` among ``runs``, leader first; None when the runs use one value only.

    ``levels`` (``run_levels`` of each run, by run id) may be given to share them between parameters.
    ``counts`` (value -> (runs, failed runs), of every run of the scope) may be given instead of
    counting ``runs``: then ``runs`` need only hold the rated runs. ``shaped`` (``shaping`` of each
    run, by run id) may be given to share it between parameters.
    """
    levels = levels or {row.run_id: run_levels(row) for row in runs}
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    if counts is not None:
        for counted, (number, failed) in counts.items():
            tallies[counted].runs, tallies[counted].failures = number, failed
    else:
        for row in runs:
            value = levels[row.run_id][parameter]
            if value is not None:
                tallies[value].runs += 1
                tallies[value].failures += row.status == "failed"
    if len(tallies) < 2:
        return None
    for rating in ratings:
        value = levels[rating.run_id][parameter] if rating.run_id in levels else None
        if value is not None:
            tallies[value].stars.append(rating.stars)
            tallies[value].raters.add(rating.rater)
            tallies[value].rated.add(rating.run_id)
    values = sorted(tallies)
    means = {v: star_mean(star_counts(tallies[v].stars)) for v in values if tallies[v].stars}
    contenders = sorted(
        (v for v in means if len(tallies[v].stars) >= MIN_RATINGS), key=lambda v: (-means[v].mean, v)
    )
    leader = contenders[0] if contenders else None
    best = means[leader] if leader is not None else None
    verdicts = _verdicts(values, contenders, means, {v: len(tallies[v].stars) for v in values})
    rated = {v: tallies[v].rated for v in values if tallies[v].rated}
    by_id = {} if shaped is not None else {row.run_id: row for row in runs}
    kinds = evidence_kinds(parameter, rated, by_id, levels, leader, shaped)
    confounded = confounders(parameter, rated, levels)
    evidence = [
        _value_evidence(
            parameter,
            value,
            tallies[value],
            means.get(value),
            None if value == leader else best,
            verdicts[value],
            kinds.get(value, "observational"),
            confounded.get(value, ()),
        )
        for value in values
    ]
    evidence.sort(key=lambda e: (e.value != leader, _ORDER[e.verdict], -(e.mean or 0.0), e.value))
    return ParameterInsight(parameter, tuple(evidence))


def _value_evidence(
    parameter: str,
    value: str,
    tally: _Tally,
    mean: StarMean | None,
    best: StarMean | None,
    verdict: tuple[Verdict, int | None],
    evidence: Evidence,
    confounded_with: tuple[str, ...],
) -> ValueEvidence:
    count = len(tally.stars)
    top = sum(1 for stars in tally.stars if stars >= TOP_STARS)
    top_low, top_high = wilson(top, count) if count else (None, None)
    diff = difference(mean, best) if mean is not None and best is not None else None
    return ValueEvidence(
        parameter=parameter,
        value=value,
        runs=tally.runs,
        ratings=count,
        raters=len(tally.raters),
        mean=mean.mean if mean else None,
        mean_low=mean.low if mean else None,
        mean_high=mean.high if mean else None,
        top_share=top / count if count else None,
        top_low=top_low,
        top_high=top_high,
        diff_to_best=diff[0] if diff else None,
        diff_low=diff[1] if diff else None,
        diff_high=diff[2] if diff else None,
        failures=tally.failures,
        failure_rate=tally.failures / tally.runs if tally.runs else 0.0,
        verdict=verdict[0],
        more_ratings_needed=verdict[1],
        evidence=evidence,
        confounded_with=confounded_with,
    )


def family_z(values: int) -> float:
    """The z every lead of the best value must clear: the leader was picked after looking, so each of
    the ``values * (values - 1) / 2`` pairs gets its share of the 5% (Bonferroni)."""
    pairs = max(values * (values - 1) // 2, 1)
    return NormalDist().inv_cdf(1 - (1 - LEVEL) / (2 * pairs))


def _verdicts(
    values: Sequence[str], contenders: Sequence[str], means: Mapping[str, StarMean], counts: Mapping[str, int]
) -> dict[str, tuple[Verdict, int | None]]:
    verdicts: dict[str, tuple[Verdict, int | None]] = {
        value: ("not_enough_data", max(MIN_RATINGS - counts[value], 1)) for value in values
    }
    if len(contenders) < 2:
        if contenders:  # the only value with enough ratings waits for the others
            verdicts[contenders[0]] = ("not_enough_data", None)
        return verdicts
    leader, best = contenders[0], means[contenders[0]]
    z_best = family_z(len(values))
    still_open: list[int | None] = []
    for value in contenders[1:]:
        _, _, high = difference(means[value], best)
        verdicts[value] = (
            ("worse", None)
            if high < 0
            else ("indistinguishable", ratings_to_separate(means[value], best, counts[value], counts[leader]))
        )
        if difference(means[value], best, z_best)[2] >= 0:
            still_open.append(ratings_to_separate(means[value], best, counts[value], counts[leader], z_best))
    untested = [max(MIN_RATINGS - counts[value], 1) for value in values if value not in contenders]
    if untested:  # a value without enough ratings might be the best one
        still_open.append(max(untested))
    if not still_open:
        verdicts[leader] = ("best", None)
    else:
        known = [n for n in still_open if n is not None]
        verdicts[leader] = ("not_enough_data", max(known) if len(known) == len(still_open) else None)
    return verdicts
