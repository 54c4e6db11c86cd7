"""A generated history where one sampler is clearly rated best and the number of steps does not matter."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from adapters.backends.fake import DEFAULT_MODEL, model_hash
from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.record_store.jsonl import JsonlRecordStore
from domain.feedback import FeedbackEvent
from domain.images import BackendInfo
from domain.record import LearningRecord
from tests.insights.rows import rating
from tests.review.history_data import Spec, build_record, run_id_of

GOOD, BAD = "Euler a", "DPM++ 2M"
RUNS = 48
PACK = "portraits"


def specs() -> list[Spec]:
    """Each group of four runs shares prompt and seed and tries both samplers at 20 and 30 steps."""
    return [
        Spec(
            run_id=run_id_of(n),
            minute=(n // 4) * 7,  # one prompt id per group (build_record uses minute % 7)
            pack=PACK,
            model=DEFAULT_MODEL,
            sampler=(GOOD, BAD)[n % 2],
            steps=(20, 30)[(n // 2) % 2],
            cfg=7.0,
            status="succeeded",
            upscaled=False,
            rating=None,
            tags=frozenset(),
        )
        for n in range(RUNS)
    ]


def ratings(good: tuple[int, int] = (5, 4), bad: tuple[int, int] = (2, 1)) -> list[FeedbackEvent]:
    """Alice's stars: ``good`` for the good sampler's runs, ``bad`` for the other's, alternating."""
    return [
        rating(spec.run_id, (good if spec.sampler == GOOD else bad)[(n // 4) % 2])
        for n, spec in enumerate(specs())
    ]


def write_history(home: Path, events: list[FeedbackEvent] | None = None) -> Path:
    """The records and feedback files under ``home/records``, and a settings file naming no one."""
    records = home / "records"
    store = JsonlRecordStore(records / "learning_records.jsonl", durability="none")
    store.append_records([_as_fake_backend_made_it(spec) for spec in specs()])
    store.close()
    add_ratings(home, ratings() if events is None else events)
    (home / "settings.toml").write_text('[feedback]\nuser = "tester"\n', encoding="utf-8")
    return home


def _as_fake_backend_made_it(spec: Spec) -> LearningRecord:
    """The record with the model hash the fake backend reports, so a run there matches the preset."""
    backend = BackendInfo("fake", model=spec.model, model_hash=model_hash(spec.model))
    return replace(build_record(spec), backend=backend)


def add_ratings(home: Path, events: list[FeedbackEvent]) -> None:
    store = JsonlFeedbackStore(home / "records" / "feedback.jsonl", durability="none")
    store.append(events)
    store.close()
