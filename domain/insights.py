"""Insights: for each value of a setting, how its runs were rated and how sure we can be.

Every number is explained in docs/insights.md. Values are frozen; ``to_dict`` gives plain JSON
values with floats rounded to ``DECIMALS`` places, so the same history gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from domain.errors import StableNewError
from domain.pairwise import PairwiseFit

Verdict = Literal["best", "indistinguishable", "worse", "not_enough_data"]
Evidence = Literal["controlled", "observational"]

PARAMETERS: tuple[str, ...] = (
    "model", "sampler", "scheduler", "steps", "cfg", "size", "denoising", "upscaler", "preset",
)  # fmt: skip
"""The settings compared, in report order: ``denoising`` is img2img's denoising strength, ``upscaler``
the upscale stage's upscaler, ``preset`` the name of the preset a run applied."""
DECIMALS = 4
PERSONS = "persons"
"""The rater key of every person's ratings together (``--by-rater`` keeps each person apart)."""


class InsightsError(StableNewError, ValueError):
    """Insights cannot be given; ``usage`` says the request was wrong rather than the history too thin."""

    def __init__(self, message: str, *, usage: bool = False) -> None:
        super().__init__(message)
        self.usage = usage


def parse_parameters(text: str | None) -> tuple[str, ...]:
    """``"sampler,steps"`` as parameter names in report order; None or empty means all of them."""
    if text is None or not text.strip():
        return PARAMETERS
    wanted = {name.strip().casefold() for name in text.split(",") if name.strip()}
    unknown = sorted(wanted - set(PARAMETERS))
    if unknown:
        raise InsightsError(
            f"--param: unknown parameter {unknown[0]!r}; expected some of {', '.join(PARAMETERS)}", usage=True
        )
    return tuple(name for name in PARAMETERS if name in wanted)


def rater_key(kind: str, name: str, version: str | None, *, by_rater: bool) -> str:
    """Whose ratings are counted together: all persons (or each person), each scorer name+version."""
    if kind == "scorer":
        return f"scorer:{name}@{version}"
    return f"person:{name}" if by_rater else PERSONS


@dataclass(frozen=True, slots=True)
class ValueEvidence:
    """One value of one parameter: its runs, its ratings and the verdict against the best value.

    ``mean*`` is None without ratings; ``diff*`` is None for the leading value and values without
    ratings; ``more_ratings_needed`` is about how many more ratings of this value (and of the value
    it is compared with) would settle the verdict, None when no number would in practice.
    """

    parameter: str
    value: str
    runs: int
    ratings: int
    raters: int
    mean: float | None
    mean_low: float | None
    mean_high: float | None
    top_share: float | None
    top_low: float | None
    top_high: float | None
    diff_to_best: float | None
    diff_low: float | None
    diff_high: float | None
    failures: int
    failure_rate: float
    verdict: Verdict
    more_ratings_needed: int | None
    evidence: Evidence
    confounded_with: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        data = {name: _rounded(getattr(self, name)) for name in self.__dataclass_fields__}
        data["confounded_with"] = list(self.confounded_with)
        return data


@dataclass(frozen=True, slots=True)
class ParameterInsight:
    """Every value of one parameter within one scope and rater, best first."""

    parameter: str
    values: tuple[ValueEvidence, ...]

    @property
    def evidence(self) -> Evidence:
        controlled = all(v.evidence == "controlled" for v in self.values if v.ratings)
        return "controlled" if controlled else "observational"

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "evidence": self.evidence,
            "values": [value.to_dict() for value in self.values],
        }


@dataclass(frozen=True, slots=True)
class InsightScope:
    """Runs compared together: one prompt pack, one stage list and (``--per-model``) one model hash.

    ``model_hash`` is None when the scope's runs used more than one model (or none named a hash).
    """

    pack: str | None
    model_hash: str | None
    stages: tuple[str, ...]

    def sort_key(self) -> tuple[bool, str, bool, str, tuple[str, ...]]:
        """Packs by name (no pack last), then model hash, then stage list."""
        return (
            self.pack is None,
            self.pack or "",
            self.model_hash is None,
            self.model_hash or "",
            self.stages,
        )

    def to_dict(self) -> dict[str, Any]:
        return {"pack": self.pack, "model_hash": self.model_hash, "stages": list(self.stages)}


@dataclass(frozen=True, slots=True)
class Insights:
    """What one rater (``rater`` key) said about the runs of one scope, parameter by parameter.

    ``single_valued`` names the parameters left out because the scope's rated runs used one value.
    ``pairwise`` holds the Bradley-Terry scores of each parameter from this rater's choices between
    two runs of the scope that differ in that parameter alone (docs/insights-pairwise.md).
    """

    scope: InsightScope
    rater: str
    runs: int
    rated_runs: int
    parameters: tuple[ParameterInsight, ...]
    single_valued: tuple[str, ...]
    pairwise: tuple[PairwiseFit, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope.to_dict(),
            "rater": self.rater,
            "runs": self.runs,
            "rated_runs": self.rated_runs,
            "parameters": [parameter.to_dict() for parameter in self.parameters],
            "single_valued": list(self.single_valued),
            "pairwise": [_pairwise_dict(fit) for fit in self.pairwise],
        }


@dataclass(frozen=True, slots=True)
class InsightsReport:
    """Every scope and rater with something to compare, in a fixed order; ``orphan_ratings`` counts
    ratings of runs the records no longer hold (left out)."""

    insights: tuple[Insights, ...]
    orphan_ratings: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "insights": [insight.to_dict() for insight in self.insights],
            "orphan_ratings": self.orphan_ratings,
        }


def _pairwise_dict(fit: PairwiseFit) -> dict[str, Any]:
    """A fit as plain JSON values: its parameter, groups and scores (rounded like everything else)."""
    return {
        "parameter": fit.parameter,
        "groups": fit.groups,
        "prior_strength": _rounded(fit.prior_strength),
        "bootstrap": fit.bootstrap,
        "seed": fit.seed,
        "scores": [
            {name: _rounded(getattr(score, name)) for name in score.__dataclass_fields__}
            for score in fit.scores
        ],
    }


def _rounded(value: object) -> object:
    # Adding 0.0 turns a rounded -0.0 into 0.0, so a zero is always written the same way.
    return round(value, DECIMALS) + 0.0 if isinstance(value, float) else value
