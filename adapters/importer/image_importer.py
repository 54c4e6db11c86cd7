"""The ImageImporter that reads every supported format, chosen by what each file holds.

Each file is read whole once (its sha256 is needed anyway); its container (PNG, JPEG, WEBP, by
content) gives the metadata texts without decoding pixels, and the first reader that recognises
them (readers.READERS, most specific first) makes the run. A file whose sha256 is already known
is skipped. A file holding no generation metadata is skipped without a problem; one whose
container or metadata cannot be read is skipped as a problem, with its one-line reason.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from adapters.importer.containers import ImageTexts, NotAnImage, read_image_texts
from adapters.importer.readers import READERS, read_texts
from adapters.importer.stealth import read_stealth_text
from adapters.jsonl_log.line_format import decode_line, encode_line
from domain.errors import RecordSerializationError
from domain.import_plan import Imported, ImportNote, ImportPlan, Skipped
from domain.import_record import PARSER_VERSION, ImageFacts, import_record
from domain.imported_run import Unreadable
from domain.ports import ImageImporter, MetadataReader
from domain.record import NOT_A_RECORD, LearningRecord
from domain.timefmt import format_timestamp

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff", ".avif"})
_SHOWN_KEYS = 5


class NotImportable(ValueError):
    """This file cannot be imported; the message says why in a few words."""

    def __init__(self, reason: str, *, problem: bool = True, format_name: str = "") -> None:
        super().__init__(reason)
        self.problem = problem
        self.format_name = format_name


class MetadataImageImporter(ImageImporter):
    """Reads A1111-family, ComfyUI, InvokeAI, NovelAI, Fooocus and SwarmUI images (docs/import.md)."""

    parser_version = PARSER_VERSION

    def __init__(self, readers: Sequence[MetadataReader] = READERS) -> None:
        self._readers = tuple(readers)

    def find(self, paths: Sequence[Path], *, recursive: bool = False) -> list[Path]:
        return collect_images(paths, recursive=recursive)

    def plan(
        self,
        files: Iterable[Path],
        known_sha256: set[str],
        *,
        progress: Callable[[int], None] | None = None,
        reread: Mapping[str, str] | None = None,
    ) -> ImportPlan:
        return plan_import(files, known_sha256, readers=self._readers, progress=progress, reread=reread)


def collect_images(paths: Iterable[Path], *, recursive: bool = False) -> list[Path]:
    """Files given directly, plus the image files (by suffix) inside given folders, sorted by name.

    The suffix only chooses which files in a folder to look at; what a file is comes from its bytes.
    """
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
    readers: Sequence[MetadataReader] = READERS,
    now: datetime | None = None,
    new_run_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    progress: Callable[[int], None] | None = None,
    reread: Mapping[str, str] | None = None,
) -> ImportPlan:
    """Read every file; never raises for a bad file (it is listed in ``skipped``).

    ``progress`` is called with the number of files done after each file; ``reread`` maps the
    sha256 of a file to read again to the run id its new record keeps (see ImageImporter).
    """
    plan = ImportPlan()
    seen = set(known_sha256)
    imported_at = format_timestamp(now or datetime.now(UTC))
    run_ids = dict(reread or {})
    for done, path in enumerate(files, start=1):
        _plan_one(plan, path, seen, imported_at, new_run_id, readers, run_ids)
        if progress is not None:
            progress(done)
    return plan


def _plan_one(
    plan: ImportPlan,
    path: Path,
    seen: set[str],
    imported_at: str,
    new_run_id: Callable[[], str],
    readers: Sequence[MetadataReader],
    reread: dict[str, str],
) -> None:
    """Add ``path``'s record, or why it is skipped, to ``plan``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        plan.skipped.append(Skipped(path, f"cannot read it ({exc.strerror or exc})"))
        return
    digest = hashlib.sha256(data).hexdigest()
    if digest in seen:
        plan.skipped.append(Skipped(path, "already in the history (same sha256)", problem=False, known=True))
        return
    earlier = reread.pop(digest, None)
    try:
        run_id = new_run_id() if earlier is None else earlier
        record, notes = read_record(
            path, data, digest, imported_at, run_id, readers, reparsed=earlier is not None
        )
        check_storable(record)
    except NotImportable as exc:
        plan.skipped.append(Skipped(path, str(exc), problem=exc.problem, format=exc.format_name))
        return
    seen.add(digest)
    plan.records.append(record)
    found = record.metadata["import"]
    imported = Imported(path, record.run_id, str(found["format"]), str(found["tool"]), earlier is not None)
    plan.imported.append(imported)
    plan.notes += [ImportNote(path, note) for note in notes]


def read_record(
    path: Path,
    data: bytes,
    digest: str,
    imported_at: str,
    run_id: str,
    readers: Sequence[MetadataReader] = READERS,
    *,
    reparsed: bool = False,
) -> tuple[LearningRecord, tuple[str, ...]]:
    """The record of one image's bytes and the notes on values left out of it; raises NotImportable."""
    try:
        image = read_image_texts(data)
    except NotAnImage as exc:
        raise NotImportable(str(exc)) from None
    run = read_texts(image.texts, readers)
    if run is None and image.container == "png":
        hidden = read_stealth_text(data)
        if hidden is not None:
            run = read_texts({**image.texts, "stealth": hidden}, readers)
    if run is None:
        raise NotImportable(_no_metadata(image), problem=bool(image.problems))
    if isinstance(run, Unreadable):
        raise NotImportable(f"{run.format}: {run.reason}", format_name=run.format)
    absolute = path.resolve()
    facts = ImageFacts(
        path=str(absolute),
        sha256=digest,
        size=image.size,
        made_at=_made_at(path, imported_at),
        imported_at=imported_at,
        run_id=run_id,
        reparsed=reparsed,
    )
    return import_record(run, facts)


def _made_at(path: Path, fallback: str) -> str:
    """When the image was made: its modification time (the import's time if that is unreadable)."""
    try:
        return format_timestamp(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    except (OSError, OverflowError, ValueError):  # gone meanwhile, or a time outside datetime's range
        return fallback


def _no_metadata(image: ImageTexts) -> str:
    if image.problems:
        return f"no readable generation metadata in this {image.container.upper()}: {image.problems[0]}"
    if not image.texts:
        return f"no generation metadata (a {image.container.upper()} with no text chunks or EXIF comment)"
    keys = sorted(image.texts)
    shown = ", ".join(repr(key) for key in keys[:_SHOWN_KEYS]) + (", ..." if len(keys) > _SHOWN_KEYS else "")
    return f"no generation metadata of a known format (its texts: {shown})"


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
