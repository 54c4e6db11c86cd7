"""The evidence of one parameter in one scope: each value's ratings weighed against the leading value.

The rules (docs/insights.md): a value needs ``MIN_RATINGS`` ratings to take part; the leader is
the taking-part value with the highest posterior mean star; another value is ``worse`` when the
95% interval of its difference to the leader lies below zero, else ``indistinguishable``; the
leader is ``best`` only when every other taking-part value is worse, else ``not_enough_data``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from domain.insights import PARAMETERS, Evidence, ParameterInsight, ValueEvidence, Verdict
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
_CONFOUNDERS = (*PARAMETERS, "prompt")


@dataclass(frozen=True, slots=True)
class Rating:
    """One counted rating: the latest ``stars`` that ``rater`` gave run ``run_id``."""

    run_id: str
    rater: str
    stars: int


def parameter_value(row: RunRow, parameter: str) -> str | None:
    """The run's value of ``parameter`` as text (None when the record does not say)."""
    raw: object = {
        "model": row.model,
        "sampler": row.sampler,
        "scheduler": row.scheduler,
        "steps": row.steps,
        "cfg": None if row.cfg_scale is None else f"{row.cfg_scale:g}",
        "size": row.size,
        "prompt": row.prompt_id,
    }[parameter]
    return None if raw is None or raw == "" else str(raw)


def shaping_context(row: RunRow, parameter: str) -> tuple[object, ...]:
    """Everything that shapes the image except ``parameter``: runs alike here differ only in it."""
    others = tuple(parameter_value(row, name) for name in PARAMETERS if name != parameter)
    return (*others, row.model_hash, row.stages, row.prompt, row.negative_prompt, row.seed)


def weigh_parameter(
    parameter: str, runs: Sequence[RunRow], ratings: Iterable[Rating]
) -> ParameterInsight | None:
    """Every value of ``parameter`` among ``runs``, best first; None when the runs use one value only."""
    value_of = {row.run_id: parameter_value(row, parameter) for row in runs}
    values = sorted({value for value in value_of.values() if value is not None})
    if len(values) < 2:
        return None
    rows = {row.run_id: row for row in runs}
    stars: dict[str, list[int]] = defaultdict(list)
    raters: dict[str, set[str]] = defaultdict(set)
    rated_runs: dict[str, list[RunRow]] = defaultdict(list)
    for rating in ratings:
        value = value_of.get(rating.run_id)
        if value is None:
            continue
        stars[value].append(rating.stars)
        raters[value].add(rating.rater)
        rated_runs[value].append(rows[rating.run_id])
    means = {value: star_mean(star_counts(stars[value])) for value in values if stars[value]}
    contenders = sorted((v for v in means if len(stars[v]) >= MIN_RATINGS), key=lambda v: (-means[v].mean, v))
    leader = contenders[0] if contenders else None
    verdicts = _verdicts(values, contenders, means, {v: len(stars[v]) for v in values})
    controlled = _controlled(parameter, rated_runs, leader)
    confounded = _confounded(parameter, rated_runs)
    failures = {v: sum(1 for r in runs if value_of[r.run_id] == v and r.status == "failed") for v in values}
    totals = {v: sum(1 for r in runs if value_of[r.run_id] == v) for v in values}
    evidence: list[ValueEvidence] = []
    for value in values:
        mean = means.get(value)
        count = len(stars[value])
        top = sum(1 for s in stars[value] if s >= TOP_STARS)
        top_low, top_high = wilson(top, count) if count else (None, None)
        diff = difference(mean, means[leader]) if mean is not None and leader not in (None, value) else None
        verdict, needed = verdicts[value]
        evidence.append(
            ValueEvidence(
                parameter=parameter,
                value=value,
                runs=totals[value],
                ratings=count,
                raters=len(raters[value]),
                mean=mean.mean if mean else None,
                mean_low=mean.low if mean else None,
                mean_high=mean.high if mean else None,
                top_share=top / count if count else None,
                top_low=top_low,
                top_high=top_high,
                diff_to_best=diff[0] if diff else None,
                diff_low=diff[1] if diff else None,
                diff_high=diff[2] if diff else None,
                failures=failures[value],
                failure_rate=failures[value] / totals[value],
                verdict=verdict,
                more_ratings_needed=needed,
                evidence=controlled.get(value, "observational"),
                confounded_with=confounded.get(value, ()),
            )
        )
    evidence.sort(key=lambda e: (e.value != leader, _ORDER[e.verdict], -(e.mean or 0.0), e.value))
    return ParameterInsight(parameter, tuple(evidence))


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


def _controlled(
    parameter: str, rated_runs: Mapping[str, Sequence[RunRow]], leader: str | None
) -> dict[str, Evidence]:
    """A comparison is controlled when every rated run in it has, for each compared value, a rated run
    alike in everything else (settings, prompt, seed): the values were tried side by side."""
    in_context: dict[tuple[object, ...], set[str]] = defaultdict(set)
    for value, runs in rated_runs.items():
        for row in runs:
            in_context[shaping_context(row, parameter)].add(value)
    rated = sorted(rated_runs)

    def matched(compared: set[str]) -> bool:
        return all(
            compared <= in_context[shaping_context(row, parameter)]
            for value in compared
            for row in rated_runs[value]
        )

    result: dict[str, Evidence] = {}
    for value in rated:
        compared = set(rated) if leader is None or value == leader else {value, leader}
        result[value] = "controlled" if len(compared) > 1 and matched(compared) else "observational"
    return result


def _confounded(parameter: str, rated_runs: Mapping[str, Sequence[RunRow]]) -> dict[str, tuple[str, ...]]:
    """``other=level`` for each other setting that varies among the rated runs while every rated run
    of the value used one level of it: its effect cannot be told from that level's."""
    result: dict[str, tuple[str, ...]] = {}
    for other in _CONFOUNDERS:
        if other == parameter:
            continue
        levels = {
            level
            for runs in rated_runs.values()
            for row in runs
            if (level := parameter_value(row, other)) is not None
        }
        if len(levels) < 2:
            continue
        for value, runs in rated_runs.items():
            own = {parameter_value(row, other) for row in runs}
            if len(own) == 1 and None not in own:
                result[value] = (*result.get(value, ()), f"{other}={own.pop()}")
    return result
