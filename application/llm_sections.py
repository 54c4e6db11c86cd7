"""The sections of the LLM summary, each built from rows, ratings or the insights report (docs/llm.md).

Every list comes out in a fixed order (ties broken by text), most useful entry first, so that
cutting from the end drops what matters least and the same history gives the same bytes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from application.pairwise import choices_by_parameter, fit_bradley_terry
from domain.comparability import run_levels
from domain.evidence import Rating
from domain.history_stats import compute_stats
from domain.insights import DECIMALS, PARAMETERS, PERSONS, InsightsReport
from domain.run_row import RunRow

EXAMPLES_EACH = 3
"""How many best and how many worst rated runs the summary shows."""
PROMPT_CHARS = 160
BOOTSTRAP = 200
SEED = 0


def rounded(value: float | None, places: int = DECIMALS) -> float | None:
    # Adding 0.0 turns a rounded -0.0 into 0.0, so a zero is always written the same way.
    return None if value is None else round(value, places) + 0.0


def baseline(rows: Sequence[RunRow], persons: Sequence[Rating]) -> dict[str, Any]:
    """What a typical run of the pack was made with, and how persons rated runs overall."""
    stars = [rating.stars for rating in persons]
    typical: dict[str, str | None] = {}
    levels = [run_levels(row) for row in rows]
    for parameter in PARAMETERS:
        counts = Counter(level for run in levels if (level := run[parameter]) is not None)
        typical[parameter] = min(counts, key=lambda v: (-counts[v], v)) if counts else None
    return {
        "rater": PERSONS,
        "ratings": len(stars),
        "mean": rounded(sum(stars) / len(stars)) if stars else None,
        "top_share": rounded(sum(1 for s in stars if s >= 4) / len(stars)) if stars else None,
        "distribution": {str(star): stars.count(star) for star in range(1, 6)},
        "typical": typical,
    }


def effects(report: InsightsReport | None) -> tuple[dict[str, Any], ...]:
    """One entry per scope, rater and parameter, in the report's order (persons first)."""
    if report is None:
        return ()
    found: list[dict[str, Any]] = []
    for insight in report.insights:
        for parameter in insight.parameters:
            values = []
            for value in parameter.values:
                data = value.to_dict()
                del data["parameter"]
                values.append(data)
            found.append(
                {
                    "scope": insight.scope.to_dict(),
                    "rater": insight.rater,
                    "rated_runs": insight.rated_runs,
                    "parameter": parameter.parameter,
                    "evidence": parameter.evidence,
                    "values": values,
                }
            )
    return tuple(found)


def open_questions(report: InsightsReport | None) -> tuple[dict[str, Any], ...]:
    """Values the persons' ratings cannot yet tell from the leading one, fewest ratings needed first."""
    if report is None:
        return ()
    found: list[dict[str, Any]] = []
    for insight in report.insights:
        if insight.rater != PERSONS:
            continue
        for parameter in insight.parameters:
            leader = parameter.values[0]
            for value in parameter.values[1:]:
                if value.verdict not in ("indistinguishable", "not_enough_data"):
                    continue
                found.append(
                    {
                        "stages": list(insight.scope.stages),
                        "model_hash": insight.scope.model_hash,
                        "parameter": parameter.parameter,
                        "value": value.value,
                        "versus": leader.value,
                        "verdict": value.verdict,
                        "diff": rounded(value.diff_to_best),
                        "diff_low": rounded(value.diff_low),
                        "diff_high": rounded(value.diff_high),
                        "ratings": [value.ratings, leader.ratings],
                        "more_ratings_needed": value.more_ratings_needed,
                    }
                )
    found.sort(
        key=lambda q: (
            q["more_ratings_needed"] is None,
            q["more_ratings_needed"] or 0,
            q["stages"],
            q["parameter"],
            q["value"],
        )
    )
    return tuple(found)


def pairwise(rows: Sequence[RunRow], choices: Sequence[tuple[str, str]]) -> tuple[dict[str, Any], ...]:
    """Bradley-Terry scores per parameter from choices between runs that differ in it alone."""
    levels = {row.run_id: run_levels(row) for row in rows}
    sorted_out = choices_by_parameter((levels[better], levels[worse]) for better, worse in choices)
    found: list[dict[str, Any]] = []
    for parameter in PARAMETERS:
        pairs = sorted_out.by_parameter.get(parameter)
        if not pairs:
            continue
        fit = fit_bradley_terry(parameter, pairs, bootstrap=BOOTSTRAP, seed=SEED)
        found.append(
            {
                "parameter": parameter,
                "choices": len(pairs),
                "groups": fit.groups,
                "scores": [
                    {
                        "value": score.value,
                        "score": rounded(score.score),
                        "low": rounded(score.low),
                        "high": rounded(score.high),
                        "wins": score.wins,
                        "losses": score.losses,
                        "group": score.group,
                    }
                    for score in fit.scores
                ],
            }
        )
    return tuple(found)


def stage_timings(rows: Sequence[RunRow]) -> tuple[dict[str, Any], ...]:
    return tuple(stage.to_dict() for stage in compute_stats(rows).stages)


def examples(
    rows: Sequence[RunRow], persons: Sequence[Rating], *, redact_prompts: bool
) -> tuple[dict[str, Any], ...]:
    """The best and worst rated runs by the persons' mean rating, alternating best and worst."""
    stars: dict[str, list[int]] = defaultdict(list)
    for rating in persons:
        stars[rating.run_id].append(rating.stars)
    by_id = {row.run_id: row for row in rows}
    means = {run_id: sum(given) / len(given) for run_id, given in stars.items() if run_id in by_id}
    best = sorted(means, key=lambda r: (-means[r], -len(stars[r]), r))[:EXAMPLES_EACH]
    worst = [r for r in sorted(means, key=lambda r: (means[r], -len(stars[r]), r)) if r not in best]
    worst = worst[:EXAMPLES_EACH]
    found: list[dict[str, Any]] = []
    for number in range(EXAMPLES_EACH):
        for kind, chosen in (("best", best), ("worst", worst)):
            if number < len(chosen):
                run_id = chosen[number]
                found.append(_example(kind, by_id[run_id], means[run_id], len(stars[run_id]), redact_prompts))
    return tuple(found)


def _example(kind: str, row: RunRow, mean: float, count: int, redact: bool) -> dict[str, Any]:
    prompt = " ".join(row.prompt.split())
    if len(prompt) > PROMPT_CHARS:
        prompt = prompt[: PROMPT_CHARS - 1] + "…"
    return {
        "kind": kind,
        "run_id": row.run_id,
        "rating": rounded(mean, 2),
        "ratings": count,
        "status": row.status,
        "model": row.model or None,
        "sampler": row.sampler or None,
        "scheduler": row.scheduler or None,
        "steps": row.steps,
        "cfg": row.cfg_scale,
        "size": row.size or None,
        "seed": row.seed,
        "stages": list(row.stages),
        "prompt_id": row.prompt_id,
        "prompt": None if redact else prompt,
        "tags": list(row.tags),
    }
