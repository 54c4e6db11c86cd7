"""Read A1111-style PNGs (the ``parameters`` text chunk) into LearningRecords marked as imported.

Each image becomes one record: source ``import``, a fresh run_id, the parsed prompt, seed,
sampler, scheduler, steps, CFG scale, size and model hash, and one output pointing at the
original file (path, size, sha256). Images whose sha256 is already known are skipped, so
importing the same folder twice adds nothing.

The numbers are checked first (domain/infotext_checks.py): one out of range or unreadable is left
out of the record with a note for that file. Each record is then encoded and read back as the
record store would, so a file whose record still could not be stored is skipped with its reason
instead of failing the whole import's group commit.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from adapters.jsonl_log.line_format import decode_line, encode_line
from domain.errors import RecordSerializationError
from domain.images import BackendInfo, ImageArtifact
from domain.import_plan import ImportNote, ImportPlan, Skipped
from domain.infotext import ParsedInfotext, parse_infotext
from domain.infotext_checks import CheckedParameters, check_parameters
from domain.ports import ImageImporter
from domain.record import NOT_A_RECORD, SOURCE_IMPORT, LearningRecord, RunMetrics
from domain.run import StageEvent, StageStatus
from domain.timefmt import format_timestamp

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif"})
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class NotImportable(ValueError):
    """This file cannot be imported; the message says why in a few words."""


class A1111PngImporter(ImageImporter):
    """The ImageImporter for images with A1111 ``parameters`` text (A1111, Forge, SD.Next)."""

    def find(self, paths: Sequence[Path], *, recursive: bool = False) -> list[Path]:
        return collect_images(paths, recursive=recursive)

    def plan(self, files: Iterable[Path], known_sha256: set[str]) -> ImportPlan:
        return plan_import(files, known_sha256)


def collect_images(paths: Iterable[Path], *, recursive: bool = False) -> list[Path]:
    """Files given directly, plus the image files (by suffix) inside given folders, sorted by name."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            found += sorted(
                p for p in path.glob(pattern) if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            )
        else:
            found.append(path)
    return found


def plan_import(
    files: Iterable[Path],
    known_sha256: set[str],
    *,
    now: datetime | None = None,
    new_run_id: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> ImportPlan:
    """Read every file; never raises for a bad file (it is listed in ``skipped``)."""
    plan = ImportPlan()
    seen = set(known_sha256)
    imported_at = format_timestamp(now or datetime.now(UTC))
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            plan.skipped.append(Skipped(path, f"cannot read it ({exc.strerror or exc})"))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            plan.skipped.append(Skipped(path, "already in the history (same sha256)", problem=False))
            continue
        try:
            record, notes = read_record(path, data, digest, imported_at, new_run_id())
            check_storable(record)
        except NotImportable as exc:
            plan.skipped.append(Skipped(path, str(exc)))
            continue
        seen.add(digest)
        plan.records.append(record)
        plan.notes += [ImportNote(path, note) for note in notes]
    return plan


def check_storable(record: LearningRecord) -> None:
    """Raise NotImportable unless ``record`` encodes as a stored line and reads back as a record."""
    try:
        payload, reason = decode_line(encode_line(record.to_dict()).removesuffix(b"\n"))
        if payload is None:
            raise NotImportable(f"its record would be a bad line ({reason})")
        LearningRecord.from_dict(payload)
    except RecordSerializationError as exc:
        raise NotImportable(f"its record cannot be stored ({exc})") from None
    except NOT_A_RECORD as exc:
        raise NotImportable(f"its record would not read back ({exc})") from None


def read_record(
    path: Path, data: bytes, digest: str, imported_at: str, run_id: str
) -> tuple[LearningRecord, tuple[str, ...]]:
    """The record of one PNG's bytes and the notes on values left out of it; raises NotImportable."""
    if not data.startswith(PNG_SIGNATURE):
        raise NotImportable("not a PNG")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            text = image.info.get("parameters")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise NotImportable(f"not a readable PNG ({exc})") from None
    if not isinstance(text, str) or not text.strip():
        raise NotImportable("no 'parameters' text chunk (not made by A1111, or the metadata was stripped)")
    parsed = parse_infotext(text)
    checked = check_parameters(parsed, (width, height))
    stage = _stage_of(parsed)
    config = _config_of(parsed, checked, stage)
    absolute = path.resolve()
    made_at = format_timestamp(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    resolved = {
        key: value
        for key, value in {
            "seed": checked.seed,
            "sampler": parsed.sampler,
            "scheduler": parsed.schedule_type,
            "steps": checked.steps,
            "cfg_scale": checked.cfg_scale,
        }.items()
        if value is not None
    }
    record = LearningRecord(
        run_id=run_id,
        timestamp=made_at,
        status="succeeded",
        stage_plan=(stage,),
        stages_executed=(stage,),
        config=config,
        stage_events=(StageEvent(stage, StageStatus.SUCCEEDED, image_count=1),),
        outputs=(ImageArtifact(stage, 0, str(absolute), width, height, checked.seed, digest),),
        metrics=RunMetrics(total_duration_ms=0, image_count=1),
        backend=BackendInfo(
            kind="import", version=parsed.version, model=parsed.model, model_hash=parsed.model_hash
        ),
        resolved={stage: resolved},
        source=SOURCE_IMPORT,
        metadata={"import": {"path": str(absolute), "imported_at": imported_at, "parameters": text}},
    )
    return record, checked.notes


def _stage_of(parsed: ParsedInfotext) -> str:
    """img2img when a denoising strength is given without hires-fix keys (A1111 writes both for hires).

    A denoising strength left out as unreadable still says the image was made by img2img.
    """
    hires = any(key.startswith("Hires") for key in parsed.params)
    return "img2img" if "Denoising strength" in parsed.params and not hires else "txt2img"


def _config_of(parsed: ParsedInfotext, checked: CheckedParameters, stage: str) -> dict[str, Any]:
    stage_settings: dict[str, Any] = {"name": stage}
    if stage == "img2img":
        stage_settings |= {"denoising_strength": checked.denoising_strength, "init_images": []}
    return {
        "prompt": parsed.prompt,
        "negative_prompt": parsed.negative_prompt,
        "model": parsed.model or "",
        "sampler": parsed.sampler or "",
        "scheduler": parsed.schedule_type or "",
        "steps": checked.steps,
        "cfg_scale": checked.cfg_scale,
        "width": checked.width,
        "height": checked.height,
        "seed": checked.seed,
        "batch_size": 1,
        "stages": [stage_settings],
        "prompt_pack_id": None,
        "prompt_id": None,
        "metadata": {},
    }
