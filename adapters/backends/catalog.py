"""What a backend can serve, and the pre-flight check that refuses unknown names with suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from domain.config import PipelineConfig, UpscaleStage
from domain.errors import BackendError


@dataclass(frozen=True, slots=True)
class BackendCatalog:
    """Names a backend accepts. ``schedulers`` is None when the backend has no scheduler choice."""

    models: tuple[str, ...]
    samplers: tuple[str, ...]
    schedulers: tuple[str, ...] | None
    upscalers: tuple[str, ...]

    def check(self, config: PipelineConfig) -> None:
        """Raise BackendError naming the first unknown model, sampler, scheduler or upscaler."""
        if config.model:
            _require_known("model", config.model, self.models)
        _require_known("sampler", config.sampler, self.samplers)
        if self.schedulers is not None and config.scheduler:
            _require_known("scheduler", config.scheduler, self.schedulers)
        for stage in config.stages:
            if isinstance(stage, UpscaleStage):
                _require_known("upscaler", stage.upscaler, self.upscalers)


def _require_known(kind: str, name: str, known: Iterable[str]) -> None:
    choices = list(known)
    if any(name.casefold() == choice.casefold() for choice in choices):
        return
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else None
    listed = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
    raise BackendError(
        f"unknown {kind} {name!r}; the backend offers: {listed or 'none'}",
        hint=hint or f"pick one of the {kind}s the backend lists (stablenew backend check)",
    )
