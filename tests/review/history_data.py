"""A generated history: records with varied settings, plus feedback, and the specs they came from."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.record_store.jsonl import JsonlRecordStore
from domain import (
    BackendInfo,
    ImageArtifact,
    LearningRecord,
    RunMetrics,
    StageEvent,
    StageStatus,
    stages_from_names,
)
from domain.feedback import FeedbackAuthor, FeedbackEvent
from domain.timefmt import format_timestamp
from tests.factories import T0, make_config

PACKS = ("portraits", "landscapes", "animals", None)
MODELS = ("sdxl-base", "sd15-dream", "flux-dev")
SAMPLERS = ("Euler a", "DPM++ 2M", "DDIM")
STATUSES = ("succeeded", "succeeded", "succeeded", "failed")


@dataclass(frozen=True, slots=True)
class Spec:
    """What a generated run was made of, kept so tests can compute expected answers independently."""

    run_id: str
    minute: int
    pack: str | None
    model: str
    sampler: str
    steps: int
    cfg: float
    status: str
    upscaled: bool
    rating: int | None  # the latest rating
    tags: frozenset[str]


def run_id_of(n: int) -> str:
    return f"{n:08x}" + "c0ffee" * 4


def build_record(spec: Spec, directory: str = "output") -> LearningRecord:
    stages = "txt2img,upscale" if spec.upscaled else "txt2img"
    config = make_config(
        model=spec.model,
        sampler=spec.sampler,
        steps=spec.steps,
        cfg_scale=spec.cfg,
        stages=stages_from_names(stages),
        prompt_pack_id=spec.pack,
        prompt_id=f"p{spec.minute % 7}",
    )
    start = T0 + timedelta(minutes=spec.minute)
    txt_ms = 1000 + spec.steps * 50
    events = [
        StageEvent("txt2img", StageStatus.SUCCEEDED, start, start + timedelta(milliseconds=txt_ms), txt_ms, 1)
    ]
    outputs = [
        ImageArtifact("txt2img", 0, f"{directory}/{spec.run_id}/txt2img_0.png", 512, 512, 7, spec.run_id * 2)
    ]
    if spec.upscaled:
        events.append(StageEvent("upscale", StageStatus.SUCCEEDED, start, start, 500, 1))
        outputs.append(
            ImageArtifact("upscale", 0, f"{directory}/{spec.run_id}/upscale_0.png", 1024, 1024, 7, "f" * 64)
        )
    return LearningRecord(
        run_id=spec.run_id,
        timestamp=format_timestamp(start),
        status=spec.status,
        stage_plan=config.stage_plan,
        stages_executed=config.stage_plan,
        config=config.to_dict(),
        stage_events=tuple(events),
        outputs=tuple(outputs),
        metrics=RunMetrics(txt_ms + (500 if spec.upscaled else 0), len(outputs)),
        backend=BackendInfo(kind="fake", model=spec.model, model_hash="abc123"),
        prompt_pack_id=spec.pack,
        prompt_id=f"p{spec.minute % 7}",
        resolved={"txt2img": {"sampler": spec.sampler, "seed": 7}},
    )


def generate(count: int, seed: int = 7) -> tuple[list[Spec], list[LearningRecord], list[FeedbackEvent]]:
    """``count`` runs one minute apart, oldest first; about half rated (some twice), some tagged."""
    rnd = random.Random(seed)
    specs: list[Spec] = []
    records: list[LearningRecord] = []
    events: list[FeedbackEvent] = []
    alice = FeedbackAuthor.person("alice")
    for n in range(count):
        run_id = run_id_of(n)
        rating = None
        tags: set[str] = set()
        stamp = format_timestamp(T0 + timedelta(minutes=n, seconds=30))
        if rnd.random() < 0.5:
            first = rnd.randint(1, 5)
            events.append(FeedbackEvent(f"e{n}a", run_id, stamp, alice, "rating", rating=first))
            rating = first
            if rnd.random() < 0.3:
                rating = rnd.randint(1, 5)
                events.append(FeedbackEvent(f"e{n}b", run_id, stamp, alice, "rating", rating=rating))
        if rnd.random() < 0.2:
            tags = {rnd.choice(("sharp", "moody")), "keeper"}
            events.append(
                FeedbackEvent(f"e{n}c", run_id, stamp, alice, "tags", tags_added=tuple(sorted(tags)))
            )
            if rnd.random() < 0.5:
                events.append(FeedbackEvent(f"e{n}d", run_id, stamp, alice, "tags", tags_removed=("keeper",)))
                tags.discard("keeper")
        spec = Spec(
            run_id=run_id,
            minute=n,
            pack=rnd.choice(PACKS),
            model=rnd.choice(MODELS),
            sampler=rnd.choice(SAMPLERS),
            steps=rnd.choice((10, 20, 25, 30, 40, 50)),
            cfg=rnd.choice((4.0, 5.5, 7.0, 9.0)),
            status=rnd.choice(STATUSES),
            upscaled=rnd.random() < 0.4,
            rating=rating,
            tags=frozenset(tags),
        )
        specs.append(spec)
        records.append(build_record(spec))
    return specs, records, events


def write_history(
    directory: Path, count: int, seed: int = 7
) -> tuple[list[Spec], JsonlRecordStore, JsonlFeedbackStore]:
    specs, records, events = generate(count, seed)
    sink = JsonlRecordStore(directory / "learning_records.jsonl", durability="none")
    sink.append_records(records)
    store = JsonlFeedbackStore(directory / "feedback.jsonl", durability="none")
    store.append(events)
    return specs, sink, store
