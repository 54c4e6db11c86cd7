"""A seeded simulation: values with known true quality, noisy ratings; is a 'best' verdict right?

Each trial gives 2-5 sampler values a true quality (sometimes two share the top, so no value is
the best), rates each value's runs 0-40 times (the true quality plus noise, rounded and clipped to
1-5 stars), and asks weigh_parameter. A 'best' must name the unique true best in at least 95% of
the trials where one is named; otherwise the report must say 'not_enough_data' for the leader.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from domain import evidence
from domain.evidence import Rating, weigh_parameter
from domain.rating_intervals import Z
from tests.insights.rows import make_row

TRIALS = 1500
SEED = 20261202


@dataclass
class Outcome:
    trials: int = 0
    declared: int = 0
    right: int = 0
    unsure: int = 0


def simulate(trials: int = TRIALS, seed: int = SEED) -> Outcome:
    rnd = random.Random(seed)
    outcome = Outcome()
    for trial in range(trials):
        count = rnd.randint(2, 5)
        quality = [rnd.uniform(1.5, 4.5) for _ in range(count)]
        if rnd.random() < 0.25:  # a tie at the top: no value is the best
            quality[quality.index(min(quality))] = max(quality)
        noise = rnd.uniform(0.5, 1.5)
        rows, ratings = [], []
        for index, true in enumerate(quality):
            for n in range(rnd.randint(0, 40)):
                run_id = f"t{trial}v{index}n{n}"
                rows.append(make_row(run_id, sampler=f"s{index}", seed=n))
                stars = min(5, max(1, round(rnd.gauss(true, noise))))
                ratings.append(Rating(run_id, "alice", stars))
        insight = weigh_parameter("sampler", rows, ratings)
        if insight is None:
            continue
        outcome.trials += 1
        leader = insight.values[0]
        top = max(quality)
        unique_best = f"s{quality.index(top)}" if quality.count(top) == 1 else None
        if leader.verdict == "best":
            outcome.declared += 1
            outcome.right += leader.value == unique_best
        elif leader.verdict == "not_enough_data":
            outcome.unsure += 1
    return outcome


def test_a_best_verdict_names_the_true_best_in_at_least_95_percent_of_cases() -> None:
    outcome = simulate()
    assert outcome.trials > 1000
    assert outcome.declared > 200  # the rule does name a best when the data allow it
    assert outcome.right / outcome.declared >= 0.95
    # every trial without a (right) best ended as 'not enough data', never silently wrong
    assert outcome.declared + outcome.unsure == outcome.trials


def test_the_check_has_teeth_the_plain_95_percent_rule_for_the_leader_fails_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Picking the leader by looking and then testing it at 95% names a wrong best too often."""
    monkeypatch.setattr(evidence, "family_z", lambda values: Z)
    outcome = simulate()
    assert outcome.right / outcome.declared < 0.95


if __name__ == "__main__":
    result = simulate()
    print(result, f"right: {result.right / result.declared:.3f}")
