"""The names a ComfyUI server offers, read from ``/object_info`` for the core nodes a graph uses."""

from __future__ import annotations

import os
from dataclasses import dataclass

from adapters.backends.catalog import BackendCatalog, Choice, refuse_unknown
from adapters.backends.comfyui import names
from domain.config import PipelineConfig, UpscaleStage
from domain.errors import BackendError

_GENERATE = ("CheckpointLoaderSimple", "CLIPTextEncode", "KSampler", "VAEDecode", "SaveImage")
STAGE_NODES: dict[str, tuple[str, ...]] = {
    "txt2img": (*_GENERATE, "EmptyLatentImage"),
    "img2img": (*_GENERATE, "LoadImage", "VAEEncode"),
    "upscale": ("LoadImage", "ImageScale", "SaveImage"),
}
"""The core nodes each stage's graph is made of (an upscale model adds MODEL_NODES)."""
MODEL_NODES = ("UpscaleModelLoader", "ImageUpscaleWithModel")
NODES = tuple(dict.fromkeys(node for nodes in STAGE_NODES.values() for node in nodes)) + MODEL_NODES
"""Every node a graph may use: each is looked up in ``/object_info/<node>`` before a run."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a graph sends for one config: the server's own names."""

    checkpoint: str
    sampler: str
    scheduler: str


@dataclass(frozen=True, slots=True)
class Upscaler:
    """An upscale stage's means: an upscale model file (None: a plain resize) and the resize method."""

    model: str | None
    method: str


@dataclass(frozen=True, slots=True)
class ComfyCatalog:
    checkpoints: tuple[Choice, ...]
    samplers: tuple[Choice, ...]
    schedulers: tuple[Choice, ...]
    upscale_models: tuple[Choice, ...]
    resize_methods: tuple[Choice, ...]
    missing: tuple[str, ...] = ()  # nodes of NODES the server does not have

    def resolve(self, config: PipelineConfig) -> Resolved:
        """Check every node and name of ``config`` (BackendError with close matches); the names
        to send. An empty model means the server's first checkpoint: ComfyUI has no current model."""
        for stage in config.stages:
            self.require_nodes(stage.name, STAGE_NODES[stage.name])
        if config.model:
            checkpoint = _known("model", config.model, self.checkpoints)
        elif self.checkpoints:
            checkpoint = self.checkpoints[0].name
        else:
            raise BackendError(
                "ComfyUI lists no checkpoint (CheckpointLoaderSimple offers none)",
                hint="put a model in ComfyUI's models/checkpoints folder and restart it",
            )
        resolved = Resolved(
            checkpoint=checkpoint,
            sampler=_known("sampler", config.sampler, self.samplers),
            scheduler=_known("scheduler", config.scheduler or "Automatic", self.schedulers),
        )
        for stage in config.stages:
            if isinstance(stage, UpscaleStage):
                self.upscaler(stage.upscaler, stage=stage.name)
        return resolved

    def upscaler(self, wanted: str, *, stage: str | None = None) -> Upscaler:
        """An upscale model by file name (with or without extension), else a plain resize method."""
        for choice in self.upscale_models:
            if choice.matches(wanted):
                self.require_nodes("upscale", MODEL_NODES)
                return Upscaler(model=choice.name, method=self._default_method())
        for choice in self.resize_methods:
            if choice.matches(wanted):
                return Upscaler(model=None, method=choice.name)
        _known("upscaler", wanted, (*self.upscale_models, *self.resize_methods), stage=stage)
        raise AssertionError("unreachable: _known raised")  # pragma: no cover

    def require_nodes(self, stage: str, nodes: tuple[str, ...]) -> None:
        lacking = [node for node in nodes if node in self.missing]
        if lacking:
            raise BackendError(
                f"ComfyUI lacks the core node{'s' if len(lacking) > 1 else ''} {', '.join(lacking)} "
                f"that the {stage} stage needs",
                hint="update ComfyUI, or check that [backend] url points at ComfyUI itself",
            )

    def names(self) -> BackendCatalog:
        return BackendCatalog(
            models=tuple(c.name for c in self.checkpoints),
            samplers=tuple(c.name for c in self.samplers),
            schedulers=tuple(c.name for c in self.schedulers),
            upscalers=tuple(c.name for c in (*self.upscale_models, *self.resize_methods)),
        )

    def _default_method(self) -> str:
        """After an upscale model, the exact size is reached with lanczos (else the first method)."""
        methods = [c.name for c in self.resize_methods]
        return "lanczos" if "lanczos" in methods or not methods else methods[0]


def catalog_from(object_info: object) -> ComfyCatalog:
    """Read the combo lists of ``/object_info``; a node the server lacks offers nothing."""

    def combo(node: str, name: str) -> tuple[str, ...]:
        return names.node_input(object_info, node, name) or ()

    known = object_info if isinstance(object_info, dict) else {}
    return ComfyCatalog(
        missing=tuple(node for node in NODES if not isinstance(known.get(node), dict)),
        checkpoints=tuple(_file_choice(name) for name in combo("CheckpointLoaderSimple", "ckpt_name")),
        samplers=_with_aliases(combo("KSampler", "sampler_name"), names.SAMPLERS),
        schedulers=_with_aliases(combo("KSampler", "scheduler"), names.SCHEDULERS),
        upscale_models=tuple(_file_choice(name) for name in combo("UpscaleModelLoader", "model_name")),
        resize_methods=_with_aliases(combo("ImageScale", "upscale_method"), names.RESIZE_METHODS),
    )


def _file_choice(name: str) -> Choice:
    base = os.path.basename(name.replace("\\", "/"))
    stem = os.path.splitext(base)[0]
    return Choice(name, tuple(dict.fromkeys(alias for alias in (base, stem) if alias != name)))


def _with_aliases(offered: tuple[str, ...], table: dict[str, str]) -> tuple[Choice, ...]:
    return tuple(
        Choice(name, tuple(a1111 for a1111, comfy in table.items() if comfy == name)) for name in offered
    )


def _known(kind: str, wanted: str, choices: tuple[Choice, ...], *, stage: str | None = None) -> str:
    """The server's name for ``wanted``; BackendError with close matches (over every alias) if unknown."""
    for choice in choices:
        if choice.matches(wanted):
            return choice.name
    raise refuse_unknown(kind, wanted, choices, server="ComfyUI", stage=stage)
