"""What ``backend check`` learns about an image backend: what it serves, and a test generation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BackendReport:
    """The backend's own view of what it can do. ``schedulers`` is None when it has no scheduler
    choice; ``url``, ``flavor`` and ``devices`` are None where they do not apply (a built-in
    backend has no URL; only the WebUI has flavors; only ComfyUI lists its devices)."""

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
class GenerationProbe:
    """One small test image the backend made: proof that generation works, and what it reported."""

    width: int
    height: int
    seed: int | None
    sampler: str
    steps: int
    duration_ms: int
    model: str | None
    version: str | None
