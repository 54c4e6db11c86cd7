"""ComfyUI's ``workflow`` (the UI graph), read when a file has no ``prompt`` (API) graph.

The UI graph lists nodes with ``type``, ``mode`` (2 muted, 4 bypassed: left out), ``inputs``
(each with the ``link`` feeding it) and ``widgets_values`` (the node's settings, by position),
and ``links`` as ``[id, from_node, from_slot, to_node, to_slot, type]``. It is turned into the
API graph's shape: widget values are named for the common nodes whose widget order ComfyUI
documents (samplers, text encoders, latents, loaders, custom-sampling helpers, primitives), links
become ``[node_id, slot]`` (through ``Reroute`` nodes), and the API graph reader does the rest.
A node of another type keeps its links only, so its settings are absent, never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.importer.comfyui_graph import Graph, read_graph
from adapters.importer.json_text import json_object, looks_like_json_object
from domain.imported_run import ImportedRun, Unreadable
from domain.ports import MetadataReader

FORMAT = "comfyui-workflow"
_SEED = ("seed", "control_after_generate")
WIDGETS: dict[str, tuple[str, ...]] = {
    "KSampler": (*_SEED, "steps", "cfg", "sampler_name", "scheduler", "denoise"),
    "KSamplerAdvanced": (
        "add_noise",
        "noise_seed",
        "control_after_generate",
        "steps",
        "cfg",
        "sampler_name",
        "scheduler",
        "start_at_step",
        "end_at_step",
        "return_with_leftover_noise",
    ),
    "SamplerCustom": ("add_noise", "noise_seed", "control_after_generate", "cfg"),
    "CLIPTextEncode": ("text",),
    "CLIPTextEncodeSDXLRefiner": ("ascore", "width", "height", "text"),
    "EmptyLatentImage": ("width", "height", "batch_size"),
    "EmptySD3LatentImage": ("width", "height", "batch_size"),
    "LatentUpscale": ("upscale_method", "width", "height", "crop"),
    "LatentUpscaleBy": ("upscale_method", "scale_by"),
    "CheckpointLoaderSimple": ("ckpt_name",),
    "CheckpointLoader": ("config_name", "ckpt_name"),
    "VAELoader": ("vae_name",),
    "LoadImage": ("image", "upload"),
    "unCLIPCheckpointLoader": ("ckpt_name",),
    "UNETLoader": ("unet_name", "weight_dtype"),
    "LoraLoader": ("lora_name", "strength_model", "strength_clip"),
    "LoraLoaderModelOnly": ("lora_name", "strength_model"),
    "KSamplerSelect": ("sampler_name",),
    "BasicScheduler": ("scheduler", "steps", "denoise"),
    "RandomNoise": ("noise_seed", "control_after_generate"),
    "CFGGuider": ("cfg",),
    "PrimitiveNode": ("value", "control_after_generate"),
}
_SKIPPED_MODES = (2, 4)
_MAX_REROUTES = 32


class ComfyUIWorkflowReader(MetadataReader):
    format = FORMAT

    def read(self, texts: Mapping[str, str]) -> ImportedRun | Unreadable | None:
        source = texts.get("workflow")
        if "prompt" in texts or not looks_like_json_object(source) or source is None:
            return None
        data = json_object(source)
        if isinstance(data, str):
            return Unreadable(FORMAT, f"the 'workflow' graph {data}")
        nodes = data.get("nodes")
        if not isinstance(nodes, list):
            return Unreadable(FORMAT, "the 'workflow' text has no 'nodes' list")
        found = read_graph(Graph(api_graph(nodes, data.get("links"))), {"workflow": source})
        if isinstance(found, Unreadable):
            return Unreadable(FORMAT, found.reason.replace("'prompt'", "'workflow'"))
        return ImportedRun(
            format=FORMAT,
            tool=found.tool,
            prompt=found.prompt,
            negative_prompt=found.negative_prompt,
            stages=found.stages,
            model=found.model,
            raw=found.raw,
            extra=found.extra,
            seed_max=found.seed_max,
        )


def api_graph(nodes: list[Any], links: object) -> dict[str, dict[str, Any]]:
    """The UI graph's nodes in the API graph's shape (``class_type`` and named ``inputs``)."""
    by_link: dict[int, tuple[str, int]] = {}
    for link in links if isinstance(links, list) else []:
        if (
            isinstance(link, list)
            and len(link) >= 3
            and isinstance(link[0], int)
            and isinstance(link[2], int)
        ):
            by_link[link[0]] = (str(link[1]), link[2])
    kept = {
        str(node["id"]): node
        for node in nodes
        if isinstance(node, dict)
        and isinstance(node.get("type"), str)
        and node.get("mode") not in _SKIPPED_MODES
    }
    graph: dict[str, dict[str, Any]] = {}
    for node_id, node in kept.items():
        inputs: dict[str, Any] = _widgets(node)
        for item in _list(node.get("inputs")):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                continue
            origin = _through_reroutes(item.get("link"), by_link, kept)
            if origin is not None:
                inputs[item["name"]] = [origin[0], origin[1]]
        graph[node_id] = {"class_type": node["type"], "inputs": inputs}
    return graph


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _widgets(node: Mapping[str, Any]) -> dict[str, Any]:
    values = node.get("widgets_values")
    if isinstance(values, dict):
        return dict(values)
    names = WIDGETS.get(str(node.get("type")))
    if names is None or not isinstance(values, list):
        return {}
    return {
        name: value for name, value in zip(names, values, strict=False) if name != "control_after_generate"
    }


def _through_reroutes(
    link: object, by_link: Mapping[int, tuple[str, int]], nodes: Mapping[str, Mapping[str, Any]]
) -> tuple[str, int] | None:
    """Where a link really starts, past Reroute nodes; None for a missing link."""
    origin = by_link.get(link) if isinstance(link, int) else None
    for _ in range(_MAX_REROUTES):
        if origin is None or nodes.get(origin[0], {}).get("type") != "Reroute":
            return origin
        inputs = _list(nodes[origin[0]].get("inputs")) or [{}]
        first = inputs[0] if isinstance(inputs[0], dict) else {}
        nxt = first.get("link")
        origin = by_link.get(nxt) if isinstance(nxt, int) else None
    return None
