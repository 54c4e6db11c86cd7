"""Bradley-Terry scores from pairwise choices, checked against scipy minimising the same objective."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import expit

from application.pairwise import Choice, choices_by_parameter, fit_bradley_terry
from domain.pairwise import PairwiseFit

AGREEMENT = 1e-6
MinusF = Callable[[np.ndarray], float]
Gradient = Callable[[np.ndarray], np.ndarray]


def objective_gradient(
    choices: Sequence[Choice], prior_strength: float, values: Sequence[str] = ()
) -> tuple[list[str], MinusF, Gradient]:
    """Minus F (application/pairwise.py) and its gradient, one term per choice, over every value at once.

    The values are those of the choices, and ``values`` besides.
    """
    kept = [(winner, loser) for winner, loser in choices if winner != loser]
    values = sorted({value for choice in kept for value in choice} | set(values))
    index = {value: position for position, value in enumerate(values)}
    winners = np.array([index[winner] for winner, _loser in kept])
    losers = np.array([index[loser] for _winner, loser in kept])

    def minus_f(s: np.ndarray) -> float:
        return float(np.logaddexp(0.0, -(s[winners] - s[losers])).sum() + prior_strength / 2 * s @ s)

    def gradient(s: np.ndarray) -> np.ndarray:
        pull = expit(-(s[winners] - s[losers]))
        result = prior_strength * s
        np.add.at(result, winners, -pull)
        np.add.at(result, losers, pull)
        return result

    return values, minus_f, gradient


def scipy_scores(
    choices: Sequence[Choice], prior_strength: float, values: Sequence[str] = ()
) -> dict[str, float]:
    """Minus F minimised by BFGS over every value at once, groups and all: no Newton step, no grouping."""
    values, minus_f, gradient = objective_gradient(choices, prior_strength, values)
    s = np.zeros(len(values))
    for _ in range(3):  # a restart forgets the line search's rounding-limited state and gains a digit or so
        s = minimize(minus_f, s, jac=gradient, method="BFGS", options={"gtol": 1e-12, "maxiter": 10_000}).x
    assert np.abs(gradient(s)).max() < 1e-7
    return dict(zip(values, map(float, s), strict=True))


def simulated(strengths: dict[str, float], count: int, rng: random.Random) -> list[Choice]:
    """``count`` choices between random pairs, the first winning with probability sigmoid(s_a - s_b)."""
    values = sorted(strengths)
    choices: list[Choice] = []
    for _ in range(count):
        a, b = rng.sample(values, 2)
        a_wins = rng.random() < 1 / (1 + math.exp(strengths[b] - strengths[a]))
        choices.append((a, b) if a_wins else (b, a))
    return choices


def scores_of(fit: PairwiseFit) -> dict[str, float]:
    return {score.value: score.score for score in fit.scores}


UNBEATEN = [("a", "b")] * 6 + [("b", "c"), ("c", "b"), ("b", "c")]
TWO_GROUPS = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "c"), ("x", "y"), ("y", "x"), ("x", "y")]
CHOICES = {
    "unbeaten": UNBEATEN,
    "two groups": TWO_GROUPS,
    "simulated": simulated({f"v{k}": k / 3 for k in range(7)}, 300, random.Random(7)),
    "separated chain": [("a", "b")] * 40 + [("b", "c")] * 40 + [("c", "d")],
}


@pytest.mark.parametrize("prior_strength", [0.05, 1.0, 20.0])
@pytest.mark.parametrize("name", sorted(CHOICES))
def test_scores_agree_with_scipy_minimising_the_same_objective(name: str, prior_strength: float) -> None:
    choices = CHOICES[name]

    fitted = scores_of(fit_bradley_terry("p", choices, prior_strength=prior_strength, bootstrap=0))
    expected = scipy_scores(choices, prior_strength)

    assert fitted.keys() == expected.keys()
    assert max(abs(fitted[value] - expected[value]) for value in expected) < AGREEMENT


@pytest.mark.parametrize("prior_strength", [0.05, 1.0, 20.0])
@pytest.mark.parametrize("name", sorted(CHOICES))
def test_scores_make_the_gradient_of_the_objective_vanish(name: str, prior_strength: float) -> None:
    values, _minus_f, gradient = objective_gradient(CHOICES[name], prior_strength)

    fitted = scores_of(fit_bradley_terry("p", CHOICES[name], prior_strength=prior_strength, bootstrap=0))

    assert np.abs(gradient(np.array([fitted[value] for value in values]))).max() < 1e-9


def test_an_unbeaten_value_gets_a_finite_score_and_ranks_first() -> None:
    fit = fit_bradley_terry("sampler", [("Euler", "DDIM")] * 50, bootstrap=20)

    best, worst = fit.scores
    assert (best.value, best.wins, best.losses) == ("Euler", 50, 0)
    assert all(map(math.isfinite, (best.low, best.score, best.high)))
    # Two values: F's stationary point is 50 * sigmoid(-2x) == x, with score x and -x.
    assert 50 * (1 / (1 + math.exp(2 * best.score))) == pytest.approx(best.score, abs=1e-9)
    assert worst.score == pytest.approx(-best.score, abs=1e-12)


def test_disconnected_groups_are_fitted_and_reported_apart() -> None:
    fit = fit_bradley_terry("cfg", TWO_GROUPS, bootstrap=10)

    assert fit.groups == 2
    assert [(score.group, score.value) for score in fit.scores] == [
        (0, "a"),
        (0, "b"),
        (0, "c"),
        (1, "x"),
        (1, "y"),
    ]
    alone = scores_of(fit_bradley_terry("cfg", TWO_GROUPS[4:], bootstrap=0))
    assert {value: scores_of(fit)[value] for value in alone} == alone
    # The prior centres every group on zero by itself.
    for group in range(2):
        assert sum(score.score for score in fit.scores if score.group == group) == pytest.approx(0, abs=1e-12)


def test_groups_are_numbered_by_decreasing_number_of_choices() -> None:
    fit = fit_bradley_terry(
        "cfg",
        [("z", "y"), ("b", "a"), ("b", "a"), ("m", "n"), ("n", "o"), ("a", "b"), ("b", "a")],
        bootstrap=0,
    )

    assert [(score.group, score.value) for score in fit.scores] == [
        (0, "b"),
        (0, "a"),
        (1, "m"),
        (1, "n"),
        (1, "o"),
        (2, "z"),
        (2, "y"),
    ]


def test_permuting_the_input_gives_identical_output() -> None:
    choices = CHOICES["simulated"] + TWO_GROUPS[4:]
    fit = fit_bradley_terry("steps", choices, bootstrap=30, seed=3)

    for shuffle_seed in range(3):
        shuffled = list(choices)
        random.Random(shuffle_seed).shuffle(shuffled)
        assert shuffled != choices
        assert fit_bradley_terry("steps", shuffled, bootstrap=30, seed=3) == fit


def test_the_same_seed_gives_the_same_intervals_and_another_seed_other_ones() -> None:
    def intervals(seed: int) -> list[tuple[float, float]]:
        fit = fit_bradley_terry("steps", UNBEATEN, bootstrap=40, seed=seed)
        return [(score.low, score.high) for score in fit.scores]

    assert intervals(1) == intervals(1)
    assert intervals(1) != intervals(2)


def test_the_interval_is_the_percentiles_of_scipy_fits_of_the_documented_resamples() -> None:
    # "d" is in one choice of 10, so about a third of the resamples leave it out: F then gives it 0.
    choices = [*UNBEATEN, ("d", "c")]
    rng = random.Random(11)
    resamples = [rng.choices(sorted(choices), k=len(choices)) for _ in range(40)]
    refitted = [scipy_scores(resample, 1.0, values="abcd") for resample in resamples]

    fit = fit_bradley_terry("cfg", list(reversed(choices)), bootstrap=40, seed=11)

    assert any("d" not in {value for choice in resample for value in choice} for resample in resamples)
    for score in fit.scores:
        low, high = np.percentile([scores[score.value] for scores in refitted], [2.5, 97.5])
        assert score.low == pytest.approx(low, abs=AGREEMENT)
        assert score.high == pytest.approx(high, abs=AGREEMENT)


def test_the_interval_is_the_bootstrap_percentiles_and_brackets_a_well_supported_score() -> None:
    fit = fit_bradley_terry("steps", CHOICES["simulated"], bootstrap=100, seed=5)

    for score in fit.scores:
        assert score.low < score.score < score.high
        assert score.high - score.low < 2


@pytest.mark.parametrize(
    "choices",
    [[], [("a", "a")], [("a", "a"), ("b", "b")]],
    ids=["no choices", "one value", "only choices between equal values"],
)
def test_no_usable_choice_gives_no_scores(choices: list[Choice]) -> None:
    assert fit_bradley_terry("cfg", choices) == PairwiseFit("cfg", (), 0, 1.0, 200, 0)


def test_balanced_choices_tie_at_zero_and_equal_values_are_ignored() -> None:
    fit = fit_bradley_terry("cfg", [("a", "b"), ("b", "a"), ("a", "a")] * 3, bootstrap=50)

    assert [(score.value, score.score, score.wins, score.losses) for score in fit.scores] == [
        ("a", 0.0, 3, 3),
        ("b", 0.0, 3, 3),
    ]
    assert fit.scores[0].low < 0 < fit.scores[0].high


def test_no_bootstrap_gives_an_interval_of_the_score_alone() -> None:
    for score in fit_bradley_terry("cfg", UNBEATEN, bootstrap=0).scores:
        assert score.low == score.score == score.high


@pytest.mark.parametrize(
    ("prior_strength", "bootstrap"), [(0.0, 10), (-1.0, 10), (math.nan, 10), (math.inf, 10), (1.0, -1)]
)
def test_a_prior_that_is_not_positive_or_a_negative_bootstrap_is_refused(
    prior_strength: float, bootstrap: int
) -> None:
    with pytest.raises(ValueError, match=r"^(prior_strength|bootstrap) must be"):
        fit_bradley_terry("cfg", UNBEATEN, prior_strength=prior_strength, bootstrap=bootstrap)


def test_a_weaker_prior_spreads_the_scores() -> None:
    def spread(prior_strength: float) -> float:
        scores = scores_of(fit_bradley_terry("cfg", UNBEATEN, prior_strength=prior_strength, bootstrap=0))
        return max(scores.values()) - min(scores.values())

    assert spread(0.01) > spread(1.0) > spread(100.0) > 0


@settings(max_examples=60, deadline=None)
@given(
    choices=st.lists(st.tuples(st.sampled_from("abcdefg"), st.sampled_from("abcdefg")), max_size=40),
    seed=st.integers(0, 2**32),
)
def test_any_choices_give_finite_ordered_scores(choices: list[Choice], seed: int) -> None:
    fit = fit_bradley_terry("cfg", choices, bootstrap=5, seed=seed)

    kept = [choice for choice in choices if choice[0] != choice[1]]
    assert sorted(score.value for score in fit.scores) == sorted(
        {value for choice in kept for value in choice}
    )
    assert sum(score.wins for score in fit.scores) == sum(score.losses for score in fit.scores) == len(kept)
    assert sorted({score.group for score in fit.scores}) == list(range(fit.groups))
    for score in fit.scores:
        assert all(map(math.isfinite, (score.low, score.score, score.high)))
        assert score.low <= score.high
    for before, after in zip(fit.scores, fit.scores[1:], strict=False):
        assert (before.group, -before.score) <= (after.group, -after.score)


def test_simulated_choices_find_the_best_value_in_at_least_90_percent_of_trials() -> None:
    strengths = {"a": 0.0, "b": 0.25, "c": 0.5, "d": 0.75, "e": 1.0, "f": 1.5}

    found = sum(
        fit_bradley_terry("cfg", simulated(strengths, 300, random.Random(trial)), bootstrap=0).scores[0].value
        == "f"
        for trial in range(50)
    )

    assert found >= 45, f"the best value came first in {found} of 50 trials"


def test_only_choices_between_runs_differing_in_one_setting_are_kept() -> None:
    base = {"sampler": "Euler", "steps": 20, "cfg": 7.0}
    sorted_choices = choices_by_parameter(
        [
            ({**base, "steps": 30}, base),
            (base, {**base, "steps": 10}),
            ({**base, "cfg": 5}, base),
            ({**base, "cfg": 5, "steps": 30}, base),
            (base, {**base, "cfg": 7}),  # 7 == 7.0: no difference
            ({**base, "hires": True}, base),  # missing from the worse run: None
        ]
    )

    assert dict(sorted_choices.by_parameter) == {
        "cfg": (("5", "7.0"),),
        "hires": (("True", "None"),),
        "steps": (("30", "20"), ("20", "10")),
    }
    assert (sorted_choices.several, sorted_choices.identical) == (1, 1)
    fit = fit_bradley_terry("steps", sorted_choices.by_parameter["steps"], bootstrap=0)
    assert [score.value for score in fit.scores] == ["30", "20", "10"]
