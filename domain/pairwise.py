"""Pairwise scores: how strongly each value of one setting was preferred in "run A better than run B" choices.

The model and its prior are described in docs/insights-pairwise.md; application/pairwise.py fits them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PairwiseScore:
    """One value's Bradley-Terry score on the log-odds scale, with its bootstrap interval.

    Within a group, ``value`` beats a value scored ``t`` with probability ``1 / (1 + exp(t - score))``;
    scores of different groups are not comparable. ``low`` and ``high`` are the 2.5th and 97.5th
    percentiles of the bootstrap scores (equal to ``score`` when no bootstrap was asked for); a
    shrunk ``score`` may lie outside them. ``wins`` and ``losses`` count the choices fitted.
    """

    value: str
    score: float
    low: float
    high: float
    wins: int
    losses: int
    group: int


@dataclass(frozen=True, slots=True)
class PairwiseFit:
    """The scores of every value of ``parameter`` that took part in a choice.

    ``scores`` lists group 0 first, then group 1..., best first within a group. A group is a set of
    values joined by a chain of choices; groups are numbered by decreasing number of choices, then of
    values, then by their first value's text. The other fields are the inputs that produced the fit.
    """

    parameter: str
    scores: tuple[PairwiseScore, ...]
    groups: int
    prior_strength: float
    bootstrap: int
    seed: int


@dataclass(frozen=True, slots=True)
class ParameterChoices:
    """Choices between runs, sorted by what they can tell about single settings.

    ``by_parameter`` maps a setting to the (winner value, loser value) pairs of the choices whose two
    runs differ in that setting alone. ``several`` counts the choices whose runs differ in more than
    one setting and ``identical`` those whose runs differ in none; neither kind is fitted.
    """

    by_parameter: Mapping[str, tuple[tuple[str, str], ...]]
    several: int
    identical: int
