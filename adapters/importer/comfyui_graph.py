"""ComfyUI's ``prompt`` graph (the API format it saves in PNG text, and in WEBP EXIF as ``Prompt:``).

The graph maps a node id to ``{"class_type": ..., "inputs": {...}}``; an input is a value or a
link ``[node_id, output_index]``. Every sampler node (KSampler, KSamplerAdvanced, SamplerCustom,
SamplerCustomAdvanced and the variants named like them) is one stage; a sampler whose latent
comes from another sampler runs after it, so stages are ordered by that chain, then by node id.
From each sampler the links are followed to:

- the prompts: text encoders (any node with a ``text``/``text_g`` string), through conditioning
  nodes that pass one conditioning on (unCLIP, ControlNet, area/timestep settings);
- the latent: an empty latent (size, txt2img), a VAE encode (img2img), another sampler (a second
  pass, img2img), a latent upscale between them (an ``upscale`` stage);
- the model: checkpoint / UNet loaders, through LoRA loaders (kept in order) and model patches;
- sampler, scheduler, steps and seed through the custom-sampling helper nodes.

A link that leads nowhere known, a cycle, or a node that combines two inputs gives an absent
value, never a guess. The whole graph stays in the record (``raw``), so nothing is lost.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from domain.imported_run import ImportedRun, ImportedStage, Unreadable, text
from domain.ports import MetadataReader

FORMAT = "comfyui-prompt"
SEED_MAX = 2**64 - 1
_MAX_HOPS = 64
_TEXT_KEYS = ("text", "text_g", "prompt", "string", "value", "text_positive")
_CONDITIONING_THROUGH = ("conditioning", "conditioning_to", "cond", "conditioning_1")
_LATENT_THROUGH = ("samples", "latent", "latent_image", "source")
_MODEL_NAME_KEYS = ("ckpt_name", "unet_name", "model_name", "base_ckpt_name")
_EASY_DIFFUSION = frozenset({"num_inference_steps", "use_stable_diffusion_model", "guidance_scale"})


class ComfyUIPromptReader(MetadataReader):
    format = FORMAT

    def read(self, texts: Mapping[str, str]) -> ImportedRun | Unreadable | None:
        source = texts.get("prompt")
        if source is None or not source.lstrip().startswith("{") or not _EASY_DIFFUSION.isdisjoint(texts):
            return None  # Easy Diffusion writes its prompt, as typed, in a text named 'prompt' too
        try:
            graph = json.loads(source)
        except (ValueError, RecursionError) as exc:
            return Unreadable(FORMAT, f"the 'prompt' graph is not JSON ({_first_line(exc)})")
        if not isinstance(graph, dict) or not any(_is_node(node) for node in graph.values()):
            return Unreadable(FORMAT, "the 'prompt' text is JSON but not a ComfyUI node graph")
        raw = {key: texts[key] for key in ("prompt", "workflow") if key in texts}
        return read_graph(Graph({str(k): v for k, v in graph.items() if _is_node(v)}), raw)


def _is_node(node: object) -> bool:
    return isinstance(node, dict) and isinstance(node.get("class_type"), str)


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


@dataclass(frozen=True)
class Graph:
    nodes: dict[str, dict[str, Any]]

    def kind(self, node_id: str) -> str:
        return str(self.nodes[node_id]["class_type"])

    def inputs(self, node_id: str) -> dict[str, Any]:
        found = self.nodes[node_id].get("inputs")
        return found if isinstance(found, dict) else {}

    def target(self, value: object) -> str | None:
        """The node id a link points to, when it is a link to a node in the graph."""
        if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int):
            node_id = str(value[0])
            return node_id if node_id in self.nodes else None
        return None

    def scalar(self, value: object, names: tuple[str, ...], hops: int = 0) -> object:
        """A number or string, following links to nodes that hold one (a primitive, a seed node)."""
        node_id = self.target(value)
        if node_id is None:
            return None if isinstance(value, (list, dict)) else value
        if hops >= 8:
            return None
        inputs = self.inputs(node_id)
        for name in (*names, "value", "seed", "noise_seed", "int", "float", "number", "string", "text"):
            if name in inputs:
                return self.scalar(inputs[name], names, hops + 1)
        return None


def is_sampler(kind: str) -> bool:
    return ("KSampler" in kind and "Select" not in kind) or kind.startswith("SamplerCustom")


@dataclass
class Pass:
    node_id: str
    kind: str
    stage: ImportedStage
    prompt: str | None
    negative: str | None
    model: str | None
    loras: list[dict[str, Any]] = field(default_factory=list)
    after: str | None = None  # the sampler whose latent this pass starts from
    upscale: dict[str, Any] | None = None


def read_graph(graph: Graph, raw: Mapping[str, str]) -> ImportedRun | Unreadable:
    samplers = sorted((n for n in graph.nodes if is_sampler(graph.kind(n))), key=_node_order)
    if not samplers:
        return Unreadable(FORMAT, "no sampler node (KSampler, SamplerCustom...) in the 'prompt' graph")
    passes = {node_id: _pass(graph, node_id) for node_id in samplers}
    ordered = _execution_order(passes, samplers)
    stages: list[ImportedStage] = []
    for item in ordered:
        if item.upscale is not None:
            stages.append(ImportedStage("upscale", settings=item.upscale))
        stages.append(item.stage)
    first = ordered[0]
    return ImportedRun(
        format=FORMAT,
        tool="comfyui",
        prompt=first.prompt,
        negative_prompt=first.negative,
        stages=tuple(stages),
        model=first.model,
        raw=raw,
        extra={
            "passes": [
                {
                    "node": item.node_id,
                    "class_type": item.kind,
                    "prompt": item.prompt,
                    "negative_prompt": item.negative,
                    "model": item.model,
                    "loras": item.loras,
                }
                for item in ordered
            ]
        },
        seed_max=SEED_MAX,
    )


def _node_order(node_id: str) -> tuple[int, str]:
    numeric = node_id.isascii() and node_id.isdigit() and len(node_id) < 18
    return (int(node_id), "") if numeric else (1 << 62, node_id)


def _execution_order(passes: dict[str, Pass], samplers: list[str]) -> list[Pass]:
    """Samplers ordered so each comes after the sampler its latent is from (cycles broken by id)."""
    depth: dict[str, int] = {}
    for node_id in samplers:
        seen: set[str] = set()
        current: str | None = node_id
        count = 0
        while current is not None and current not in seen and current in passes:
            seen.add(current)
            current = passes[current].after
            count += 1
        depth[node_id] = count
    return [passes[node_id] for node_id in sorted(samplers, key=lambda n: (depth[n], _node_order(n)))]


def _pass(graph: Graph, node_id: str) -> Pass:
    inputs = graph.inputs(node_id)
    kind = graph.kind(node_id)
    guider = graph.target(inputs.get("guider"))
    guide = graph.inputs(guider) if guider is not None else {}
    sampler_node = graph.target(inputs.get("sampler"))
    sigmas_node = graph.target(inputs.get("sigmas"))
    sigmas = graph.inputs(sigmas_node) if sigmas_node is not None else {}
    noise_node = graph.target(inputs.get("noise"))
    model_link = inputs.get("model", guide.get("model"))
    positive = inputs.get("positive", guide.get("positive", guide.get("conditioning")))
    negative = inputs.get("negative", guide.get("negative"))
    sampler_name = graph.scalar(inputs.get("sampler_name"), ("sampler_name",))
    if sampler_name is None and sampler_node is not None:
        sampler_name = graph.scalar(graph.inputs(sampler_node).get("sampler_name"), ("sampler_name",))
        if sampler_name is None:
            sampler_name = graph.kind(sampler_node).removeprefix("Sampler")
    seed = _first(graph, inputs, ("seed", "noise_seed"))
    if seed is None and noise_node is not None:
        seed = _first(graph, graph.inputs(noise_node), ("noise_seed", "seed"))
    latent = _latent(graph, inputs.get("latent_image"))
    denoise = _either(_first(graph, inputs, ("denoise",)), _first(graph, sigmas, ("denoise",)))
    name = "txt2img" if latent.kind == "empty" else "img2img" if latent.kind else "txt2img"
    model, loras = _model(graph, model_link)
    stage = ImportedStage(
        name=name,
        sampler=text(sampler_name),
        scheduler=text(_either(_first(graph, inputs, ("scheduler",)), _first(graph, sigmas, ("scheduler",)))),
        steps=text(_either(_first(graph, inputs, ("steps",)), _first(graph, sigmas, ("steps",)))),
        cfg_scale=text(_either(_first(graph, inputs, ("cfg",)), _first(graph, guide, ("cfg",)))),
        seed=text(seed),
        size=latent.size,
        denoising_strength=text(denoise) if name == "img2img" else None,
    )
    return Pass(
        node_id=node_id,
        kind=kind,
        stage=stage,
        prompt=_text(graph, positive, "positive"),
        negative=_text(graph, negative, "negative"),
        model=model,
        loras=loras,
        after=latent.sampler,
        upscale=latent.upscale,
    )


def _either(value: object, fallback: object) -> object:
    return fallback if value is None else value


def _first(graph: Graph, inputs: Mapping[str, Any], names: tuple[str, ...]) -> object:
    for name in names:
        if name in inputs:
            value = graph.scalar(inputs[name], names)
            if value is not None:
                return value
    return None


@dataclass
class Latent:
    kind: str | None = None  # empty, image, sampler, or None when unknown
    size: str | None = None
    sampler: str | None = None
    upscale: dict[str, Any] | None = None


def _latent(graph: Graph, link: object) -> Latent:
    """Where a sampler's latent comes from, following latent pass-through nodes."""
    upscale: dict[str, Any] | None = None
    size: str | None = None
    seen: set[str] = set()
    node_id = graph.target(link)
    while node_id is not None and node_id not in seen and len(seen) < _MAX_HOPS:
        seen.add(node_id)
        kind, inputs = graph.kind(node_id), graph.inputs(node_id)
        if is_sampler(kind):
            return Latent("sampler", size, node_id, upscale)
        if "EmptyLatent" in kind or (kind.startswith("Empty") and "width" in inputs):
            found = _size(graph, inputs)
            return Latent("empty", size or found, None, upscale)
        if "VAEEncode" in kind or kind in ("LoadLatent",):
            return Latent("image", size, None, upscale)
        if "Upscale" in kind and upscale is None:
            upscale = {
                key: value
                for key, value in {
                    "upscaler": graph.scalar(inputs.get("upscale_method"), ("upscale_method",)),
                    "scale": graph.scalar(inputs.get("scale_by"), ("scale_by",)),
                }.items()
                if isinstance(value, (str, int, float)) and not isinstance(value, bool)
            }
            size = _size(graph, inputs)
        node_id = next(
            (graph.target(inputs[name]) for name in _LATENT_THROUGH if graph.target(inputs.get(name))), None
        )
    return Latent(None, size, None, upscale)


def _size(graph: Graph, inputs: Mapping[str, Any]) -> str | None:
    width = graph.scalar(inputs.get("width"), ("width",))
    height = graph.scalar(inputs.get("height"), ("height",))
    if isinstance(width, (int, float, str)) and isinstance(height, (int, float, str)):
        return f"{width}x{height}"
    return None


def _text(graph: Graph, link: object, side: str) -> str | None:
    """The prompt text a conditioning link leads to; None when it branches or leads nowhere."""
    seen: set[str] = set()
    node_id = graph.target(link)
    through = (*_CONDITIONING_THROUGH, side)
    while node_id is not None and node_id not in seen and len(seen) < _MAX_HOPS:
        seen.add(node_id)
        inputs = graph.inputs(node_id)
        for key in _TEXT_KEYS:
            value = inputs.get(key)
            if isinstance(value, str):
                return value.strip()
            if graph.target(value) is not None:
                found = graph.scalar(value, (key, "text", "string"))
                return found.strip() if isinstance(found, str) else None
        links = [name for name in through if graph.target(inputs.get(name)) is not None]
        node_id = graph.target(inputs[links[0]]) if links else None
    return None


def _model(graph: Graph, link: object) -> tuple[str | None, list[dict[str, Any]]]:
    """The checkpoint or UNet name a model link leads to, and the LoRAs met on the way (in order)."""
    loras: list[dict[str, Any]] = []
    seen: set[str] = set()
    node_id = graph.target(link)
    while node_id is not None and node_id not in seen and len(seen) < _MAX_HOPS:
        seen.add(node_id)
        inputs = graph.inputs(node_id)
        for key in _MODEL_NAME_KEYS:
            value = graph.scalar(inputs.get(key), (key,))
            if isinstance(value, str):
                return value, loras[::-1]
        lora = graph.scalar(inputs.get("lora_name"), ("lora_name",))
        if isinstance(lora, str):
            strength = graph.scalar(inputs.get("strength_model"), ("strength_model",))
            loras.append({"name": lora, "strength_model": strength})
        node_id = graph.target(inputs.get("model"))
    return None, loras[::-1]
