"""DerivePreset and VerifyPreset over rows and ratings in memory, with the in-memory preset store."""

from __future__ import annotations

from typing import cast

import pytest

from application.history import History
from application.insights import DeriveInsights
from application.presets import DerivePreset, VerifyPreset, fingerprint
from domain.feedback import FeedbackEvent
from domain.ports import RunIndex
from domain.preset import NothingConfident, PresetError, PresetExists
from domain.run_row import RunRow
from tests.fakes import FakeClock, InMemoryPresetStore
from tests.insights.rows import RowsIndex, make_row, rating
from tests.review.fakes import InMemoryFeedbackStore

LATER = "2026-11-25T10:00:00.000Z"


def history(sizes_matter: bool = True) -> tuple[list[RunRow], list[FeedbackEvent]]:
    """768x512 beats 512x512 clearly (when ``sizes_matter``); cfg 6 and 8 are rated alike."""
    rows, events = [], []
    for n in range(40):
        wide = n % 2 == 0
        row = make_row(
            f"r{n:03d}",
            width=768 if wide else 512,
            height=512,
            cfg_scale=(6.0, 8.0)[(n // 2) % 2],
            seed=n // 4,
        )
        rows.append(row)
        events.append(rating(row.run_id, (5 if wide else 2) if sizes_matter else 3 + (n // 4) % 2))
    return rows, events


def use_cases(
    rows: list[RunRow], events: list[FeedbackEvent]
) -> tuple[DerivePreset, VerifyPreset, InMemoryPresetStore, InMemoryFeedbackStore]:
    feedback = InMemoryFeedbackStore()
    feedback.append(events)
    insights = DeriveInsights(History(cast(RunIndex, RowsIndex(rows, feedback))))
    store = InMemoryPresetStore()
    return DerivePreset(insights, store, FakeClock()), VerifyPreset(insights, store), store, feedback


def test_a_best_size_becomes_width_and_height_and_alike_cfg_is_left_out() -> None:
    derive, _verify, store, _feedback = use_cases(*history())
    preset = derive(name="wide", pack="portraits")
    assert dict(preset.settings) == {"width": 768, "height": 512}
    assert list(preset.evidence) == ["size"]
    evidence = preset.evidence["size"]
    assert (evidence.value, evidence.runner_up) == ("768x512", "512x512")
    assert evidence.ratings == 20
    assert evidence.mean_low > evidence.runner_up_mean
    assert (preset.created, preset.rater, preset.model_hash) == (
        "2026-11-24T09:00:00.000Z",
        "persons",
        "g00d",
    )
    assert store.load("wide") == preset


def test_the_fingerprint_is_the_insights_it_came_from() -> None:
    rows, events = history()
    derive, *_ = use_cases(rows, events)
    feedback = InMemoryFeedbackStore()
    feedback.append(events)
    report = DeriveInsights(History(cast(RunIndex, RowsIndex(rows, feedback))))(pack="portraits")
    assert derive(name="wide", pack="portraits").fingerprint == fingerprint(report)
    assert len(fingerprint(report)) == 64


def test_nothing_confident_stores_nothing() -> None:
    derive, _verify, store, _feedback = use_cases(*history(sizes_matter=False))
    with pytest.raises(NothingConfident, match="nothing is confidently best"):
        derive(name="wide", pack="portraits")
    assert store.names() == []


def test_a_taken_name_needs_overwrite() -> None:
    derive, _verify, store, _feedback = use_cases(*history())
    derive(name="wide", pack="portraits")
    with pytest.raises(PresetExists):
        derive(name="wide", pack="portraits")
    derive(name="wide", pack="portraits", overwrite=True)
    assert store.names() == ["wide"]


def test_verify_lists_nothing_while_it_holds_and_each_change_once_it_does_not() -> None:
    rows, events = history()
    derive, verify, store, feedback = use_cases(rows, events)
    stored = derive(name="wide", pack="portraits")
    assert verify("wide").unchanged
    feedback.append([rating(row.run_id, 5 if row.width == 512 else 1, at=LATER) for row in rows])
    changes = verify("wide").changes
    assert [change.describe() for change in changes] == ["~ width: 768 -> 512"]
    assert store.load("wide") == stored  # verify writes nothing


def test_verify_keeps_to_the_stored_stage_list_when_another_gets_more_ratings() -> None:
    rows, events = history()
    derive, verify, _store, feedback = use_cases(rows, events)
    derive(name="wide", pack="portraits")
    upscaled = [
        make_row(f"u{n:03d}", width=(768, 512)[n % 2], height=512, stages=("txt2img", "upscale"), seed=n // 2)
        for n in range(60)
    ]
    rows.extend(upscaled)  # the in-memory index reads this list
    feedback.append([rating(row.run_id, 3 + (n // 2) % 2) for n, row in enumerate(upscaled)])
    assert verify("wide").unchanged


def test_a_name_that_cannot_be_a_file_name_is_refused_and_nothing_stored() -> None:
    derive, _verify, store, _feedback = use_cases(*history())
    with pytest.raises(PresetError, match="invalid preset name"):
        derive(name="../wide", pack="portraits")
    assert store.names() == []
