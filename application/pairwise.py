"""Bradley-Terry scores of one setting's values from pairwise choices: pure, standard library only.

The fit maximises, over one score ``s_v`` per value, the penalised log-likelihood

    F(s) = sum over choices (w, l) of log sigmoid(s_w - s_l)  -  (prior_strength / 2) * sum over v of s_v ** 2

where ``sigmoid(x) = 1 / (1 + exp(-x))``: Bradley-Terry with an independent Normal(0, 1 / prior_strength)
prior on every score, so a value that never lost still gets a finite score. F is strictly concave, so
its maximum is unique; it is found by Newton's method with the exact Hessian. docs/insights-pairwise.md
explains the choice of prior and the intervals.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from domain.pairwise import PairwiseFit, PairwiseScore, ParameterChoices

Choice = tuple[str, str]  # (winner value, loser value)
_Pair = tuple[int, int, int, int]  # (i, j, games between values i < j, games i won)

_MAX_NEWTON_STEPS = 100
# A full Newton step this small leaves an error of about its square: far below 1e-12.
_STEP_TOLERANCE = 1e-9


def fit_bradley_terry(
    parameter: str,
    choices: Sequence[Choice],
    *,
    prior_strength: float = 1.0,
    bootstrap: int = 200,
    seed: int = 0,
) -> PairwiseFit:
    """The MAP Bradley-Terry scores of ``parameter``'s values, with seeded bootstrap intervals.

    Each choice is (winner value, loser value). A choice between equal values is ignored, and a value
    in no other choice is absent. Values joined by no chain of choices are fitted apart, as separate
    groups, and never ranked against each other. The interval of a score is the 2.5th to 97.5th
    percentile of its scores refitted on ``bootstrap`` resamples (with replacement) of its group's
    choices, drawn from ``random.Random(seed)``; ``bootstrap=0`` gives no interval (low = high = score).
    The result does not depend on the order of ``choices``. ArithmeticError if the fit does not
    converge, which takes a prior_strength far below 1e-12.
    """
    if not (math.isfinite(prior_strength) and prior_strength > 0):
        raise ValueError(f"prior_strength must be a positive number, got {prior_strength!r}")
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be 0 or more resamples, got {bootstrap!r}")
    # Sorted first, so neither the fit nor the random resamples see the order the choices came in.
    kept = sorted((winner, loser) for winner, loser in choices if winner != loser)
    groups = _groups(kept)
    rng = random.Random(seed)
    scores: list[PairwiseScore] = []
    for number, group in enumerate(groups):
        fitted = _fit_connected(group, prior_strength)
        # A resample may leave a value out or split the group; each part is fitted apart, and a value
        # left out gets the prior's 0, which is what maximising F over all the group's values gives.
        resampled = [_map_scores(rng.choices(group, k=len(group)), prior_strength) for _ in range(bootstrap)]
        wins = Counter(winner for winner, _loser in group)
        losses = Counter(loser for _winner, loser in group)
        ranked: list[PairwiseScore] = []
        for value, score in fitted.items():
            draws = sorted(sample.get(value, 0.0) for sample in resampled) or [score]
            low, high = _percentile(draws, 2.5), _percentile(draws, 97.5)
            ranked.append(PairwiseScore(value, score, low, high, wins[value], losses[value], number))
        scores.extend(sorted(ranked, key=lambda score: (-score.score, score.value)))
    return PairwiseFit(parameter, tuple(scores), len(groups), prior_strength, bootstrap, seed)


def choices_by_parameter(
    pairs_of_run_settings: Iterable[tuple[Mapping[str, object], Mapping[str, object]]],
) -> ParameterChoices:
    """Sort choices between runs, given as (better run's settings, worse run's settings), by setting.

    Only a choice whose runs differ in exactly one setting says something about that setting alone: it
    becomes that setting's (winner value, loser value) pair, each value as ``str(value)``. A setting
    missing from a run counts as None. Choices whose runs differ in several settings, or in none, are
    only counted.
    """
    by_parameter: dict[str, list[Choice]] = {}
    several = identical = 0
    for better, worse in pairs_of_run_settings:
        differing = [name for name in better.keys() | worse.keys() if better.get(name) != worse.get(name)]
        if not differing:
            identical += 1
        elif len(differing) > 1:
            several += 1
        else:
            name = differing[0]
            by_parameter.setdefault(name, []).append((str(better.get(name)), str(worse.get(name))))
    return ParameterChoices(
        {name: tuple(pairs) for name, pairs in sorted(by_parameter.items())}, several, identical
    )


def _groups(choices: Sequence[Choice]) -> list[list[Choice]]:
    """The connected components of the comparison graph, as their choices (input order kept)."""
    parent: dict[str, str] = {}

    def root(value: str) -> str:
        while parent.setdefault(value, value) != value:
            parent[value] = parent[parent[value]]
            value = parent[value]
        return value

    for winner, loser in set(choices):
        parent[root(winner)] = root(loser)
    group_of = {value: root(value) for value in parent}
    members: dict[str, list[Choice]] = {}
    for choice in choices:
        members.setdefault(group_of[choice[0]], []).append(choice)

    def order(group: list[Choice]) -> tuple[int, int, str]:
        values = {value for choice in group for value in choice}
        return -len(group), -len(values), min(values)

    return sorted(members.values(), key=order)


def _map_scores(choices: Sequence[Choice], prior_strength: float) -> dict[str, float]:
    """The maximiser of F over the values in ``choices``: each connected group apart, as F allows."""
    return {
        value: score
        for group in _groups(choices)
        for value, score in _fit_connected(group, prior_strength).items()
    }


def _fit_connected(choices: Sequence[Choice], prior_strength: float) -> dict[str, float]:
    """The maximiser of F over the values of connected ``choices``, by damped Newton steps from zero.

    At the maximum the scores sum to zero (F's gradient sums to minus prior_strength times their sum),
    and so does every exact Newton step from zero: minus F's Hessian is a graph Laplacian L (L @ 1 == 0)
    plus prior_strength * I. Steps are solved with the mean diagonal entry added to every entry of that
    matrix, the same on sums of zero but not ill-conditioned along 1 when prior_strength is small, and
    then centred so that rounding cannot move the sum.
    """
    values = sorted({value for choice in choices for value in choice})
    index = {value: position for position, value in enumerate(values)}
    games: Counter[tuple[int, int]] = Counter()
    first_won: Counter[tuple[int, int]] = Counter()
    for winner, loser in choices:
        i, j = index[winner], index[loser]
        games[min(i, j), max(i, j)] += 1
        if i < j:
            first_won[i, j] += 1
    pairs = [(i, j, count, first_won[i, j]) for (i, j), count in sorted(games.items())]
    scores = [0.0] * len(values)
    for _ in range(_MAX_NEWTON_STEPS):
        gradient, curvature = _gradient_and_curvature(scores, pairs, prior_strength)
        shift = sum(curvature[k][k] for k in range(len(values))) / len(values)
        step = _solve_positive_definite(
            [[entry + shift for entry in row] for row in curvature], gradient, prior_strength
        )
        mean = sum(step) / len(step)
        step = [delta - mean for delta in step]
        gain = sum(g * d for g, d in zip(gradient, step, strict=True))  # twice F's predicted rise
        size = 1.0
        # Far from the top a full step can overshoot: halve it until F rises enough (Armijo). Near the
        # top F's rise is below its rounding error, and the full step is taken as it is.
        base = _objective(scores, pairs, prior_strength)
        if gain > 1e-9 * (1.0 + abs(base)):
            while (
                size > 1e-10
                and _objective(_moved(scores, step, size), pairs, prior_strength) < base + 0.25 * size * gain
            ):
                size /= 2
        scores = _moved(scores, step, size)
        if size == 1.0 and max(map(abs, step)) < _STEP_TOLERANCE:
            return dict(zip(values, scores, strict=True))
    # Only a prior_strength so small that a score runs to hundreds gets here (each step adds about 1/2).
    raise ArithmeticError(f"the fit did not converge in {_MAX_NEWTON_STEPS} Newton steps")


def _gradient_and_curvature(
    scores: Sequence[float], pairs: Sequence[_Pair], prior_strength: float
) -> tuple[list[float], list[list[float]]]:
    """F's gradient, and minus its Hessian (a weighted graph Laplacian plus the prior: positive definite)."""
    n = len(scores)
    gradient = [-prior_strength * score for score in scores]
    curvature = [[prior_strength if row == column else 0.0 for column in range(n)] for row in range(n)]
    for i, j, count, won in pairs:
        # p and q = 1 - p each computed directly: 1 - p rounds to 0 once i leads by 37 or more.
        p, q = _sigmoid(scores[i] - scores[j]), _sigmoid(scores[j] - scores[i])
        gradient[i] += won * q - (count - won) * p
        gradient[j] -= won * q - (count - won) * p
        weight = count * p * q
        curvature[i][i] += weight
        curvature[j][j] += weight
        curvature[i][j] -= weight
        curvature[j][i] -= weight
    return gradient, curvature


def _objective(scores: Sequence[float], pairs: Sequence[_Pair], prior_strength: float) -> float:
    likelihood = sum(
        won * _log_sigmoid(scores[i] - scores[j]) + (count - won) * _log_sigmoid(scores[j] - scores[i])
        for i, j, count, won in pairs
    )
    return likelihood - prior_strength / 2 * sum(score * score for score in scores)


def _solve_positive_definite(
    matrix: Sequence[Sequence[float]], rhs: Sequence[float], floor: float
) -> list[float]:
    """x with ``matrix @ x == rhs``, by Cholesky; every eigenvalue of ``matrix`` is at least ``floor``."""
    n = len(rhs)
    lower = [[0.0] * n for _ in range(n)]
    for row in range(n):
        for column in range(row + 1):
            rest = matrix[row][column] - sum(lower[row][k] * lower[column][k] for k in range(column))
            if row == column:
                # An exact pivot is never below the smallest eigenvalue; rounding must not take it lower.
                lower[row][row] = math.sqrt(max(rest, floor))
            else:
                lower[row][column] = rest / lower[column][column]
    forward: list[float] = []
    for row in range(n):
        forward.append((rhs[row] - sum(lower[row][k] * forward[k] for k in range(row))) / lower[row][row])
    solution = [0.0] * n
    for row in reversed(range(n)):
        rest = forward[row] - sum(lower[k][row] * solution[k] for k in range(row + 1, n))
        solution[row] = rest / lower[row][row]
    return solution


def _moved(scores: Sequence[float], step: Sequence[float], size: float) -> list[float]:
    return [score + size * delta for score, delta in zip(scores, step, strict=True)]


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    exp_x = math.exp(x)
    return exp_x / (1.0 + exp_x)


def _log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def _percentile(ordered: Sequence[float], percent: float) -> float:
    """Linear interpolation between the closest ranks of an ascending, non-empty sequence."""
    position = percent / 100 * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])
