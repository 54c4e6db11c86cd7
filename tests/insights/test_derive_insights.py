"""DeriveInsights over in-memory rows and feedback: scopes, raters, evidence, confounding, order."""

from __future__ import annotations

import random
from typing import cast

import pytest

from application.history import History
from application.insights import DeriveInsights
from domain.feedback import FeedbackEvent
from domain.insights import PERSONS, Insights, InsightsError, InsightsReport, ValueEvidence, parse_parameters
from domain.ports import RunIndex
from domain.run_row import RunRow
from tests.insights.rows import RowsIndex, make_row, rating
from tests.review.fakes import InMemoryFeedbackStore


def derive(rows: list[RunRow], events: list[FeedbackEvent], **options: object) -> InsightsReport:
    store = InMemoryFeedbackStore()
    store.append(events)
    use_case = DeriveInsights(History(cast(RunIndex, RowsIndex(rows, store))))
    return use_case(**options)  # type: ignore[arg-type]


def values(insight: Insights, parameter: str) -> dict[str, ValueEvidence]:
    (found,) = [p for p in insight.parameters if p.parameter == parameter]
    return {value.value: value for value in found.values}


def simpson() -> tuple[list[RunRow], list[FeedbackEvent]]:
    """Sampler X is used only with the good model; within the good model Y is better than X, but
    most of Y's runs used the bad model, so overall X looks far better than Y."""
    rows: list[RunRow] = []
    events: list[FeedbackEvent] = []
    plan = [("X", "good", 4)] * 20 + [("Y", "good", 5)] * 5 + [("Y", "bad", 1)] * 20
    for n, (sampler, model, stars) in enumerate(plan):
        run_id = f"run{n:03d}"
        rows.append(make_row(run_id, sampler=sampler, model=model, model_hash=model, seed=n))
        events.append(rating(run_id, stars))
    return rows, events


def test_a_sampler_used_only_with_the_better_model_is_reported_confounded() -> None:
    rows, events = simpson()
    (insight,) = derive(rows, events, parameters=("sampler",)).insights
    samplers = values(insight, "sampler")
    assert samplers["X"].verdict == "best"  # the raw comparison says X...
    assert samplers["X"].confounded_with == ("model=good",)  # ...and the report says why not to trust it
    assert samplers["X"].evidence == "observational"
    assert samplers["Y"].confounded_with == ()
    assert insight.parameters[0].evidence == "observational"


def test_values_tried_side_by_side_on_the_same_prompt_and_seed_are_controlled() -> None:
    rows = [make_row(f"{s}{seed}", sampler=s, seed=seed) for s in ("A", "B") for seed in range(8)]
    events = [rating(row.run_id, 5 if row.sampler == "A" else 2) for row in rows]
    (insight,) = derive(rows, events, parameters=("sampler",)).insights
    samplers = values(insight, "sampler")
    assert {v.evidence for v in samplers.values()} == {"controlled"}
    assert samplers["A"].verdict == "best"
    assert samplers["B"].verdict == "worse"
    assert samplers["B"].diff_high is not None
    assert samplers["B"].diff_high < 0


def test_a_missing_twin_makes_the_comparison_observational() -> None:
    rows = [make_row(f"{s}{seed}", sampler=s, seed=seed) for s in ("A", "B") for seed in range(8)]
    rows.append(make_row("A-extra", sampler="A", seed=99))
    events = [rating(row.run_id, 4) for row in rows]
    (insight,) = derive(rows, events, parameters=("sampler",)).insights
    assert values(insight, "sampler")["A"].evidence == "observational"


def test_persons_and_each_scorer_version_are_kept_apart_and_the_latest_rating_counts() -> None:
    rows = [make_row(f"r{n}", sampler="AB"[n % 2], seed=n) for n in range(12)]
    events = [rating(row.run_id, 1) for row in rows]
    # alice changes her mind later: only her latest rating of each run counts
    events += [
        rating(row.run_id, 5 if row.sampler == "A" else 3, at="2026-11-25T10:00:00.000Z") for row in rows
    ]
    events += [rating(row.run_id, 2, by="aesthetic", scorer="1.0") for row in rows]
    events += [rating(row.run_id, 4, by="aesthetic", scorer="2.0") for row in rows]
    report = derive(rows, events, parameters=("sampler",))
    assert [i.rater for i in report.insights] == [PERSONS, "scorer:aesthetic@1.0", "scorer:aesthetic@2.0"]
    persons, old, new = (values(i, "sampler") for i in report.insights)
    assert persons["A"].ratings == 6
    assert persons["A"].top_share == 1.0
    assert persons["B"].top_share == 0.0
    assert old["A"].mean == old["B"].mean == pytest.approx((6 * 2 + 15) / 11)  # six 2s and the prior
    assert new["A"].mean == pytest.approx((6 * 4 + 15) / 11)  # six 4s and the prior


def test_by_rater_keeps_each_person_apart() -> None:
    rows = [make_row(f"r{n}", sampler="AB"[n % 2], seed=n) for n in range(8)]
    events = [rating(row.run_id, 4, by=name) for row in rows for name in ("alice", "bob")]
    pooled = derive(rows, events, parameters=("sampler",))
    assert [i.rater for i in pooled.insights] == [PERSONS]
    assert values(pooled.insights[0], "sampler")["A"].ratings == 8
    assert values(pooled.insights[0], "sampler")["A"].raters == 2
    apart = derive(rows, events, parameters=("sampler",), by_rater=True)
    assert [i.rater for i in apart.insights] == ["person:alice", "person:bob"]


def test_scopes_are_packs_and_stage_lists_and_per_model_splits_by_hash() -> None:
    rows = [
        make_row(f"r{n}", pack=pack, stages=stages, sampler="AB"[n // 8 % 2], model=m, model_hash=m, seed=n)
        for n, (pack, stages, m) in enumerate(
            [
                (p, s, m)
                for p in ("a", "b")
                for s in (("txt2img",), ("txt2img", "upscale"))
                for m in ("m1", "m2")
            ]
            * 4
        )
    ]
    events = [rating(row.run_id, 3) for row in rows]
    report = derive(rows, events, parameters=("sampler", "model"))
    assert [(i.scope.pack, i.scope.stages, i.scope.model_hash) for i in report.insights] == [
        ("a", ("txt2img",), None),
        ("a", ("txt2img", "upscale"), None),
        ("b", ("txt2img",), None),
        ("b", ("txt2img", "upscale"), None),
    ]
    per_model = derive(rows, events, parameters=("sampler", "model"), per_model=True)
    assert len(per_model.insights) == 8
    assert all(i.single_valued == ("model",) for i in per_model.insights)
    assert {i.scope.model_hash for i in per_model.insights} == {"m1", "m2"}


def test_too_few_ratings_say_how_many_more_are_needed() -> None:
    rows = [make_row(f"r{n}", sampler="AB"[n % 2], seed=n) for n in range(4)]
    events = [rating(rows[0].run_id, 5), rating(rows[1].run_id, 1)]
    (insight,) = derive(rows, events, parameters=("sampler",)).insights
    for value in values(insight, "sampler").values():
        assert value.verdict == "not_enough_data"
        assert value.more_ratings_needed == 2


def test_failures_are_counted_per_value_over_all_its_runs() -> None:
    rows = [
        make_row(f"r{n}", sampler="AB"[n % 2], seed=n, status="failed" if n < 3 else "succeeded")
        for n in range(10)
    ]
    events = [rating(row.run_id, 3) for row in rows]
    (insight,) = derive(rows, events, parameters=("sampler",)).insights
    samplers = values(insight, "sampler")
    assert (samplers["A"].failures, samplers["A"].runs, samplers["A"].failure_rate) == (2, 5, 0.4)
    assert (samplers["B"].failures, samplers["B"].failure_rate) == (1, 0.2)


def test_ratings_of_runs_no_longer_recorded_are_counted_and_left_out() -> None:
    rows, events = simpson()
    report = derive(rows, [*events, rating("gone", 5), rating("gone2", 1)], parameters=("sampler",))
    assert report.orphan_ratings == 2
    assert values(report.insights[0], "sampler")["X"].ratings == 20


@pytest.mark.parametrize(
    ("events", "options", "usage", "words"),
    [
        ([], {}, False, "no ratings"),
        ([rating("gone", 5)], {}, False, "1 rating(s) are of runs the records no longer hold"),
        (None, {"pack": "nope"}, True, "no runs in pack 'nope' (packs: portraits)"),
        (None, {"model": "nope"}, True, "no runs with model 'nope' (models: bad, good)"),
        (None, {"parameters": ("steps",)}, False, "nothing to compare"),
    ],
)
def test_nothing_to_compare_is_one_clear_error(
    events: list[FeedbackEvent] | None, options: dict[str, object], usage: bool, words: str
) -> None:
    rows, all_events = simpson()
    with pytest.raises(InsightsError) as raised:
        derive(rows, all_events if events is None else events, **options)
    assert raised.value.usage is usage
    assert words in str(raised.value)


def test_unknown_parameters_are_refused() -> None:
    assert parse_parameters("steps, SAMPLER") == ("sampler", "steps")
    assert parse_parameters(None)[0] == "model"
    with pytest.raises(InsightsError, match="unknown parameter 'denoise'") as raised:
        parse_parameters("sampler,denoise")
    assert raised.value.usage


def test_the_report_does_not_depend_on_the_order_of_rows_or_events() -> None:
    rows, events = simpson()
    rows += [make_row(f"s{n}", steps=10 + 10 * (n % 3), cfg_scale=5.0 + n % 2, seed=n) for n in range(30)]
    events += [rating(f"s{n}", 1 + n % 5, by="bob") for n in range(30)]
    events += [rating(f"s{n}", 1 + (n * 7) % 5, by="bob", at="2026-11-24T10:00:00.000Z") for n in range(30)]
    expected = derive(rows, events).to_dict()
    shuffler = random.Random(3)
    for _ in range(5):
        shuffler.shuffle(rows)
        shuffler.shuffle(events)
        assert derive(rows, events).to_dict() == expected


def test_runs_without_a_pack_form_the_last_scope() -> None:
    rows = [
        make_row(f"r{n}", pack=(None, "zebra")[n % 2], sampler="AB"[n // 2 % 2], seed=n) for n in range(8)
    ]
    report = derive(rows, [rating(row.run_id, 3) for row in rows], parameters=("sampler",))
    assert [i.scope.pack for i in report.insights] == ["zebra", None]
