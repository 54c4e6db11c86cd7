"""FeedbackEvent validation, its dict form, and the fold into each run's current feedback."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from adapters.feedback.jsonl import JsonlFeedbackStore
from domain.feedback import FeedbackAuthor, FeedbackError, FeedbackEvent, fold_feedback, normalize_tag
from tests.contract.feedback_store_contract import ALICE, event


@pytest.mark.parametrize("rating", [0, 6, -1, 4.5, True, None, "4"])
def test_a_rating_outside_1_to_5_is_refused(rating: object) -> None:
    with pytest.raises(FeedbackError, match="rating must be"):
        event(1, rating=rating)


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("tags", {"tags_added": ()}, "at least one tag"),
        ("tags", {"tags_added": (" sharp",)}, "not normalized"),
        ("note", {"note": "  "}, "note must be"),
        ("choice", {"worse_run_id": "run-a"}, "two different runs"),
        ("rating", {"note": "x"}, "carries no note"),
        ("note", {"rating": 3}, "carries no rating"),
        ("bogus", {}, "kind must be"),
    ],
)
def test_events_are_valid_by_construction(kind: str, fields: dict[str, object], message: str) -> None:
    base = {"rating": {"rating": 3}, "tags": {}, "note": {}, "choice": {}, "bogus": {}}[kind]
    with pytest.raises(FeedbackError, match=message):
        FeedbackEvent("e", "run-a", "2026-01-01T00:00:00.000Z", ALICE, kind, **{**base, **fields})  # type: ignore[arg-type]


def test_authors() -> None:
    assert FeedbackAuthor.scorer("aesthetic", "1.0").to_dict() == {
        "kind": "scorer",
        "name": "aesthetic",
        "version": "1.0",
    }
    assert FeedbackAuthor.person("bob").to_dict() == {"kind": "person", "name": "bob"}
    with pytest.raises(FeedbackError, match="needs a version"):
        FeedbackAuthor("scorer", "aesthetic")
    with pytest.raises(FeedbackError, match="name"):
        FeedbackAuthor.person(" ")


def test_the_dict_form_names_only_the_fields_of_its_kind() -> None:
    assert event(1, "choice").to_dict() == {
        "schema_version": 1,
        "event_id": "ev-0001",
        "run_id": "run-a",
        "timestamp": "2026-11-24T09:00:01.000Z",
        "by": {"kind": "person", "name": "alice"},
        "kind": "choice",
        "worse_run_id": "run-b",
    }
    for kind in ("rating", "tags", "note", "choice"):
        assert FeedbackEvent.from_dict(event(2, kind).to_dict()) == event(2, kind)


def test_a_malformed_dict_is_a_feedback_error() -> None:
    with pytest.raises(FeedbackError):
        FeedbackEvent.from_dict({"schema_version": 1, "run_id": "r"})
    with pytest.raises(FeedbackError):
        FeedbackEvent.from_dict({**event(1).to_dict(), "by": "alice"})


def test_tags_are_trimmed_and_checked() -> None:
    assert normalize_tag("  very   sharp ") == "very sharp"
    for bad in ("", "   ", "a,b", "x" * 65):
        with pytest.raises(FeedbackError):
            normalize_tag(bad)


def test_the_latest_rating_wins_and_the_history_stays() -> None:
    events = [
        event(1, rating=2),
        event(2, "tags", tags_added=("sharp", "teal")),
        event(3, rating=5, by=FeedbackAuthor.person("bob")),
        event(4, "tags", tags_added=("moody",), tags_removed=("teal",)),
        event(5, "note", note="nice light"),
        event(6, "choice", run_id="run-a", worse_run_id="run-b"),
        event(3, rating=5, by=FeedbackAuthor.person("bob")),  # a retried append: counted once
    ]
    state = fold_feedback(events)
    run_a = state["run-a"]
    assert (run_a.rating, str(run_a.rated_by), run_a.rated_at) == (5, "bob", "2026-11-24T09:00:03.000Z")
    assert run_a.tags == ("moody", "sharp")
    assert run_a.notes == ("nice light",)
    assert (run_a.wins, run_a.losses) == (1, 0)
    assert [e.event_id for e in run_a.events] == [
        "ev-0001",
        "ev-0002",
        "ev-0003",
        "ev-0004",
        "ev-0005",
        "ev-0006",
    ]
    run_b = state["run-b"]
    assert (run_b.rating, run_b.wins, run_b.losses) == (None, 0, 1)
    assert [e.event_id for e in run_b.events] == ["ev-0006"]
    assert event(6, "choice").concerns("run-b")


def _append_many(path: str, worker: int) -> None:
    store = JsonlFeedbackStore(path)
    for n in range(40):
        store.append([event(worker * 1000 + n, run_id=f"run-{worker}")])


def test_processes_appending_at_once_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "feedback.jsonl")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(path, w)) for w in (1, 2, 3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    events = list(JsonlFeedbackStore(path).iter_events())
    assert len(events) == 120
    for w in (1, 2, 3):
        mine = [e.event_id for e in events if e.run_id == f"run-{w}"]
        assert mine == [f"ev-{w * 1000 + n:04d}" for n in range(40)]
