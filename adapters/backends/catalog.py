"""What a backend can serve, and the pre-flight check that refuses unknown names with suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
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
                _require_known("upscaler", stage.upscaler, self.upscalers, stage=stage.name)


def close_matches(wanted: str, names: Iterable[str], *, limit: int = 3) -> list[str]:
    """The names ``wanted`` was probably meant to be, ignoring case: those it begins, then those
    nearly equal to it. Loose matching suggested 'None' for 'nope': a wrong hint is worse than none."""
    folded = {name.casefold(): name for name in names}
    key = wanted.casefold().strip()
    if not key:
        return []
    starts = [name for fold, name in folded.items() if len(key) >= 3 and fold.startswith(key)]
    near = [folded[fold] for fold in difflib.get_close_matches(key, list(folded), n=limit, cutoff=0.8)]
    return list(dict.fromkeys(starts + near))[:limit]


@dataclass(frozen=True, slots=True)
class Choice:
    """One name a server offers (``name``, what is sent) and the other spellings it accepts for it."""

    name: str
    aliases: tuple[str, ...] = ()

    def matches(self, wanted: str) -> bool:
        folded = wanted.strip().casefold()
        return any(folded == alias.casefold() for alias in (self.name, *self.aliases) if alias)


def refuse_unknown(
    kind: str,
    wanted: str,
    choices: Sequence[Choice],
    *,
    server: str = "the backend",
    stage: str | None = None,
) -> BackendError:
    """The refusal of a name no choice matches, with close matches found among every alias (a
    checkpoint's title is long; its file stem is what people type)."""
    by_alias = {alias: choice.name for choice in choices for alias in (choice.name, *choice.aliases)}
    suggestions = list(dict.fromkeys(by_alias[alias] for alias in close_matches(wanted, by_alias, limit=6)))
    return unknown_name(kind, wanted, [c.name for c in choices], suggestions[:3], server=server, stage=stage)


def unknown_name(
    kind: str,
    wanted: str,
    choices: list[str],
    suggestions: list[str],
    *,
    server: str = "the backend",
    stage: str | None = None,
) -> BackendError:
    """The one-line refusal of a name the backend does not serve, with the real choices."""
    listed = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
    hint = (
        f"did you mean {' or '.join(repr(name) for name in suggestions)}?"
        if suggestions
        else f"pick one of the {kind}s the backend lists (stablenew backend check)"
    )
    return BackendError(
        f"unknown {kind} {wanted!r}; {server} offers: {listed or 'none'}", hint=hint, stage=stage
    )


def _require_known(kind: str, name: str, known: Iterable[str], *, stage: str | None = None) -> None:
    choices = list(known)
    if any(name.casefold() == choice.casefold() for choice in choices):
        return
    raise unknown_name(kind, name, choices, close_matches(name, choices), stage=stage)
