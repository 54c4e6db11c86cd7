"""The insights' statistics against independent implementations (SciPy and NumPy, tests only)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from domain.rating_intervals import (
    PRIOR_PER_STAR,
    beta_ppf,
    difference,
    ratings_to_separate,
    regularized_beta,
    star_counts,
    star_mean,
    wilson,
)

SHAPES = (0.5, 1.0, 2.5, 7.0, 40.0, 333.3, 5000.0, 80_000.0)
COUNTS = (
    (0, 0, 0, 0, 0),
    (0, 0, 0, 0, 1),
    (1, 0, 0, 0, 0),
    (3, 1, 4, 1, 5),
    (0, 0, 0, 0, 12),
    (9, 0, 0, 0, 9),
    (120, 40, 310, 77, 2),
    (0, 0, 5000, 0, 0),
)
TOLERANCE = 1e-9


@pytest.mark.parametrize("a", SHAPES)
@pytest.mark.parametrize("b", SHAPES)
def test_beta_quantiles_match_scipy(a: float, b: float) -> None:
    for p in (1e-6, 0.025, 0.3, 0.5, 0.975, 1 - 1e-6):
        assert beta_ppf(p, a, b) == pytest.approx(stats.beta.ppf(p, a, b), abs=TOLERANCE)
    for x in (1e-4, 0.2, 0.5, 0.77, 0.9999):
        assert regularized_beta(x, a, b) == pytest.approx(stats.beta.cdf(x, a, b), abs=TOLERANCE)


def expected_star_mean(counts: tuple[int, ...]) -> tuple[float, float, float, float]:
    """Dirichlet moments from its covariance matrix, and the matched Beta's quantiles from SciPy."""
    alpha = np.array(counts, dtype=float) + PRIOR_PER_STAR
    total = alpha.sum()
    stars = np.arange(1, 6, dtype=float)
    share = alpha / total
    covariance = (np.diag(share) - np.outer(share, share)) / (total + 1)
    mean, variance = float(stars @ share), float(stars @ covariance @ stars)
    m, v = (mean - 1) / 4, variance / 16
    k = m * (1 - m) / v - 1
    low, high = stats.beta.ppf([0.025, 0.975], m * k, (1 - m) * k)
    return mean, 1 + 4 * float(low), 1 + 4 * float(high), variance


@pytest.mark.parametrize("counts", COUNTS)
def test_star_mean_matches_the_dirichlet_moments_and_the_matched_beta(counts: tuple[int, ...]) -> None:
    got = star_mean(counts)
    mean, low, high, variance = expected_star_mean(counts)
    assert got.mean == pytest.approx(mean, abs=TOLERANCE)
    assert got.variance == pytest.approx(variance, abs=TOLERANCE)
    assert got.low == pytest.approx(low, abs=TOLERANCE)
    assert got.high == pytest.approx(high, abs=TOLERANCE)


def test_star_counts_count_each_star() -> None:
    assert star_counts([5, 5, 1, 3]) == (1, 0, 1, 0, 2)


@given(star=st.integers(1, 5), n=st.integers(0, 20_000))
def test_agreeing_ratings_never_give_a_zero_width_interval_or_leave_one_to_five(star: int, n: int) -> None:
    counts = tuple(n if s == star else 0 for s in range(1, 6))
    got = star_mean(counts)
    assert 1 < got.low < got.mean < got.high < 5
    assert got.high - got.low > 1e-6


def expected_wilson(successes: int, trials: int) -> tuple[float, float]:
    """The Wilson bounds are the shares p where (p_hat - p)^2 = z^2 p (1 - p) / n: a quadratic's roots."""
    z = float(stats.norm.ppf(0.975))
    p_hat = successes / trials
    k = z * z / trials
    roots = np.roots([1 + k, -(2 * p_hat + k), p_hat * p_hat])
    low, high = sorted(float(r.real) for r in roots)
    return low, high


@pytest.mark.parametrize(("successes", "trials"), [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (517, 1000)])
def test_wilson_interval_solves_its_defining_equation(successes: int, trials: int) -> None:
    low, high = wilson(successes, trials)
    want_low, want_high = expected_wilson(successes, trials)
    assert low == pytest.approx(want_low, abs=TOLERANCE)
    assert high == pytest.approx(want_high, abs=TOLERANCE)


def test_difference_is_a_normal_interval_on_the_summed_variances() -> None:
    value, best = star_mean((2, 3, 4, 1, 0)), star_mean((0, 1, 2, 6, 9))
    diff, low, high = difference(value, best)
    want = stats.norm.interval(
        0.95, loc=value.mean - best.mean, scale=math.sqrt(value.variance + best.variance)
    )
    assert diff == pytest.approx(value.mean - best.mean, abs=TOLERANCE)
    assert (low, high) == pytest.approx(want, abs=TOLERANCE)


def test_ratings_to_separate_is_the_smallest_number_that_would() -> None:
    value, best = star_mean((1, 2, 3, 2, 1)), star_mean((0, 1, 2, 4, 3))
    needed = ratings_to_separate(value, best, 9, 10)
    assert needed is not None
    z = float(stats.norm.ppf(0.975))

    def separated(more: int) -> bool:
        spread_value = value.variance * (6 + 9)
        spread_best = best.variance * (6 + 10)
        half = z * math.sqrt(spread_value / (6 + 9 + more) + spread_best / (6 + 10 + more))
        return half < best.mean - value.mean

    assert separated(needed)
    assert not separated(needed - 1)


def test_equal_means_are_never_separated() -> None:
    same = star_mean((1, 1, 1, 1, 1))
    assert ratings_to_separate(same, same, 5, 5) is None
