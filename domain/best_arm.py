"""Best-arm identification by successive elimination over star-rating intervals (docs/plans.md).

Each arm (a plan's combination of axis values) has the star ratings of its runs. The leader is the
arm with the highest posterior mean star (``rating_intervals.star_mean``, as insights computes it).
Another arm leaves the race when the interval of its difference to the leader
(``rating_intervals.difference``) lies below zero at a z that shares ``1 - confidence`` among the
``arms - 1`` rivals of the leader (Bonferroni). The race is won when one arm is left.

Looking again after every round is not corrected for: a correction that holds over every look
(sharing the 5% among them) kept the simulated races from ever naming a winner within a plan's
samples, while the uncorrected rule named a wrong winner in none of them (bench/adaptive_bench.py,
docs/performance.md). The bench states how often the rule picks the true best.

The rule is recomputed from all ratings at every look, so an arm that fell behind by chance can
come back when the leader's ratings sink: there is no state to lose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from domain.rating_intervals import StarMean, difference, star_counts, star_mean


@dataclass(frozen=True, slots=True)
class ArmEstimate:
    """One arm's ratings: ``star`` holds the posterior mean with its 95% interval."""

    arm: int
    ratings: int
    star: StarMean


@dataclass(frozen=True, slots=True)
class Race:
    """Where a race stands: every arm's estimate (by arm), the arms still in it (best first) and its
    winner once one arm is left."""

    arms: Mapping[int, ArmEstimate]
    in_race: tuple[int, ...]
    z: float

    @property
    def leader(self) -> ArmEstimate | None:
        """The rated arm with the highest mean star (None before any rating)."""
        return self.arms[self.in_race[0]] if self.in_race and self.arms[self.in_race[0]].ratings else None

    @property
    def winner(self) -> ArmEstimate | None:
        """The only arm left, when it has ratings."""
        return self.leader if len(self.in_race) == 1 else None


def elimination_z(arms: int, confidence: float) -> float:
    """The z a lead must clear over each rival among ``arms`` arms."""
    share = (1 - confidence) / max(arms - 1, 1)
    return NormalDist().inv_cdf(1 - share / 2)


def race(ratings: Mapping[int, Sequence[int]], confidence: float) -> Race:
    """The race among the arms of ``ratings`` (arm -> its 1-5 star ratings)."""
    estimates = {
        arm: ArmEstimate(arm, len(stars), star_mean(star_counts(stars))) for arm, stars in ratings.items()
    }
    z = elimination_z(len(estimates), confidence)
    ranked = sorted(estimates.values(), key=lambda estimate: (-estimate.star.mean, estimate.arm))
    if not ranked:
        return Race(estimates, (), z)
    leader = ranked[0]
    kept = [leader.arm]
    for rival in ranked[1:]:
        unrated = rival.ratings == 0 or leader.ratings == 0
        if unrated or difference(rival.star, leader.star, z)[2] >= 0:
            kept.append(rival.arm)
    return Race(estimates, tuple(kept), z)
