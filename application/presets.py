"""Presets from ratings: derive one from today's insights, and verify a stored one still holds."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from application.insights import DeriveInsights
from domain.insights import PERSONS, InsightsError, InsightsReport, ParameterInsight
from domain.ports import Clock, PresetStore
from domain.preset import (
    SETTINGS_OF_PARAMETER,
    NothingConfident,
    Preset,
    SettingEvidence,
    SettingValue,
    check_name,
    parameter_values,
)
from domain.timefmt import format_timestamp


def fingerprint(report: InsightsReport) -> str:
    """sha256 of the report's canonical JSON (sorted keys, no spaces, UTF-8): the same history
    gives the same fingerprint."""
    text = json.dumps(report.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def preset_from_report(
    name: str,
    pack: str,
    model: str,
    report: InsightsReport,
    created: str,
    stages: tuple[str, ...] | None = None,
) -> Preset:
    """The preset of the values rated ``best`` in the persons' scope of ``stages`` if there is one,
    else the one with the most rated runs (ties: report order); raises NothingConfident when no
    value is."""
    scopes = [insight for insight in report.insights if insight.rater == PERSONS]
    if not scopes:
        raise NothingConfident(f"no person rated runs of pack {pack}: nothing is confidently best")
    same_stages = [insight for insight in scopes if insight.scope.stages == stages]
    # max keeps the first of equals: the report's order breaks ties
    chosen = max(same_stages or scopes, key=lambda insight: insight.rated_runs)
    settings: dict[str, SettingValue] = {}
    evidence: dict[str, SettingEvidence] = {}
    for parameter in chosen.parameters:
        if parameter.parameter not in SETTINGS_OF_PARAMETER:
            continue  # a stage's setting or the preset itself: not a pipeline setting a preset holds
        best = _confident(parameter)
        if best is not None:
            settings.update(parameter_values(parameter.parameter, best.value))
            evidence[parameter.parameter] = best
    if not settings:
        raise NothingConfident(
            f"nothing is confidently best in pack {pack} yet (`stablenew insights --pack {pack}` shows how "
            "many more ratings each value needs); no preset written"
        )
    return Preset(
        name=name,
        pack=pack,
        model=model,
        model_hash=chosen.scope.model_hash or "",
        created=created,
        fingerprint=fingerprint(report),
        rater=chosen.rater,
        stages=chosen.scope.stages,
        settings=settings,
        evidence=evidence,
    )


def _confident(parameter: ParameterInsight) -> SettingEvidence | None:
    leader = parameter.values[0]
    if leader.verdict != "best" or leader.mean is None or leader.mean_low is None or leader.mean_high is None:
        return None
    others = [value for value in parameter.values[1:] if value.mean is not None]
    runner_up = max(others, key=lambda value: value.mean or 0.0)
    return SettingEvidence(
        value=leader.value,
        mean=round(leader.mean, 4),
        mean_low=round(leader.mean_low, 4),
        mean_high=round(leader.mean_high, 4),
        runner_up=runner_up.value,
        runner_up_mean=round(runner_up.mean or 0.0, 4),
        ratings=leader.ratings,
        raters=leader.raters,
        evidence=leader.evidence,
    )


class DerivePreset:
    """Derives a preset from the persons' ratings of one pack (optionally one model) and stores it.

    Only values the insights engine calls ``best`` go in. Raises NothingConfident (nothing stored)
    when there are none, InsightsError when the pack or model has no runs, PresetExists when the
    name is taken and ``overwrite`` is off.
    """

    def __init__(self, insights: DeriveInsights, store: PresetStore, clock: Clock) -> None:
        self._insights = insights
        self._store = store
        self._clock = clock

    def __call__(self, *, name: str, pack: str, model: str | None = None, overwrite: bool = False) -> Preset:
        check_name(name)  # before the insights are computed
        report = _report(self._insights, pack, model)
        preset = preset_from_report(name, pack, model or "", report, format_timestamp(self._clock.now()))
        self._store.save(preset, overwrite=overwrite)
        return preset


@dataclass(frozen=True, slots=True)
class PresetChange:
    """One setting whose stored value no longer matches what today's ratings say."""

    setting: str
    stored: SettingValue | None
    today: SettingValue | None

    def describe(self) -> str:
        if self.today is None:
            return f"- {self.setting} = {self.stored!r}: no longer confidently best"
        if self.stored is None:
            return f"+ {self.setting} = {self.today!r}: now confidently best"
        return f"~ {self.setting}: {self.stored!r} -> {self.today!r}"


@dataclass(frozen=True, slots=True)
class Verification:
    """A stored preset against today's ratings; ``fingerprint`` is today's (empty: nothing to compare)."""

    preset: Preset
    changes: tuple[PresetChange, ...]
    fingerprint: str

    @property
    def unchanged(self) -> bool:
        return not self.changes


class VerifyPreset:
    """Derives the named preset again from today's history (the same pack, model and rater, and the
    stored stage list while it still has rated runs) and lists each setting that changed, appeared
    or lost its evidence. Never writes anything."""

    def __init__(self, insights: DeriveInsights, store: PresetStore) -> None:
        self._insights = insights
        self._store = store

    def __call__(self, name: str) -> Verification:
        stored = self._store.load(name)
        try:
            report = _report(self._insights, stored.pack, stored.model or None)
            today = preset_from_report(name, stored.pack, stored.model, report, stored.created, stored.stages)
            settings: dict[str, SettingValue] = dict(today.settings)
            today_fingerprint = today.fingerprint
        except (NothingConfident, InsightsError):  # the evidence for every stored value is gone
            settings, today_fingerprint = {}, ""
        keys = sorted(set(stored.settings) | set(settings))
        changes = tuple(
            PresetChange(key, stored.settings.get(key), settings.get(key))
            for key in keys
            if stored.settings.get(key) != settings.get(key)
        )
        return Verification(stored, changes, today_fingerprint)


def _report(insights: DeriveInsights, pack: str, model: str | None) -> InsightsReport:
    return insights(pack=pack, model=model)
