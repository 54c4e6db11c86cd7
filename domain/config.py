"""What to run: the pipeline configuration and its stages, valid by construction."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, ClassVar, TypeAlias

from domain.errors import ConfigError

STAGE_NAMES = ("txt2img", "img2img", "upscale")
MAX_SIDE = 8192
MAX_BATCH = 64


@dataclass(frozen=True, slots=True)
class Txt2ImgStage:
    """Generate images from the prompt with the pipeline's size, sampler and steps."""

    name: ClassVar[str] = "txt2img"

    def settings(self) -> dict[str, Any]:
        return {}


@dataclass(frozen=True, slots=True)
class Img2ImgStage:
    """Re-draw each input image; ``init_images`` are file paths, needed only when it runs first."""

    name: ClassVar[str] = "img2img"
    denoising_strength: float = 0.35
    init_images: tuple[str, ...] = ()

    def settings(self) -> dict[str, Any]:
        return {"denoising_strength": self.denoising_strength, "init_images": list(self.init_images)}


@dataclass(frozen=True, slots=True)
class UpscaleStage:
    """Enlarge each input image by ``scale`` with the named upscaler."""

    name: ClassVar[str] = "upscale"
    upscaler: str = "Lanczos"
    scale: float = 2.0

    def settings(self) -> dict[str, Any]:
        return {"upscaler": self.upscaler, "scale": self.scale}


StageSpec: TypeAlias = Txt2ImgStage | Img2ImgStage | UpscaleStage
_STAGE_TYPES: dict[str, type[StageSpec]] = {t.name: t for t in (Txt2ImgStage, Img2ImgStage, UpscaleStage)}


def field_default(kind: type, name: str) -> Any:
    """The default ``kind`` gives its field ``name``: pipeline defaults are written once, here."""
    return next(item.default for item in fields(kind) if item.name == name)


def stage_from_dict(data: Mapping[str, Any]) -> StageSpec:
    """Build a stage from ``{"name": ..., **settings}``; unknown names or keys are a ConfigError."""
    name = data.get("name")
    if name not in _STAGE_TYPES:
        raise ConfigError("stages", f"unknown stage {name!r}; expected one of {', '.join(STAGE_NAMES)}")
    stage_type = _STAGE_TYPES[str(name)]
    known = {f.name for f in fields(stage_type)}
    settings = {k: v for k, v in data.items() if k != "name"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigError(f"stages.{name}", f"unknown setting {unknown[0]!r}")
    if "init_images" in settings:
        paths = settings["init_images"]
        if not isinstance(paths, (list, tuple)) or not all(isinstance(path, str) for path in paths):
            raise ConfigError(f"stages.{name}", "init_images must be a list of file paths")
        settings["init_images"] = tuple(paths)
    return stage_type(**settings)


def stage_to_dict(stage: StageSpec) -> dict[str, Any]:
    return {"name": stage.name, **stage.settings()}


def stages_from_names(names: str | list[str] | tuple[str, ...]) -> tuple[StageSpec, ...]:
    """``"txt2img,upscale"`` or ``["txt2img", "upscale"]`` with default per-stage settings."""
    items = names.split(",") if isinstance(names, str) else list(names)
    return tuple(stage_from_dict({"name": item.strip()}) for item in items if item.strip())


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Everything that decides what a run produces. Invalid values raise ConfigError on construction."""

    prompt: str
    negative_prompt: str = ""
    model: str = ""
    sampler: str = "Euler a"
    scheduler: str = "Automatic"
    steps: int = 20
    cfg_scale: float = 7.0
    width: int = 512
    height: int = 512
    seed: int = -1
    batch_size: int = 1
    stages: tuple[StageSpec, ...] = (Txt2ImgStage(),)
    prompt_pack_id: str | None = None
    prompt_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        _validate(self)

    @property
    def stage_plan(self) -> tuple[str, ...]:
        return tuple(stage.name for stage in self.stages)

    def to_dict(self) -> dict[str, Any]:
        """The full effective configuration as plain JSON values (the record's ``config``)."""
        return {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "model": self.model,
            "sampler": self.sampler,
            "scheduler": self.scheduler,
            "steps": self.steps,
            "cfg_scale": self.cfg_scale,
            "width": self.width,
            "height": self.height,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "stages": [stage_to_dict(stage) for stage in self.stages],
            "prompt_pack_id": self.prompt_pack_id,
            "prompt_id": self.prompt_id,
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PipelineConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(unknown[0], "unknown configuration key")
        values = dict(data)
        if "stages" in values:
            values["stages"] = tuple(
                stage_from_dict({"name": s} if isinstance(s, str) else s) for s in values["stages"]
            )
        return cls(**values)


def _require(condition: bool, field_name: str, message: str) -> None:
    if not condition:
        raise ConfigError(field_name, message)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)  # type: ignore[arg-type]


def _validate(config: PipelineConfig) -> None:
    _require(isinstance(config.prompt, str), "prompt", "must be text")
    _require(not isinstance(config.prompt, str) or bool(config.prompt.strip()), "prompt", "must not be empty")
    _require(isinstance(config.negative_prompt, str), "negative_prompt", "must be text")
    for name in ("model", "sampler", "scheduler"):
        _require(isinstance(getattr(config, name), str), name, "must be text")
    _require(bool(config.sampler.strip()), "sampler", "must not be empty")
    _require(
        _is_int(config.steps) and 1 <= config.steps <= 500, "steps", f"must be 1..500, got {config.steps!r}"
    )
    _require(
        _is_number(config.cfg_scale) and 0 <= config.cfg_scale <= 50,
        "cfg_scale",
        f"must be a number in 0..50, got {config.cfg_scale!r}",
    )
    for side in ("width", "height"):
        value = getattr(config, side)
        _require(_is_int(value) and 64 <= value <= MAX_SIDE, side, f"must be 64..{MAX_SIDE}, got {value!r}")
        _require(value % 8 == 0, side, f"must be a multiple of 8, got {value}")
    _require(
        _is_int(config.seed) and -1 <= config.seed < 2**32, "seed", "must be -1 (random) or 0..4294967295"
    )
    _require(
        _is_int(config.batch_size) and 1 <= config.batch_size <= MAX_BATCH,
        "batch_size",
        f"must be 1..{MAX_BATCH}, got {config.batch_size!r}",
    )
    _validate_stages(config.stages)


def _validate_stages(stages: tuple[StageSpec, ...]) -> None:
    _require(len(stages) > 0, "stages", "must name at least one stage")
    for position, stage in enumerate(stages):
        _require(
            isinstance(stage, (Txt2ImgStage, Img2ImgStage, UpscaleStage)),
            "stages",
            f"unknown stage {stage!r}",
        )
        where = f"stages.{stage.name}"
        if isinstance(stage, Img2ImgStage):
            _require(
                _is_number(stage.denoising_strength) and 0 <= stage.denoising_strength <= 1,
                f"{where}.denoising_strength",
                f"must be 0..1, got {stage.denoising_strength!r}",
            )
            if position == 0:
                _require(
                    bool(stage.init_images), where, "img2img runs first, so it needs at least one init image"
                )
        if isinstance(stage, UpscaleStage):
            _require(bool(stage.upscaler.strip()), f"{where}.upscaler", "must not be empty")
            _require(
                _is_number(stage.scale) and 1 <= stage.scale <= 8,
                f"{where}.scale",
                f"must be 1..8, got {stage.scale!r}",
            )
            _require(position > 0, where, "upscale needs images from an earlier stage")
        if isinstance(stage, Txt2ImgStage):
            _require(position == 0, where, "txt2img can only be the first stage")
