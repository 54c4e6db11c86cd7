"""What a reader makes of one image's metadata: a run as another front-end recorded it, or why not.

Values are kept as the file wrote them (text); ``domain.infotext_checks`` decides which numbers
are sane before anything becomes a record. A value the metadata does not state is None, never
guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class ImportedStage:
    """One sampling pass (or an upscale between passes) as the metadata states it.

    ``name`` is a pipeline stage name (txt2img, img2img, upscale); ``size`` is ``WIDTHxHEIGHT``
    text; ``settings`` holds stage-specific values (e.g. ``upscaler`` and ``scale`` of an upscale).
    """

    name: str
    sampler: str | None = None
    scheduler: str | None = None
    steps: str | None = None
    cfg_scale: str | None = None
    seed: str | None = None
    size: str | None = None
    denoising_strength: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportedRun:
    """A run read from one image's metadata.

    ``format`` names the metadata layout (``a1111-infotext``, ``comfyui-prompt``...), ``tool`` the
    front-end that wrote it (``a1111``, ``sdnext``, ``comfyui``...). ``raw`` keeps every metadata
    text the reader used, verbatim, so a later parser can read the file's record again;
    ``extra`` keeps parsed values with no field of their own (settings, a ComfyUI graph...).
    ``seed_max`` is the largest seed the tool can write (A1111: 32 bits, ComfyUI: 64 bits).
    ``image_size_stands_in``: when the metadata's size is missing or bad, the image's own pixel size
    is the generated size (true of A1111 without a hires fix; not of a graph that may scale pixels).
    """

    format: str
    tool: str
    prompt: str | None
    negative_prompt: str | None
    stages: tuple[ImportedStage, ...]
    model: str | None = None
    model_hash: str | None = None
    version: str | None = None
    raw: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    seed_max: int = 2**32 - 1
    image_size_stands_in: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "raw", MappingProxyType(dict(self.raw)))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    @property
    def upscaled(self) -> bool:
        """True when a pass after the first changed the size (the image is not at the first pass's size)."""
        return any(stage.name == "upscale" for stage in self.stages)


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Metadata of ``format`` was there but could not be read; ``reason`` says why in one line."""

    format: str
    reason: str


def text(value: object) -> str | None:
    """A metadata value as text for ImportedStage: None stays None, numbers and strings as written."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return str(int(value))
    return str(value)
