"""The request bodies, with every generation-relevant field sent explicitly.

Server defaults differ (A1111's API defaults to 50 steps, SD.Next to 1024px and UniPC, Forge's
hires CFG to 1), so nothing that shapes an image is left to them.
"""

from __future__ import annotations

import base64
from typing import Any

from adapters.backends.a1111.catalog import Resolved
from adapters.backends.a1111.flavors import Flavor
from domain.config import PipelineConfig


def encode_image(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def generation_fields(config: PipelineConfig, flavor: Flavor, names: Resolved) -> dict[str, Any]:
    """Fields common to txt2img and img2img."""
    payload: dict[str, Any] = {
        "prompt": config.prompt,
        "negative_prompt": config.negative_prompt,
        "seed": config.seed,
        "subseed": -1,
        "subseed_strength": 0.0,
        "seed_resize_from_h": -1,
        "seed_resize_from_w": -1,
        "sampler_name": names.sampler,
        "batch_size": config.batch_size,
        "n_iter": 1,
        "steps": config.steps,
        "cfg_scale": config.cfg_scale,
        "width": config.width,
        "height": config.height,
        "restore_faces": False,
        "tiling": False,
        "override_settings": {"sd_model_checkpoint": names.checkpoint} if names.checkpoint else {},
        "override_settings_restore_afterwards": True,
        "send_images": True,
        "save_images": False,
        "do_not_save_samples": True,
        "do_not_save_grid": True,
    }
    if flavor.has_schedulers and names.scheduler:
        payload["scheduler"] = names.scheduler
    return payload


def txt2img_payload(config: PipelineConfig, flavor: Flavor, names: Resolved) -> dict[str, Any]:
    payload = generation_fields(config, flavor, names)
    payload["enable_hr"] = False
    if flavor.sends_hr_cfg:
        payload["hr_cfg"] = config.cfg_scale
    return payload


def img2img_payload(
    config: PipelineConfig,
    flavor: Flavor,
    *,
    image: bytes,
    width: int,
    height: int,
    denoising_strength: float,
    names: Resolved,
) -> dict[str, Any]:
    """One re-drawn image per input. The output size is the request's, so the input's own size is sent."""
    payload = generation_fields(config, flavor, names)
    payload.update(
        {
            "init_images": [encode_image(image)],
            "batch_size": 1,
            "width": width,
            "height": height,
            "denoising_strength": denoising_strength,
            "resize_mode": 0,
            "include_init_images": False,
        }
    )
    return payload


def upscale_payload(image: bytes, upscaler: str, scale: float) -> dict[str, Any]:
    return {
        "image": encode_image(image),
        "resize_mode": 0,
        "upscaling_resize": scale,
        "upscaler_1": upscaler,
        "upscaler_2": "None",
        "extras_upscaler_2_visibility": 0,
        "gfpgan_visibility": 0,
        "codeformer_visibility": 0,
        "codeformer_weight": 0,
        "upscale_first": False,
        "show_extras_results": True,
    }


def without_images(payload: dict[str, Any]) -> dict[str, Any]:
    """The request as recorded: image data replaced by its length (records stay small)."""
    shown = dict(payload)
    if "init_images" in shown:
        shown["init_images"] = [f"<{len(item)} base64 chars>" for item in shown["init_images"]]
    if "image" in shown:
        shown["image"] = f"<{len(shown['image'])} base64 chars>"
    return shown
