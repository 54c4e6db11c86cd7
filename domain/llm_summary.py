"""The LLM summary: a compact, deterministic JSON view of one pack's history (docs/llm.md).

``LlmSummary`` holds each section as plain JSON values; ``to_json`` is the one canonical text
(sorted keys, no spaces, UTF-8 characters kept), so the same history gives the same bytes and
``--max-chars`` counts the characters of exactly what is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from domain.errors import StableNewError

FORMAT = "stablenew-llm-summary/1"

CUT_ORDER: tuple[str, ...] = (
    "examples",
    "stage_timings",
    "pairwise",
    "open_questions",
    "presets",
    "effects",
)
"""Sections emptied, one entry at a time from its end, first to last until the text fits.

Each list is ordered most useful first, so its end is what matters least: examples alternate best
and worst, open questions need the fewest ratings first, effects list each parameter's values best
first. ``cut`` lists each section that lost entries, in this order (an empty one is not listed).
``format``, ``pack``, ``model``, ``coverage``, ``baseline``, ``notes`` and ``cut`` are never
cut: without them the rest cannot be read.
"""


class SummaryTooLarge(StableNewError, ValueError):
    """Even with every cuttable section emptied, the summary is longer than asked for."""


@dataclass(frozen=True, slots=True)
class LlmSummary:
    """Every section of the summary; the lists are those CUT_ORDER may shorten."""

    pack: str
    model: str | None
    coverage: dict[str, Any]
    baseline: dict[str, Any]
    effects: tuple[dict[str, Any], ...]
    pairwise: tuple[dict[str, Any], ...]
    presets: tuple[dict[str, Any], ...]
    open_questions: tuple[dict[str, Any], ...]
    stage_timings: tuple[dict[str, Any], ...]
    examples: tuple[dict[str, Any], ...]
    notes: tuple[str, ...] = ()
    cut: tuple[tuple[str, int], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "pack": self.pack,
            "model": self.model,
            "coverage": self.coverage,
            "baseline": self.baseline,
            "effects": list(self.effects),
            "pairwise": list(self.pairwise),
            "presets": list(self.presets),
            "open_questions": list(self.open_questions),
            "stage_timings": list(self.stage_timings),
            "examples": list(self.examples),
            "notes": list(self.notes),
            "cut": [{"section": section, "removed": removed} for section, removed in self.cut],
        }

    def to_json(self) -> str:
        return canonical_json(self.to_dict())


def canonical_json(data: object) -> str:
    """Sorted keys, no spaces, non-ASCII kept: one text per value."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def fit(summary: LlmSummary, max_chars: int | None) -> LlmSummary:
    """``summary`` shortened in CUT_ORDER until ``to_json`` has at most ``max_chars`` characters;
    ``cut`` records how many entries each section lost. Raises SummaryTooLarge when even the
    uncuttable sections are longer."""
    if max_chars is None or len(summary.to_json()) <= max_chars:
        return summary
    current = summary
    for section in CUT_ORDER:
        entries: tuple[dict[str, Any], ...] = getattr(current, section)
        # Each entry takes its text plus a comma (the first one none): dropping from the end until
        # the rough sum fits, then checking the real text, saves a dump per entry.
        sizes = [len(canonical_json(entry)) + (1 if number else 0) for number, entry in enumerate(entries)]
        kept = len(entries)
        excess = len(_with_cut(current, section, len(entries), 0).to_json()) - max_chars
        while kept and excess > 0:
            kept -= 1
            excess -= sizes[kept]
        while True:
            trial = _with_cut(current, section, kept, len(entries) - kept)
            if len(trial.to_json()) <= max_chars or kept == 0:
                break
            kept -= 1
        current = trial
        if len(current.to_json()) <= max_chars:
            return current
    raise SummaryTooLarge(
        f"--max-chars {max_chars}: the summary needs at least {len(current.to_json())} characters "
        "(coverage, baseline and notes are never cut)"
    )


def _with_cut(summary: LlmSummary, section: str, kept: int, removed: int) -> LlmSummary:
    entries: tuple[dict[str, Any], ...] = getattr(summary, section)
    cut = tuple(entry for entry in summary.cut if entry[0] != section)
    if removed:
        cut = (*cut, (section, removed))
    changes: dict[str, Any] = {section: entries[:kept], "cut": cut}
    return replace(summary, **changes)
