"""Presets: the setting values that were confidently rated best, with the evidence for each.

A preset is derived from insights (docs/presets.md): only a value with the verdict ``best`` goes in,
so settings the ratings do not settle keep coming from the usual layers. A preset never sets the prompt.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from domain.errors import StableNewError

SettingValue = str | int | float

SETTING_TYPES: Mapping[str, type] = MappingProxyType(
    {
        "model": str,
        "sampler": str,
        "scheduler": str,
        "steps": int,
        "cfg_scale": float,
        "width": int,
        "height": int,
    }
)
"""The pipeline settings a preset may hold, and the type of each."""

SETTINGS_OF_PARAMETER: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "model": ("model",),
        "sampler": ("sampler",),
        "scheduler": ("scheduler",),
        "steps": ("steps",),
        "cfg": ("cfg_scale",),
        "size": ("width", "height"),
    }
)
"""The pipeline settings behind each insights parameter (a size is a width and a height)."""

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""A preset's name is also its file name, so it stays a plain, portable one."""


class PresetError(StableNewError, ValueError):
    """A preset that cannot be read, written or used; the message is one line naming the key."""


class PresetNotFound(PresetError):
    """No preset of that name is stored."""


class PresetExists(PresetError):
    """A preset of that name is already stored and overwriting was not asked for."""


class NothingConfident(PresetError):
    """The ratings name no value confidently best: there is nothing to put in a preset."""


def check_name(name: str) -> str:
    """``name`` if it can name a preset (letters, digits, ``.``, ``_``, ``-``; 1-64); else PresetError."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise PresetError(
            f"invalid preset name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    return name


def parameter_values(parameter: str, value: str) -> dict[str, SettingValue]:
    """The pipeline settings an insights value stands for (``size`` ``"768x512"``: width and height)."""
    try:
        if parameter == "size":
            width, _, height = value.partition("x")
            return {"width": int(width), "height": int(height)}
        (setting,) = SETTINGS_OF_PARAMETER[parameter]
        kind = SETTING_TYPES[setting]
        return {setting: kind(value)}
    except (KeyError, ValueError):
        raise PresetError(f"insights value {value!r} of {parameter} is not a pipeline setting") from None


@dataclass(frozen=True, slots=True)
class SettingEvidence:
    """Why one insights parameter's value is in the preset: it was rated best, clear of the runner-up."""

    value: str
    mean: float
    mean_low: float
    mean_high: float
    runner_up: str
    runner_up_mean: float
    ratings: int
    raters: int
    evidence: Literal["controlled", "observational"]

    def __post_init__(self) -> None:
        if self.evidence not in ("controlled", "observational"):
            raise PresetError(f"evidence must be 'controlled' or 'observational', not {self.evidence!r}")
        if not self.mean_low <= self.mean <= self.mean_high:
            raise PresetError(f"mean {self.mean} lies outside its interval {self.mean_low}-{self.mean_high}")
        if self.ratings < 1 or self.raters < 1:
            raise PresetError("ratings and raters must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Preset:
    """A named set of pipeline settings and where they came from.

    ``pack`` and ``model`` are the filters the insights were asked with (``model`` empty: every model);
    ``model_hash`` is the one model hash of the compared runs (empty when they used several);
    ``fingerprint`` is the sha256 of the canonical insights report it was derived from; ``rater`` says
    whose ratings counted. ``evidence`` is keyed by insights parameter (``cfg``, ``size``...).
    """

    name: str
    pack: str
    model: str
    model_hash: str
    created: str
    fingerprint: str
    rater: str
    stages: tuple[str, ...]
    settings: Mapping[str, SettingValue]
    evidence: Mapping[str, SettingEvidence] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_name(self.name)
        if not self.settings:
            raise PresetError(f"preset {self.name} sets nothing")
        for key, value in self.settings.items():
            _check_setting(key, value)
        covered = {
            setting for parameter in self.evidence for setting in SETTINGS_OF_PARAMETER.get(parameter, ())
        }
        for parameter in self.evidence:
            if parameter not in SETTINGS_OF_PARAMETER:
                raise PresetError(f"evidence.{parameter}: unknown setting")
        for key in self.settings:
            if key not in covered:
                raise PresetError(f"settings.{key}: no evidence.{_parameter_of(key)} table says why")
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        object.__setattr__(self, "evidence", MappingProxyType(dict(self.evidence)))
        object.__setattr__(self, "stages", tuple(self.stages))

    @property
    def sha256(self) -> str:
        """sha256 of the preset's canonical JSON (``to_dict``, sorted keys, no spaces): the same
        preset has the same hash wherever and however it is stored."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def record_metadata(self) -> dict[str, str]:
        """What a run's record keeps of the preset it applied (``metadata.preset``)."""
        return {"name": self.name, "sha256": self.sha256}

    def model_warning(self, run_model_hash: str | None) -> str | None:
        """Why this preset may not fit a run of the model with ``run_model_hash``; None when it fits
        or either hash is unknown."""
        if not self.model_hash or not run_model_hash or run_model_hash == self.model_hash:
            return None
        return (
            f"preset {self.name} was derived from runs of model hash {self.model_hash}, "
            f"but this run's model has hash {run_model_hash}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: the ``[preset]`` table's keys, ``settings`` and ``evidence``."""
        return {
            "name": self.name,
            "pack": self.pack,
            "model": self.model,
            "model_hash": self.model_hash,
            "created": self.created,
            "fingerprint": self.fingerprint,
            "rater": self.rater,
            "stages": list(self.stages),
            "settings": dict(self.settings),
            "evidence": {parameter: value.to_dict() for parameter, value in self.evidence.items()},
        }


def _check_setting(key: str, value: object) -> None:
    kind = SETTING_TYPES.get(key)
    if kind is None:
        raise PresetError(f"settings.{key}: unknown setting (expected some of {', '.join(SETTING_TYPES)})")
    fits = isinstance(value, kind) and not isinstance(value, bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        fits = True
    if not fits:
        raise PresetError(f"settings.{key}: expected {kind.__name__}, got {value!r}")
    if kind is int and value <= 0:  # type: ignore[operator]
        raise PresetError(f"settings.{key}: must be positive, got {value!r}")


def _parameter_of(setting: str) -> str:
    return next(parameter for parameter, names in SETTINGS_OF_PARAMETER.items() if setting in names)
