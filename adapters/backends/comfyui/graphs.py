"""One API-format graph per stage, of ComfyUI's core nodes only.

A graph is ``{node_id: {"class_type": ..., "inputs": {...}}}``; an input wired to another node is
``[node_id, output_index]``. The graphs are recorded as sent, so a run can be queued again in
ComfyUI itself (``POST /prompt`` with the graph, or "Load" of the API JSON in its UI).
"""

from __future__ import annotations

from typing import Any

from adapters.backends.comfyui.catalog import Resolved, Upscaler
from domain.config import PipelineConfig

Graph = dict[str, dict[str, Any]]

_CHECKPOINT, _POSITIVE, _NEGATIVE = "1", "2", "3"


def _node(class_type: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": class_type, "inputs": inputs}


def _conditioning(config: PipelineConfig, names: Resolved) -> Graph:
    return {
        _CHECKPOINT: _node("CheckpointLoaderSimple", ckpt_name=names.checkpoint),
        _POSITIVE: _node("CLIPTextEncode", text=config.prompt, clip=[_CHECKPOINT, 1]),
        _NEGATIVE: _node("CLIPTextEncode", text=config.negative_prompt, clip=[_CHECKPOINT, 1]),
    }


def _sampler(config: PipelineConfig, names: Resolved, seed: int, latent: list[Any], denoise: float) -> Any:
    return _node(
        "KSampler",
        model=[_CHECKPOINT, 0],
        seed=seed,
        steps=config.steps,
        cfg=config.cfg_scale,
        sampler_name=names.sampler,
        scheduler=names.scheduler,
        positive=[_POSITIVE, 0],
        negative=[_NEGATIVE, 0],
        latent_image=latent,
        denoise=denoise,
    )


def txt2img(config: PipelineConfig, names: Resolved, seed: int, prefix: str) -> Graph:
    """One branch per image of the batch (empty latent, KSampler with seed ``seed + i``, VAE
    decode, SaveImage ``<prefix>_<i>``), all sharing the checkpoint and both text encoders, so
    image ``i`` really uses seed ``seed + i``."""
    graph = _conditioning(config, names)
    for index in range(config.batch_size):
        base = 10 * (index + 1)
        latent, sampler, decode, save = (str(base + offset) for offset in range(4))
        graph[latent] = _node("EmptyLatentImage", width=config.width, height=config.height, batch_size=1)
        graph[sampler] = _sampler(config, names, seed + index, [latent, 0], 1.0)
        graph[decode] = _node("VAEDecode", samples=[sampler, 0], vae=[_CHECKPOINT, 2])
        graph[save] = _node("SaveImage", images=[decode, 0], filename_prefix=f"{prefix}_{index}")
    return graph


def img2img(
    config: PipelineConfig, names: Resolved, seed: int, uploaded: str, denoise: float, prefix: str
) -> Graph:
    """LoadImage of the uploaded input, VAE encode, KSampler with ``denoise``, decode, SaveImage."""
    graph = _conditioning(config, names)
    graph["4"] = _node("LoadImage", image=uploaded)
    graph["5"] = _node("VAEEncode", pixels=["4", 0], vae=[_CHECKPOINT, 2])
    graph["6"] = _sampler(config, names, seed, ["5", 0], denoise)
    graph["7"] = _node("VAEDecode", samples=["6", 0], vae=[_CHECKPOINT, 2])
    graph["8"] = _node("SaveImage", images=["7", 0], filename_prefix=f"{prefix}_0")
    return graph


def upscale(uploaded: str, upscaler: Upscaler, width: int, height: int, prefix: str) -> Graph:
    """LoadImage, the upscale model if one is named, then ImageScale to the exact size, SaveImage."""
    graph: Graph = {"1": _node("LoadImage", image=uploaded)}
    source: list[Any] = ["1", 0]
    if upscaler.model is not None:
        graph["2"] = _node("UpscaleModelLoader", model_name=upscaler.model)
        graph["3"] = _node("ImageUpscaleWithModel", upscale_model=["2", 0], image=source)
        source = ["3", 0]
    graph["4"] = _node(
        "ImageScale",
        image=source,
        upscale_method=upscaler.method,
        width=width,
        height=height,
        crop="disabled",
    )
    graph["5"] = _node("SaveImage", images=["4", 0], filename_prefix=f"{prefix}_0")
    return graph


def save_nodes(graph: Graph) -> list[str]:
    """The SaveImage node ids in image order (by their ``_<index>`` prefix suffix)."""
    saves = [node_id for node_id, node in graph.items() if node.get("class_type") == "SaveImage"]
    return sorted(
        saves, key=lambda node_id: int(str(graph[node_id]["inputs"]["filename_prefix"]).rsplit("_", 1)[1])
    )
