"""DeriveInsights: the stage settings and the preset as parameters, pairwise choices, a one-run rater."""

from __future__ import annotations

import random
from typing import cast

from application.history import History
from application.insights import DeriveInsights
from application.pairwise import fit_bradley_terry
from domain.feedback import FeedbackAuthor, FeedbackEvent
from domain.insights import Insights, InsightsReport, ValueEvidence
from domain.ports import RunIndex
from domain.run_row import RunRow
from tests.insights.rows import RowsIndex, make_row, rating
from tests.review.fakes import InMemoryFeedbackStore

ALICE = FeedbackAuthor.person("alice")


def derive(rows: list[RunRow], events: list[FeedbackEvent], **options: object) -> InsightsReport:
    store = InMemoryFeedbackStore()
    store.append(events)
    return DeriveInsights(History(cast(RunIndex, RowsIndex(rows, store))))(**options)  # type: ignore[arg-type]


def values(insight: Insights, parameter: str) -> dict[str, ValueEvidence]:
    (found,) = [p for p in insight.parameters if p.parameter == parameter]
    return {value.value: value for value in found.values}


def choice(better: str, worse: str, number: int) -> FeedbackEvent:
    return FeedbackEvent(f"c{number}", better, "2026-11-24T11:00:00Z", ALICE, "choice", worse_run_id=worse)


def test_denoising_strength_upscaler_and_preset_are_compared_like_any_setting() -> None:
    stages = ("txt2img", "img2img", "upscale")
    rows = [
        make_row(
            f"r{n}",
            stages=stages,
            seed=n,
            denoising_strength=0.3 if n % 2 else 0.6,
            upscaler="Lanczos" if n % 3 else "R-ESRGAN 4x+",
            preset="portrait-v1" if n % 4 == 0 else None,
        )
        for n in range(24)
    ]
    events = [rating(row.run_id, 5 if row.denoising_strength == 0.3 else 2) for row in rows]
    (insight,) = derive(rows, events).insights
    denoising = values(insight, "denoising")
    assert set(denoising) == {"0.3", "0.6"}
    assert denoising["0.3"].verdict == "best"
    assert denoising["0.6"].verdict == "worse"
    assert set(values(insight, "upscaler")) == {"Lanczos", "R-ESRGAN 4x+"}
    presets = values(insight, "preset")  # runs without a preset are compared with the preset's
    assert set(presets) == {"portrait-v1", "(none)"}
    assert (presets["portrait-v1"].runs, presets["(none)"].runs) == (6, 18)
    assert insight.to_dict()["scope"]["stages"] == list(stages)


def test_pairwise_choices_of_runs_differing_in_one_setting_are_scored_per_group() -> None:
    rows = [make_row(f"{s}{seed}", sampler=s, seed=seed) for s in "ABCD" for seed in range(2)]
    rows.append(make_row("A-other-prompt", sampler="B", seed=0, prompt="another prompt"))
    events = [rating(row.run_id, 4) for row in rows]
    events += [choice("A0", "B0", n) for n in range(5)] + [choice("B1", "A1", 9)]
    events += [choice("C0", "D0", 10 + n) for n in range(3)]
    events.append(choice("A0", "A-other-prompt", 20))  # differs in sampler and prompt: not counted
    (insight,) = derive(rows, events, parameters=("sampler",)).insights
    (fit,) = insight.pairwise
    expected = fit_bradley_terry("sampler", [("A", "B")] * 5 + [("B", "A")] + [("C", "D")] * 3)
    assert fit == expected
    assert fit.groups == 2
    groups = {score.value: score.group for score in fit.scores}
    assert groups["A"] == groups["B"] != groups["C"] == groups["D"]
    scores = {score.value: score for score in fit.scores}
    assert scores["A"].score > scores["B"].score
    assert (scores["A"].wins, scores["A"].losses) == (5, 1)
    pairwise = insight.to_dict()["pairwise"]
    assert [entry["parameter"] for entry in pairwise] == ["sampler"]
    assert pairwise[0]["groups"] == 2
    assert {entry["value"] for entry in pairwise[0]["scores"]} == {"A", "B", "C", "D"}


def test_choices_by_a_scorer_stay_with_the_scorer() -> None:
    rows = [make_row(f"{s}{seed}", sampler=s, seed=seed) for s in "AB" for seed in range(3)]
    scorer = FeedbackAuthor.scorer("aesthetic", "2.1")
    events = [rating(row.run_id, 4) for row in rows] + [
        rating(row.run_id, 3, "aesthetic", scorer="2.1") for row in rows
    ]
    events.append(FeedbackEvent("s1", "A0", "2026-11-24T11:00:00Z", scorer, "choice", worse_run_id="B0"))
    persons, machine = derive(rows, events, parameters=("sampler",)).insights
    assert persons.pairwise == ()
    assert machine.rater == "scorer:aesthetic@2.1"
    assert [fit.parameter for fit in machine.pairwise] == ["sampler"]


def test_a_rater_who_rated_one_run_gets_a_block_saying_not_enough_data() -> None:
    rows = [make_row(f"{s}{seed}", sampler=s, seed=seed) for s in "AB" for seed in range(4)]
    events = [rating(row.run_id, 5 if row.sampler == "A" else 2) for row in rows]
    events.append(rating("A0", 1, by="bob"))
    report = derive(rows, events, parameters=("sampler",), by_rater=True)
    bob = next(insight for insight in report.insights if insight.rater == "person:bob")
    assert bob.rated_runs == 1
    assert {value.verdict for value in values(bob, "sampler").values()} == {"not_enough_data"}
    assert values(bob, "sampler")["A"].more_ratings_needed == 2


def test_pairwise_scores_do_not_depend_on_the_order_of_rows_or_events() -> None:
    rows = [make_row(f"{s}{seed}", sampler=s, seed=seed) for s in "ABC" for seed in range(3)]
    events = [rating(row.run_id, 3 + (row.sampler == "A")) for row in rows]
    games = [("A", "B"), ("B", "C"), ("A", "C"), ("C", "A")]
    events += [
        choice(f"{won}{seed}", f"{lost}{seed}", 100 * seed + n)
        for seed in range(3)
        for n, (won, lost) in enumerate(games)
    ]
    first = derive(rows, events, parameters=("sampler",)).to_dict()
    shuffler = random.Random(7)
    for _ in range(3):
        shuffler.shuffle(rows)
        shuffler.shuffle(events)
        assert derive(rows, events, parameters=("sampler",)).to_dict() == first
    assert first["insights"][0]["pairwise"][0]["scores"][0]["value"] == "A"
