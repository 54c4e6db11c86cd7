"""The lines ``plan run`` and ``plan status`` print of an adaptive plan's race (docs/plans.md)."""

from __future__ import annotations

from typing import Any

from domain.best_arm import ArmEstimate
from domain.plan_adaptive import RaceOutcome, RaceState


def arm_text(outcome: RaceOutcome, estimate: ArmEstimate) -> str:
    star = estimate.star
    if not estimate.ratings:
        return f"{outcome.label(estimate.arm)} (no rating yet)"
    return (
        f"{outcome.label(estimate.arm)}, mean {star.mean:.2f} [{star.low:.2f}, {star.high:.2f}] "
        f"over {estimate.ratings} rating(s)"
    )


def racing(outcome: RaceOutcome) -> str:
    names = "; ".join(outcome.label(arm) for arm in outcome.race.in_race)
    return f"still in the race ({len(outcome.race.in_race)} of {len(outcome.race.arms)}): {names}"


def race_lines(outcome: RaceOutcome, *, budget_spent: bool = False) -> list[str]:
    """What the race says: its winner, that there is none, what it waits for, or its leader."""
    race = outcome.race
    if outcome.state is RaceState.WON and race.winner is not None:
        return [f"winner: {arm_text(outcome, race.winner)}; every other combination is out of the race"]
    lines: list[str] = []
    if not race.in_race:
        return ["no confident winner: every combination failed (see the failed cells)"]
    if outcome.state is RaceState.SPENT or budget_spent:
        spent = "the plan's prompts and seeds are spent" if not budget_spent else "the budget is spent"
        lines.append(f"no confident winner ({spent}); {racing(outcome)}")
    if race.leader is not None:
        lines.append(f"leader: {arm_text(outcome, race.leader)}")
    if outcome.state is RaceState.WAITING and outcome.unrated:
        waiting = "; ".join(f"{outcome.label(arm)} ({runs} run(s))" for arm, runs in outcome.unrated.items())
        lines.append(
            f"waiting for ratings: rate the runs of {waiting} "
            "(`stablenew review` or `stablenew records rate`), then `plan run` again continues"
        )
    if outcome.state is not RaceState.SPENT and not budget_spent:
        lines.append(racing(outcome))
    return lines


def race_json(outcome: RaceOutcome) -> dict[str, Any]:
    def arm(estimate: ArmEstimate) -> dict[str, Any]:
        star = estimate.star
        return {
            "values": dict(outcome.variants[estimate.arm].values),
            "index": estimate.arm,
            "ratings": estimate.ratings,
            "mean": star.mean,
            "low": star.low,
            "high": star.high,
            "in_race": estimate.arm in outcome.race.in_race,
        }

    winner = outcome.race.winner
    return {
        "state": str(outcome.state),
        "leader": arm(outcome.race.leader) if outcome.race.leader else None,
        "winner": arm(winner) if winner else None,
        "in_race": [outcome.label(index) for index in outcome.race.in_race],
        "arms": [arm(estimate) for estimate in outcome.race.arms.values()],
        "waiting_for": {outcome.label(index): runs for index, runs in (outcome.unrated or {}).items()},
    }
