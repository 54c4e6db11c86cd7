"""Intervals for star ratings, standard library only: the method is written out in docs/insights.md.

- ``star_mean``: the mean star (1-5) under a Dirichlet posterior over the five stars, with a 95%
  interval from a Beta distribution on [1, 5] matched to that posterior's mean and variance.
- ``wilson``: the Wilson score interval of a share (of 4-5 star ratings).
- ``difference``: the difference of two posterior means with a normal interval.
- ``ratings_to_separate``: about how many more ratings of each would make a difference's interval
  leave zero, if the difference stayed what it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

STARS = (1, 2, 3, 4, 5)
PRIOR_PER_STAR = 1.0
"""Dirichlet(1, 1, 1, 1, 1): every star equally likely before any rating (a uniform prior)."""
LEVEL = 0.95
Z = NormalDist().inv_cdf(0.5 + LEVEL / 2)
SEPARATION_CAP = 100_000
"""Beyond this many more ratings of each, ``ratings_to_separate`` says None (not in practice)."""


@dataclass(frozen=True, slots=True)
class StarMean:
    """Posterior mean star with its 95% interval; ``variance`` is the posterior variance of the mean."""

    mean: float
    low: float
    high: float
    variance: float


def star_counts(ratings: Sequence[int]) -> tuple[int, ...]:
    """How many ratings gave 1, 2, 3, 4 and 5 stars."""
    return tuple(sum(1 for rating in ratings if rating == star) for star in STARS)


def star_mean(counts: Sequence[int], prior: float = PRIOR_PER_STAR) -> StarMean:
    """The mean star under Dirichlet(prior + counts), with a moment-matched Beta interval on [1, 5]."""
    alphas = [prior + count for count in counts]
    total = sum(alphas)
    first = sum(star * alpha for star, alpha in zip(STARS, alphas, strict=True)) / total
    second = sum(star * star * alpha for star, alpha in zip(STARS, alphas, strict=True)) / total
    variance = (second - first * first) / (total + 1)
    low, high = beta_interval((first - 1) / 4, variance / 16)
    return StarMean(first, 1 + 4 * low, 1 + 4 * high, variance)


def beta_interval(mean: float, variance: float, level: float = LEVEL) -> tuple[float, float]:
    """The central ``level`` interval of the Beta distribution with this mean and variance on [0, 1]."""
    common = mean * (1 - mean) / variance - 1
    a, b = mean * common, (1 - mean) * common
    tail = (1 - level) / 2
    return beta_ppf(tail, a, b), beta_ppf(1 - tail, a, b)


def beta_ppf(p: float, a: float, b: float) -> float:
    """The ``p`` quantile of Beta(a, b): Newton steps on the regularized incomplete beta, kept
    inside a shrinking bracket (a step that leaves it bisects instead)."""
    low, high = 0.0, 1.0
    mean, spread = a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    x = min(max(mean + NormalDist().inv_cdf(min(max(p, 1e-12), 1 - 1e-12)) * spread, 1e-9), 1 - 1e-9)
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    for _ in range(200):
        error = regularized_beta(x, a, b) - p
        if error > 0:
            high = x
        else:
            low = x
        density = math.exp(log_norm + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x))
        step = x - error / density if density > 0 else (low + high) / 2
        following = step if low < step < high else (low + high) / 2
        if abs(following - x) <= 1e-15 * max(x, 1e-300):
            return following
        x = following
    return x


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), by the continued fraction of Numerical Recipes (6.4), on the side where it converges."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(x, a, b) / a
    return 1 - front * _beta_fraction(1 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 100_000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return result


def wilson(successes: int, trials: int, z: float = Z) -> tuple[float, float]:
    """The Wilson score interval of the share ``successes / trials`` (trials > 0)."""
    share = successes / trials
    scale = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / scale
    half = z / scale * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def difference(value: StarMean, best: StarMean, z: float = Z) -> tuple[float, float, float]:
    """``value.mean - best.mean`` with a normal interval on the sum of the posterior variances."""
    diff = value.mean - best.mean
    half = z * math.sqrt(value.variance + best.variance)
    return diff, diff - half, diff + half


def ratings_to_separate(
    value: StarMean, best: StarMean, value_n: int, best_n: int, z: float = Z
) -> int | None:
    """About how many more ratings of each would make the difference's interval leave zero, if the
    means stayed where they are and each posterior variance shrank as one over its prior-plus-ratings
    count plus one; None when the means are equal or it would take more than SEPARATION_CAP."""
    gap = abs(value.mean - best.mean)
    if gap == 0:
        return None
    weight = len(STARS) * PRIOR_PER_STAR + 1  # Var = spread / (prior total + n + 1)
    spread_value = value.variance * (weight + value_n)
    spread_best = best.variance * (weight + best_n)

    def separated(more: int) -> bool:
        variance = spread_value / (weight + value_n + more) + spread_best / (weight + best_n + more)
        return z * math.sqrt(variance) < gap

    if not separated(SEPARATION_CAP):
        return None
    low, high = 0, SEPARATION_CAP  # separated(high) holds; find the smallest such number
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if separated(middle) else (middle, high)
    return high
