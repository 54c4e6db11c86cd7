"""The learning record of one imported image: a run another front-end made, as its metadata states it.

Pure: it reads no file. Numbers are checked (domain/infotext_checks.py) and a value out of range
is left out with a note. The record has one stage per sampling pass (and upscale) in order, with
names made unique (``img2img``, ``img2img-2``); the top-level config holds the first pass's
values, as a pipeline run's does. Its ``metadata.import`` says where the image is, when it was
imported, the metadata ``format`` and ``tool``, and ``raw``: every metadata text read, verbatim.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.images import BackendInfo, ImageArtifact
from domain.imported_run import ImportedRun, ImportedStage
from domain.infotext_checks import CheckedParameters, check_stage
from domain.record import SOURCE_IMPORT, LearningRecord, RunMetrics
from domain.run import StageEvent, StageStatus

# The importer's version: 1 was the A1111-PNG-only importer (records without the field), 2 reads
# every format (issue 11). `records import --reparse` reads again files imported by an older one.
PARSER_VERSION = 2


def import_parser_version(record: LearningRecord) -> int | None:
    """The importer version that made an imported record (1 when it does not say); None if not imported."""
    if record.source != SOURCE_IMPORT:
        return None
    found = record.metadata.get("import")
    version = found.get("parser_version", 1) if isinstance(found, Mapping) else 1
    return version if isinstance(version, int) and not isinstance(version, bool) else 1


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What the importer knows of the file itself."""

    path: str
    sha256: str
    size: tuple[int, int] | None
    made_at: str
    imported_at: str
    run_id: str
    reparsed: bool = False  # the run id is an earlier import's, read again by a newer importer


def import_record(run: ImportedRun, image: ImageFacts) -> tuple[LearningRecord, tuple[str, ...]]:
    """The record of ``run`` read from ``image``, and the notes on values left out of it."""
    stages = run.stages or (ImportedStage("txt2img"),)
    names = _unique_names(stage.name for stage in stages)
    single = len(stages) == 1
    checked = [
        check_stage(
            stage,
            image.size if single and run.image_size_stands_in else None,
            upscaled=not single,
            seed_max=run.seed_max,
            label="" if index == 0 else f"{names[index]} stage",
        )
        for index, stage in enumerate(stages)
    ]
    notes = tuple(note for values in checked for note in values.notes)
    first, first_checked = stages[0], checked[0]
    width, height = image.size or (0, 0)
    last = names[-1]
    record = LearningRecord(
        run_id=image.run_id,
        timestamp=image.made_at,
        status="succeeded",
        stage_plan=tuple(names),
        stages_executed=tuple(names),
        config={
            "prompt": run.prompt,
            "negative_prompt": run.negative_prompt,
            "model": run.model or "",
            "sampler": first.sampler or "",
            "scheduler": first.scheduler or "",
            "steps": first_checked.steps,
            "cfg_scale": first_checked.cfg_scale,
            "width": first_checked.width,
            "height": first_checked.height,
            "seed": first_checked.seed,
            "batch_size": 1,
            "stages": [
                _stage_settings(name, stage, values)
                for name, stage, values in zip(names, stages, checked, strict=True)
            ],
            "prompt_pack_id": None,
            "prompt_id": None,
            "metadata": {},
        },
        stage_events=tuple(
            StageEvent(name, StageStatus.SUCCEEDED, image_count=1 if name == last else 0) for name in names
        ),
        outputs=(ImageArtifact(last, 0, image.path, width, height, checked[-1].seed, image.sha256),),
        metrics=RunMetrics(total_duration_ms=0, image_count=1),
        backend=BackendInfo(kind="import", version=run.version, model=run.model, model_hash=run.model_hash),
        resolved={
            name: _resolved(stage, values)
            for name, stage, values in zip(names, stages, checked, strict=True)
            if stage.name != "upscale"
        },
        source=SOURCE_IMPORT,
        metadata={"import": _import_metadata(run, image)},
    )
    return record, notes


def _import_metadata(run: ImportedRun, image: ImageFacts) -> dict[str, Any]:
    found: dict[str, Any] = {
        "path": image.path,
        "imported_at": image.imported_at,
        "format": run.format,
        "tool": run.tool,
        "parser_version": PARSER_VERSION,
        "raw": dict(run.raw),
    }
    if image.reparsed:
        found["reparsed"] = True
    if run.format == "a1111-infotext":  # where earlier versions kept the infotext
        found["parameters"] = next(iter(run.raw.values()), "")
    return found | {key: value for key, value in run.extra.items() if key not in found}


def _unique_names(names: Any) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return unique


def _stage_settings(name: str, stage: ImportedStage, values: CheckedParameters) -> dict[str, Any]:
    settings: dict[str, Any] = {"name": name}
    if stage.name == "img2img":
        settings |= {"denoising_strength": values.denoising_strength, "init_images": []}
    elif stage.name == "upscale":
        upscaler = stage.settings.get("upscaler")
        scale = _number(stage.settings.get("scale"))
        if isinstance(upscaler, str):
            settings["upscaler"] = upscaler
        if scale is not None and 0 < scale <= 16:
            settings["scale"] = scale
    return settings


def _resolved(stage: ImportedStage, values: CheckedParameters) -> dict[str, Any]:
    found = {
        "seed": values.seed,
        "sampler": stage.sampler,
        "scheduler": stage.scheduler,
        "steps": values.steps,
        "cfg_scale": values.cfg_scale,
    }
    return {key: value for key, value in found.items() if value is not None}


def _number(value: object) -> float | None:
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None
