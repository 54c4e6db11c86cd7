"""SummarizeForLlm over in-memory rows and feedback: each section, the cut order, determinism."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any, cast

import pytest

from application.history import History
from application.insights import DeriveInsights
from application.llm_summary import SummarizeForLlm
from application.presets import DerivePreset
from domain.feedback import FeedbackAuthor, FeedbackEvent
from domain.insights import InsightsError
from domain.llm_summary import CUT_ORDER, LlmSummary, SummaryTooLarge, fit
from domain.ports import RunIndex
from domain.preset import Preset, PresetError
from domain.run_row import RunRow
from tests.fakes import FakeClock, InMemoryPresetStore
from tests.insights.rows import RowsIndex, make_row, rating
from tests.review.fakes import InMemoryFeedbackStore


def history(*, third_sampler: bool = True) -> tuple[list[RunRow], list[FeedbackEvent]]:
    """Pairs of runs alike but for the sampler (same prompt and seed): A rated 5/4, B rated 2/1;
    steps 20 and 30 alternate and are rated alike; a third sampler C has two ratings only (while it
    does, no sampler is confidently best)."""
    rows: list[RunRow] = []
    events: list[FeedbackEvent] = []
    for n in range(24):
        sampler = "A" if n % 2 == 0 else "B"
        steps = 20 if (n // 2) % 2 == 0 else 30
        run_id = f"run{n:03d}"
        stamp = f"2026-11-24T09:{n:02d}:00.000Z"
        rows.append(make_row(run_id, sampler=sampler, steps=steps, seed=n // 2, timestamp=stamp))
        events.append(rating(run_id, (5 if n % 4 < 2 else 4) if sampler == "A" else (2 if n % 4 < 2 else 1)))
    for n in (24, 25) if third_sampler else ():
        run_id = f"run{n:03d}"
        rows.append(make_row(run_id, sampler="C", seed=99, timestamp="2026-11-25T10:00:00.000Z"))
        events.append(rating(run_id, 4))
    rows.append(make_row("other", pack="landscapes"))
    person = FeedbackAuthor.person("alice")
    # Two choices between runs that differ in steps alone (of the compared settings and the prompt):
    # 30 steps preferred both times.
    events.append(
        FeedbackEvent("c1", "run002", "2026-11-24T11:00:00.000Z", person, "choice", worse_run_id="run000")
    )
    events.append(
        FeedbackEvent("c2", "run006", "2026-11-24T11:01:00.000Z", person, "choice", worse_run_id="run004")
    )
    return rows, events


def summarize(
    rows: list[RunRow],
    events: list[FeedbackEvent],
    presets: InMemoryPresetStore | None = None,
    **options: Any,
) -> LlmSummary:
    store = InMemoryFeedbackStore()
    store.append(events)
    history_ = History(cast(RunIndex, RowsIndex(rows, store)))
    use_case = SummarizeForLlm(history_, DeriveInsights(history_), store, presets or InMemoryPresetStore())
    return use_case(**options)


def test_every_section_says_what_the_ratings_say() -> None:
    rows, events = history()

    data = summarize(rows, events, pack="portraits").to_dict()

    assert data["format"] == "stablenew-llm-summary/1"
    coverage = data["coverage"]
    assert (coverage["runs"], coverage["rated_runs"], coverage["persons"], coverage["choices"]) == (
        26,
        26,
        1,
        2,
    )
    assert (coverage["first"], coverage["last"]) == ("2026-11-24T09:00:00.000Z", "2026-11-25T10:00:00.000Z")
    assert data["baseline"]["ratings"] == 26
    assert data["baseline"]["typical"]["sampler"] in {"A", "B"}
    sampler = next(e for e in data["effects"] if e["parameter"] == "sampler" and e["rater"] == "persons")
    assert sampler["values"][0]["value"] == "A"
    verdicts = {v["value"]: v["verdict"] for v in sampler["values"]}
    assert verdicts["B"] == "worse"
    asked = {(q["parameter"], q["value"]) for q in data["open_questions"]}
    assert ("sampler", "C") in asked  # two ratings only: not enough data
    assert all(
        q["more_ratings_needed"] is None or q["more_ratings_needed"] > 0 for q in data["open_questions"]
    )
    (steps,) = data["pairwise"]
    assert steps["parameter"] == "steps"
    assert [s["value"] for s in steps["scores"]] == ["30", "20"]
    assert data["stage_timings"][0]["stage"] == "txt2img"
    kinds = [(e["kind"], e["rating"]) for e in data["examples"]]
    assert kinds[0] == ("best", 5.0)
    assert kinds[1] == ("worst", 1.0)
    assert len(kinds) == 6
    assert data["cut"] == []
    assert data["notes"] == []


def test_the_same_history_in_any_order_gives_the_same_bytes() -> None:
    rows, events = history()
    first = summarize(rows, events, pack="portraits").to_json()
    for seed in (1, 2, 3):
        shuffler = random.Random(seed)
        shuffled_rows, shuffled_events = rows[:], events[:]
        shuffler.shuffle(shuffled_rows)
        shuffler.shuffle(shuffled_events)
        assert summarize(shuffled_rows, shuffled_events, pack="portraits").to_json() == first


def test_redacted_prompts_are_left_out_and_said_so() -> None:
    rows, events = history()
    data = summarize(rows, events, pack="portraits", redact_prompts=True).to_dict()
    assert {example["prompt"] for example in data["examples"]} == {None}
    assert "lighthouse" not in json.dumps(data)
    assert data["notes"] == ["prompts redacted (--redact-prompts)"]


def test_presets_of_the_pack_are_listed_with_whether_they_still_hold() -> None:
    rows, events = history(third_sampler=False)
    store = InMemoryFeedbackStore()
    store.append(events)
    history_ = History(cast(RunIndex, RowsIndex(rows, store)))
    presets = InMemoryPresetStore()
    DerivePreset(DeriveInsights(history_), presets, FakeClock())(name="best", pack="portraits")

    held = summarize(rows, events, presets, pack="portraits").to_dict()["presets"]
    assert [(p["name"], p["status"], p["settings"]) for p in held] == [("best", "holds", {"sampler": "A"})]
    flipped = [e for e in events if e.kind != "rating"] + [
        rating(row.run_id, 1 if row.sampler == "A" else 5) for row in rows if row.pack == "portraits"
    ]
    changed = summarize(rows, flipped, presets, pack="portraits").to_dict()["presets"]
    assert changed[0]["status"] == "changed"
    assert changed[0]["changes"]
    assert summarize(rows, events, presets, pack="landscapes").to_dict()["presets"] == []


def test_a_pack_without_ratings_still_gets_coverage_and_a_note() -> None:
    rows, _ = history()
    data = summarize(rows, [], pack="portraits").to_dict()
    assert data["coverage"]["runs"] == 26
    assert data["effects"] == []
    assert data["notes"][0].startswith("no ratings")


def test_an_unknown_pack_is_a_usage_error() -> None:
    rows, events = history()
    with pytest.raises(InsightsError, match=r"--pack: no runs in pack 'nope'") as caught:
        summarize(rows, events, pack="nope")
    assert caught.value.usage


def entries(n: int, size: int = 20) -> tuple[dict[str, Any], ...]:
    return tuple({"n": number, "pad": "x" * size} for number in range(n))


def synthetic() -> LlmSummary:
    return LlmSummary(
        pack="p",
        model=None,
        coverage={"runs": 1},
        baseline={"mean": 3.0},
        effects=entries(4),
        pairwise=entries(4),
        presets=entries(4),
        open_questions=entries(4),
        stage_timings=entries(4),
        examples=entries(4),
    )


def test_cutting_empties_sections_in_the_documented_order_from_their_ends() -> None:
    whole = synthetic()
    full = len(whole.to_json())
    assert fit(whole, full) is whole
    assert fit(whole, None) is whole

    one_less = fit(whole, full - 1)
    assert one_less.cut == (("examples", 1),)
    assert [e["n"] for e in one_less.examples] == [0, 1, 2]
    assert len(one_less.to_json()) <= full - 1

    emptied = replace(whole, **dict.fromkeys(CUT_ORDER, ()), cut=tuple((section, 4) for section in CUT_ORDER))
    for limit in range(full - 1, len(emptied.to_json()) - 1, -13):
        cut = fit(whole, limit)
        text = cut.to_json()
        assert len(text) <= limit
        sections = [section for section, _ in cut.cut]
        assert sections == list(CUT_ORDER[: len(sections)])  # never a later section before an earlier one
        for section in sections[:-1]:
            assert getattr(cut, section) == ()  # an earlier section is emptied before the next is touched
        assert json.loads(text)["cut"] == [{"section": s, "removed": r} for s, r in cut.cut]


def test_a_limit_below_the_uncuttable_sections_is_refused() -> None:
    with pytest.raises(SummaryTooLarge, match=r"--max-chars 50: the summary needs at least \d+ characters"):
        fit(synthetic(), 50)


class BrokenPresetStore(InMemoryPresetStore):
    """A store holding one preset file edited by hand into nonsense."""

    def names(self) -> list[str]:
        return ["mangled"]

    def load(self, name: str) -> Preset:
        raise PresetError(f"presets/{name}.toml: [preset] pack: missing")


def test_a_preset_file_that_cannot_be_read_is_listed_as_unreadable() -> None:
    rows, events = history()
    listed = summarize(rows, events, BrokenPresetStore(), pack="portraits").to_dict()["presets"]
    assert listed == [
        {"name": "mangled", "status": "unreadable", "error": "presets/mangled.toml: [preset] pack: missing"}
    ]
