"""A history with a clear sampler effect, for the insights view and report: a pack name and a sampler
name hold markup. Alice rated every run and chose between runs that differ in the sampler alone."""

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
MARKUP_VALUE = '<img src=x id="injected-value" onerror="document.title=2">'
STARS = {
    "portraits": {"Euler a": (5, 5, 4, 5, 4, 5), "DPM++ 2M": (4, 3, 4, 3, 4, 3), "DDIM": (2, 1, 2, 1, 2, 2)},
    MARKUP_PACK: {"Euler a": (4, 5, 4), MARKUP_VALUE: (3, 2, 3)},
}
CHOICES = {
    # (pack, better sampler, worse sampler): which k-th runs of the two were chosen between. The k-th
    # runs of two samplers of a pack differ in the sampler alone (same steps, cfg, prompt, seed).
    ("portraits", "Euler a", "DDIM"): (0, 1, 2, 3, 4, 5),
    ("portraits", "Euler a", "DPM++ 2M"): (0, 1, 2, 3),
    ("portraits", "DPM++ 2M", "Euler a"): (4,),
    ("portraits", "DPM++ 2M", "DDIM"): (0, 1, 2, 3, 4),
    ("portraits", "DDIM", "DPM++ 2M"): (5,),
    (MARKUP_PACK, "Euler a", MARKUP_VALUE): (0, 1),
    (MARKUP_PACK, MARKUP_VALUE, "Euler a"): (2,),
}
"""17 choices between the samplers of portraits, 3 in the markup pack; none between other settings."""


def insights_history(choices: bool = True) -> tuple[list[Spec], list[FeedbackEvent]]:
    """Runs one minute apart, each rated once by alice; steps alternate 20 and 30 within a sampler.
    With ``choices``, alice's A-versus-B choices of CHOICES follow the ratings."""
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
    if choices:
        events.extend(_choices(specs, alice))
    return specs, events


def _choices(specs: list[Spec], alice: FeedbackAuthor) -> list[FeedbackEvent]:
    def kth(pack: str, sampler: str, k: int) -> str:
        return [spec.run_id for spec in specs if spec.pack == pack and spec.sampler == sampler][k]

    found: list[FeedbackEvent] = []
    for (pack, better, worse), ks in CHOICES.items():
        for k in ks:
            stamp = format_timestamp(T0 + timedelta(hours=1, minutes=len(found)))
            found.append(
                FeedbackEvent(
                    f"c{len(found)}",
                    kth(pack, better, k),
                    stamp,
                    alice,
                    "choice",
                    worse_run_id=kth(pack, worse, k),
                )
            )
    return found


def write_insights_home(folder: Path, choices: bool = True) -> Path:
    """The history above as files in ``folder`` (records, feedback, images, settings.toml)."""
    specs, events = insights_history(choices)
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
