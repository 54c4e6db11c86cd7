"""The best-arm rule (domain.best_arm) and the adaptive design's rounds (domain.plan_adaptive)."""

from __future__ import annotations

import random

from domain.best_arm import elimination_z, race
from domain.plan import LearningPlan
from domain.plan_adaptive import RaceState, adaptive_outcome
from domain.plan_cells import LearningRunStep, plan_steps
from domain.plan_journal import CellAttempt, PlanJournal


def _stars(rng: random.Random, quality: float, count: int) -> list[int]:
    return [min(5, max(1, round(rng.gauss(quality, 1.0)))) for _ in range(count)]


def test_a_clearly_better_arm_wins_a_seeded_race() -> None:
    rng = random.Random(7)
    ratings = {0: _stars(rng, 2.5, 30), 1: _stars(rng, 4.5, 30), 2: _stars(rng, 2.0, 30)}
    standing = race(ratings, 0.95)
    assert standing.in_race == (1,)
    assert standing.winner is not None
    assert standing.winner.arm == 1
    assert standing.winner.star.low > 3.5


def test_close_arms_stay_in_the_race_and_the_leader_is_the_higher_mean() -> None:
    rng = random.Random(11)
    ratings = {0: _stars(rng, 3.0, 5), 1: _stars(rng, 3.2, 5)}
    standing = race(ratings, 0.95)
    assert set(standing.in_race) == {0, 1}
    assert standing.winner is None
    leader = standing.leader
    assert leader is not None
    assert leader.star.mean == max(standing.arms[0].star.mean, standing.arms[1].star.mean)


def test_an_unrated_arm_is_never_eliminated_and_no_ratings_means_no_leader() -> None:
    assert race({0: [], 1: []}, 0.95).leader is None
    standing = race({0: [5] * 20, 1: []}, 0.95)
    assert set(standing.in_race) == {0, 1}


def test_more_confidence_and_more_arms_ask_a_larger_lead() -> None:
    assert elimination_z(2, 0.99) > elimination_z(2, 0.95)
    assert elimination_z(6, 0.95) > elimination_z(2, 0.95)


PLAN = {
    "name": "adaptive",
    "pack": "tests",
    "prompts": ["a", "b"],
    "seeds": [1, 2, 3],
    "axes": [{"key": "steps", "values": [10, 20, 30]}],
    "design": {"kind": "adaptive", "warmup": 2, "per_round": 2, "confidence": 0.95},
}


def _setup() -> tuple[LearningPlan, tuple[LearningRunStep, ...], PlanJournal]:
    plan = LearningPlan.from_dict(PLAN)
    return plan, plan_steps(plan, {}), PlanJournal()


def _run(journal: PlanJournal, steps: tuple[LearningRunStep, ...], status: str = "succeeded") -> None:
    for step in steps:
        number = journal.next_attempt(step.cell_id)
        journal.add(CellAttempt(f"{step.cell_id}-{number}", step.cell_id, number, status))


def _rate(journal: PlanJournal, steps: tuple[LearningRunStep, ...], ratings: dict[str, list[int]]) -> None:
    stars = {10: 1, 20: 5, 30: 2}
    for step in steps:
        attempt = journal.succeeded(step.cell_id)
        assert attempt is not None
        ratings[attempt.run_id] = [stars[int(step.variant.values["steps"])]]


def test_warm_up_then_waiting_for_ratings_then_rounds_of_the_arms_still_racing_then_a_winner() -> None:
    plan, steps, journal = _setup()
    ratings: dict[str, list[int]] = {}
    warm = adaptive_outcome(plan, steps, journal, ratings)
    assert warm.state is RaceState.WARMING_UP
    assert len(warm.batch) == 6  # 2 samples (seed 1, prompts a and b) x 3 arms
    assert {step.seed for step in warm.batch} == {1}
    _run(journal, warm.batch)
    waiting = adaptive_outcome(plan, steps, journal, ratings)
    assert waiting.state is RaceState.WAITING
    assert waiting.batch == ()
    assert dict(waiting.unrated or {}) == {0: 2, 1: 2, 2: 2}
    _rate(journal, warm.batch, ratings)
    rounds = 0
    while (outcome := adaptive_outcome(plan, steps, journal, ratings)).state is RaceState.RUNNING:
        rounds += 1
        assert len({step.variant.index for step in outcome.batch}) == len(outcome.race.in_race)
        _run(journal, outcome.batch)
        _rate(journal, outcome.batch, ratings)
    assert outcome.state in (RaceState.WON, RaceState.SPENT)
    leader = outcome.race.leader
    assert leader is not None
    assert outcome.label(leader.arm) == "steps=20"
    assert rounds >= 1


def test_the_race_is_spent_when_the_prompts_and_seeds_run_out_without_a_winner() -> None:
    plan, steps, journal = _setup()
    ratings: dict[str, list[int]] = {}
    while (outcome := adaptive_outcome(plan, steps, journal, ratings)).batch:
        _run(journal, outcome.batch)
        for step in outcome.batch:
            attempt = journal.succeeded(step.cell_id)
            assert attempt is not None
            ratings[attempt.run_id] = [3]  # every arm alike
    assert outcome.state is RaceState.SPENT
    assert len(outcome.race.in_race) == 3
    assert all(journal.succeeded(step.cell_id) for step in steps)


def test_an_arm_whose_cell_failed_for_good_leaves_the_race() -> None:
    plan, steps, journal = _setup()
    warm = adaptive_outcome(plan, steps, journal, {})
    failing = [step for step in warm.batch if step.variant.values["steps"] == 30]
    _run(journal, tuple(step for step in warm.batch if step not in failing))
    for step in failing:
        journal.add(CellAttempt(f"{step.cell_id}-f", step.cell_id, 1, "failed", error="out of memory"))
    outcome = adaptive_outcome(plan, steps, journal, {})
    assert outcome.state is RaceState.WAITING
    assert set(outcome.race.arms) == {0, 1}


def test_a_race_whose_every_combination_failed_is_spent() -> None:
    plan, steps, journal = _setup()
    for step in adaptive_outcome(plan, steps, journal, {}).batch:
        journal.add(CellAttempt(f"{step.cell_id}-f", step.cell_id, 1, "failed", error="out of memory"))
    outcome = adaptive_outcome(plan, steps, journal, {})
    assert outcome.state is RaceState.SPENT
    assert outcome.batch == ()
    assert outcome.race.in_race == ()
