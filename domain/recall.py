"""Recalling a recorded run: the values it was made with, to run it again (``run --from``).

The recalled values are one layer of a run's configuration: a value given on the command line wins
over it, and a value the record does not hold (an imported image that did not say) comes from the
settings. They are keyed as ConfigError names configuration fields: ``steps``, ``stages``,
``stages.img2img.denoising_strength``, ``stages.upscale.scale``...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from domain.record import SOURCE_IMPORT, LearningRecord
from domain.run import resolved_seed

FROM_RUN = "from_run"
"""The metadata key of a recalled run's record: the full id of the run it was recalled from."""

_TOP_LEVEL = (
    "negative_prompt",
    "model",
    "sampler",
    "scheduler",
    "steps",
    "cfg_scale",
    "width",
    "height",
    "batch_size",
)
_STAGE_SETTINGS = {"img2img": ("denoising_strength",), "upscale": ("upscaler", "scale")}
# An import writes "" where the PNG named no model, sampler or scheduler: not a value to repeat.
_EMPTY_IS_ABSENT_ON_IMPORT = ("model", "sampler", "scheduler")


@dataclass(frozen=True, slots=True)
class RecalledRun:
    """What ``run_id`` was made with. ``values`` holds only what the record knows (never None)."""

    run_id: str
    prompt: str | None
    values: Mapping[str, Any] = field(default_factory=dict)
    init_images: tuple[str, ...] = ()
    prompt_pack_id: str | None = None
    prompt_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))
        object.__setattr__(self, "init_images", tuple(self.init_images))

    @property
    def metadata(self) -> dict[str, Any]:
        """The new run's metadata: where it came from."""
        return {FROM_RUN: self.run_id}


def recall(record: LearningRecord) -> RecalledRun:
    """The values ``record``'s run was made with; its seed is the one the backend really used."""
    config = record.config
    values: dict[str, Any] = {name: config.get(name) for name in _TOP_LEVEL}
    if record.source == SOURCE_IMPORT:
        for name in _EMPTY_IS_ABSENT_ON_IMPORT:
            if values[name] == "":
                values[name] = None
    values["seed"] = used_seed(record)
    stages = [stage for stage in config.get("stages") or [] if isinstance(stage, Mapping)]
    names = [stage.get("name") for stage in stages]
    if names and all(isinstance(name, str) for name in names):
        values["stages"] = names
    init_images: tuple[str, ...] = ()
    for stage in stages:
        for setting in _STAGE_SETTINGS.get(str(stage.get("name")), ()):
            values[f"stages.{stage['name']}.{setting}"] = stage.get(setting)
        paths = stage.get("init_images")
        if stage.get("name") == "img2img" and isinstance(paths, list):
            init_images = tuple(path for path in paths if isinstance(path, str))
    return RecalledRun(
        run_id=record.run_id,
        prompt=_text_or_none(config.get("prompt")),
        values={key: value for key, value in values.items() if value is not None},
        init_images=init_images,
        prompt_pack_id=_text_or_none(config.get("prompt_pack_id", record.prompt_pack_id)),
        prompt_id=_text_or_none(config.get("prompt_id", record.prompt_id)),
    )


def used_seed(record: LearningRecord) -> int | None:
    """The seed of the first executed stage that reports one, else the configured seed (-1 included)."""
    used = resolved_seed(record.stages_executed, record.resolved)
    if used is not None:
        return used
    seed = record.config.get("seed")
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
