"""PictureInsights: the insights unchanged, plus each value's best and worst rated runs."""

from __future__ import annotations

from typing import cast

from application.history import History
from application.insights import DeriveInsights
from application.insights_view import EXAMPLES, InsightsPicture, PictureInsights
from domain.feedback import FeedbackEvent
from domain.ports import RunIndex
from domain.run_row import RunRow
from tests.insights.rows import RowsIndex, make_row, rating
from tests.review.fakes import InMemoryFeedbackStore


def picture(rows: list[RunRow], events: list[FeedbackEvent], **options: object) -> InsightsPicture:
    store = InMemoryFeedbackStore()
    store.append(events)
    return PictureInsights(History(cast(RunIndex, RowsIndex(rows, store))))(**options)  # type: ignore[arg-type]


def history() -> tuple[list[RunRow], list[FeedbackEvent]]:
    """Eight 'Euler a' runs rated 1..5 and back, four DDIM runs; a second pack with other stars."""
    rows, events = [], []
    stars = {"Euler a": (1, 2, 3, 4, 5, 4, 3, 2), "DDIM": (2, 2, 3, 1)}
    for sampler, given in stars.items():
        for k, star in enumerate(given):
            run_id = f"{sampler[0]}{k}"
            rows.append(make_row(run_id, sampler=sampler, image_path=f"output/{run_id}/txt2img_0.png"))
            events.append(rating(run_id, star))
    rows.append(make_row("L1", pack="landscapes", sampler="DDIM"))
    rows.append(make_row("L2", pack="landscapes", sampler="Euler a"))
    events += [rating("L1", 5), rating("L2", 1)]
    return rows, events


def examples(
    shown: InsightsPicture, pack: str, value: str
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    position = next(i for i, insight in enumerate(shown.report.insights) if insight.scope.pack == pack)
    found = shown.examples[(position, "sampler", value)]
    return [(e.run_id, e.stars) for e in found.best], [(e.run_id, e.stars) for e in found.worst]


def test_the_numbers_are_derive_insights_own() -> None:
    rows, events = history()
    store = InMemoryFeedbackStore()
    store.append(events)
    expected = DeriveInsights(History(cast(RunIndex, RowsIndex(rows, store))))(pack="portraits")
    assert picture(rows, events, pack="portraits").report == expected


def test_best_runs_are_the_most_starred_and_worst_the_fewest_without_repeating_one() -> None:
    shown = picture(*history())
    best, worst = examples(shown, "portraits", "Euler a")
    assert best == [("E4", 5), ("E3", 4), ("E5", 4)]
    assert worst == [("E0", 1), ("E1", 2), ("E7", 2)]
    best, worst = examples(shown, "portraits", "DDIM")
    assert best == [("D2", 3), ("D0", 2), ("D1", 2)]
    assert worst == [("D3", 1)]  # four rated runs: one left for the worst strip
    assert len(best) == EXAMPLES


def test_examples_stay_inside_their_scope_and_carry_the_image_path() -> None:
    shown = picture(*history())
    assert examples(shown, "landscapes", "DDIM") == ([("L1", 5)], [])
    position = next(i for i, insight in enumerate(shown.report.insights) if insight.scope.pack == "portraits")
    assert shown.examples[(position, "sampler", "Euler a")].best[0].image_path == "output/E4/txt2img_0.png"


def test_the_json_puts_examples_in_each_value_and_lists_the_filter_choices() -> None:
    shown = picture(*history(), pack="landscapes")
    data = shown.to_dict(lambda example: {"url": f"/img/{example.run_id}"})
    (insight,) = data["insights"]
    values = insight["parameters"][0]["values"]
    assert values[0]["examples"] == {"best": [{"run_id": "L1", "stars": 5, "url": "/img/L1"}], "worst": []}
    assert (data["packs"], data["models"]) == (["landscapes", "portraits"], ["good"])
