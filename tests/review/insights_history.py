"""A history with a clear sampler effect, for the insights view and report: the pack names hold markup."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.record_store.jsonl import JsonlRecordStore
from domain.feedback import FeedbackAuthor, FeedbackEvent
from domain.timefmt import format_timestamp
from tests.factories import T0
from tests.review.history_data import Spec, build_record, run_id_of
from tests.review.review_home import draw

MARKUP_PACK = '<b id="injected">portraits</b><img src=x onerror="document.title=1">'
STARS = {
    "portraits": {"Euler a": (5, 5, 4, 5, 4, 5), "DPM++ 2M": (4, 3, 4, 3, 4, 3), "DDIM": (2, 1, 2, 1, 2, 2)},
    MARKUP_PACK: {"Euler a": (4, 5, 4), "DDIM": (3, 2, 3)},
}


def insights_history() -> tuple[list[Spec], list[FeedbackEvent]]:
    """Runs one minute apart, each rated once by alice; steps alternate 20 and 30 within a sampler."""
    specs: list[Spec] = []
    events: list[FeedbackEvent] = []
    alice = FeedbackAuthor.person("alice")
    for pack, samplers in STARS.items():
        for sampler, stars in samplers.items():
            for k, rating in enumerate(stars):
                n = len(specs)
                run_id = run_id_of(n)
                specs.append(
                    Spec(
                        run_id,
                        n,
                        pack,
                        "sdxl-base",
                        sampler,
                        (20, 30)[k % 2],
                        7.0,
                        "succeeded",
                        False,
                        rating,
                        frozenset(),
                    )
                )
                stamp = format_timestamp(T0 + timedelta(minutes=n, seconds=30))
                events.append(FeedbackEvent(f"r{n}", run_id, stamp, alice, "rating", rating=rating))
    return specs, events


def write_insights_home(folder: Path) -> Path:
    """The history above as files in ``folder`` (records, feedback, images, settings.toml)."""
    specs, events = insights_history()
    records = JsonlRecordStore(folder / "records" / "learning_records.jsonl", durability="none")
    records.append_records(build_record(spec, "output") for spec in specs)
    records.close()
    feedback = JsonlFeedbackStore(folder / "records" / "feedback.jsonl", durability="none")
    feedback.append(events)
    feedback.close()
    for n, spec in enumerate(specs):
        draw(folder / "output" / spec.run_id / "txt2img_0.png", n)
    (folder / "settings.toml").write_text('[feedback]\nuser = "tester"\n', encoding="utf-8")
    return folder
