"""Images as they move between stages, and the references to the files a run saved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from domain.payload import Payload


@dataclass(frozen=True, slots=True)
class ImageData:
    """Encoded image bytes (PNG, text chunks intact) with what is known about them."""

    data: bytes = field(repr=False)
    width: int
    height: int
    seed: int | None = None
    infotext: str | None = None


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """Who made the images, as the backend itself reports it."""

    kind: str
    version: str | None = None
    model: str | None = None
    model_hash: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "model": self.model,
            "model_hash": self.model_hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | Payload) -> BackendInfo:
        backend = data if isinstance(data, Payload) else Payload(data)
        return cls(
            kind=backend.text("kind", "unknown"),
            version=backend.optional_text("version"),
            model=backend.optional_text("model"),
            model_hash=backend.optional_text("model_hash"),
        )


@dataclass(frozen=True, slots=True)
class BackendReport:
    """What a backend's server offers, as ``stablenew backend check`` shows it.

    ``url``, ``flavor`` and ``devices`` are None where they do not apply (a built-in backend has
    no URL; only the WebUI has flavors; only ComfyUI lists its devices). ``schedulers`` is None
    when the backend has no scheduler choice.
    """

    kind: str
    version: str | None
    current_model: str | None
    models: tuple[str, ...]
    samplers: tuple[str, ...]
    schedulers: tuple[str, ...] | None
    upscalers: tuple[str, ...]
    url: str | None = None
    flavor: str | None = None
    devices: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class StageOutput:
    """What one backend call returned: the images and the parameters the backend really used."""

    images: tuple[ImageData, ...]
    resolved: Mapping[str, Any] = field(default_factory=dict)
    backend: BackendInfo = BackendInfo(kind="unknown")

    def __post_init__(self) -> None:
        object.__setattr__(self, "images", tuple(self.images))
        object.__setattr__(self, "resolved", MappingProxyType(dict(self.resolved)))


@dataclass(frozen=True, slots=True)
class ImageArtifact:
    """A saved output image: where it is and how to check it is still the same file."""

    stage: str
    index: int
    path: str
    width: int
    height: int
    seed: int | None
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "index": self.index,
            "path": self.path,
            "width": self.width,
            "height": self.height,
            "seed": self.seed,
            "sha256": self.sha256,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | Payload) -> ImageArtifact:
        output = data if isinstance(data, Payload) else Payload(data)
        return cls(
            stage=output.text("stage"),
            index=output.integer("index"),
            path=output.text("path"),
            width=output.integer("width"),
            height=output.integer("height"),
            seed=output.optional_integer("seed"),
            sha256=output.text("sha256"),
        )
