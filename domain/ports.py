"""Ports: what the use cases need from the outside world, and the contract each must keep.

Contract suites in tests/contract/ check every implementation, real or fake, against these texts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from domain.config import PipelineConfig
from domain.images import BackendInfo, ImageData, StageOutput
from domain.record import LearningRecord


@runtime_checkable
class RecordSink(Protocol):
    """Durable, append-only destination of learning records.

    ``append_record`` stores the whole record or nothing: when it returns, the record is stored
    (durably, if the sink promises durability); when it raises (a ``RecordStoreError`` or, for a
    value JSON cannot represent, ``RecordSerializationError``), nothing of that record was stored
    and later appends still work. It may be called any number of times, from several processes
    at once; each call stores exactly one record.
    """

    def append_record(self, record: LearningRecord) -> None: ...


@dataclass(frozen=True, slots=True)
class BadLine:
    """A stored line that is not a valid record: where it is and why it was skipped.

    ``line_number`` is 1-based from the start of the file when reading oldest first. When
    reading newest first the start of the file is never read, so it counts from the end:
    -1 is the last line, -2 the one before. ``byte_offset`` (when the store knows it) is the
    position of the line's first byte in the file, the same in both directions.
    """

    line_number: int
    reason: str
    byte_offset: int | None = None


@runtime_checkable
class RecordReader(Protocol):
    """Reads back what a RecordSink stored.

    ``iter_records`` streams records oldest first; with ``newest_first=True`` it streams them
    from the end, reading the file backwards in blocks (listing the last 20 records of a large
    store costs the same as of a small one). It reads the store as it was when iteration
    started. A bad line (not JSON, not an object, checksum mismatch, not a learning record,
    an incomplete last line) anywhere in the store never raises: it is skipped and passed to
    ``on_bad_line`` as a ``BadLine`` (see there for how lines are numbered in each direction).
    A record of a newer schema_version than this reader knows raises
    ``UnsupportedSchemaVersion``; every older known version is read. A missing store yields
    nothing; a store that cannot be read raises ``RecordStoreError`` naming it.
    """

    def iter_records(
        self,
        *,
        newest_first: bool = False,
        on_bad_line: Callable[[BadLine], None] | None = None,
    ) -> Iterator[LearningRecord]: ...

    def iter_run_ids(self, *, newest_first: bool = False) -> Iterator[str]:
        """The ``run_id`` of every stored record, in the same order as ``iter_records``, without
        building the records (a fast scan, e.g. to resolve a run-id prefix); bad lines are
        skipped silently."""
        ...


@runtime_checkable
class ImageBackend(Protocol):
    """Makes images, one pipeline stage per call.

    Every call either returns a StageOutput with at least one image or raises: ``BackendError``
    (with a one-line message and a hint) when the backend refused or failed,
    ``GenerationInterrupted`` when the user interrupted it. A call that raised leaves nothing
    behind. Calls are not retried by the caller.

    Each image is the exact encoded bytes (PNG, text chunks intact); ``ImageData.width`` and
    ``height`` are its decoded size and ``seed`` the seed that made it. ``StageOutput.backend``
    says who made the images (as ``describe`` would, with the model really used).

    - ``txt2img`` makes ``config.batch_size`` images of ``config.width`` x ``config.height``;
      image ``i`` uses seed ``seed + i``, and a seed of -1 is first replaced by a concrete one.
      Each PNG carries an A1111 ``parameters`` text chunk (domain.infotext) whose prompt is
      ``config.prompt`` exactly. ``resolved`` holds what the backend really used: ``seed`` (the
      first image's), ``sampler``, ``scheduler`` (only if the backend has schedulers),
      ``steps``, ``cfg_scale``, ``width``, ``height``, and where known ``all_seeds`` and ``model``.
    - ``img2img`` re-draws ``image`` with ``denoising_strength``, the same way, into exactly one
      image (whatever ``config.batch_size``: a batch branches at txt2img, and each branch keeps
      one image per stage) of the input image's own size; ``resolved`` also holds
      ``denoising_strength``.
    - ``upscale`` enlarges ``image`` by ``scale`` with ``upscaler``: each side becomes
      ``side * scale`` (rounded; a backend may round down to a multiple of 8); ``resolved``
      holds ``upscaler``, ``scale``, ``width`` and ``height``.
    - ``prepare`` checks before a run that the backend can serve ``config`` (model, sampler,
      scheduler and the upscale stages' upscaler names) and raises ``BackendError`` naming the
      first unknown name if not; it may be called often. An empty ``config.model`` means the
      backend's current model.
    - ``describe`` reports kind, version and model without generating anything.
    """

    def prepare(self, config: PipelineConfig) -> None: ...

    def txt2img(self, config: PipelineConfig) -> StageOutput: ...

    def img2img(self, config: PipelineConfig, image: ImageData, denoising_strength: float) -> StageOutput: ...

    def upscale(self, image: ImageData, upscaler: str, scale: float) -> StageOutput: ...

    def describe(self) -> BackendInfo: ...


@runtime_checkable
class ArtifactStore(Protocol):
    """Keeps a run's images.

    ``save`` writes the bytes unchanged, atomically (a reader never sees half a file), and
    returns the path it wrote; the same (run_id, stage, index) names the same file, and saving
    it again replaces it. ``run_id`` and ``stage`` are plain names: one holding a path
    separator or ``..`` raises ValueError and nothing is written.
    ``load`` reads an input image from a path (one ``save`` returned, or any image file) and
    reports its size and its ``parameters`` text if it has one; a missing or undecodable file
    raises ``ConfigError`` for the field ``init_images`` naming the path.
    """

    def save(self, run_id: str, stage: str, index: int, data: bytes) -> str: ...

    def load(self, path: str) -> ImageData: ...


@runtime_checkable
class Clock(Protocol):
    """The time, for timestamps and durations: ``now()`` returns an aware UTC datetime."""

    def now(self) -> datetime: ...


# A sink factory is how the controller gets a sink only when learning is on.
SinkFactory = Callable[[], RecordSink]
