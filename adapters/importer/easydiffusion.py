"""Easy Diffusion (its "embed" metadata, as sdkit's ``save_dicts`` documents it): one PNG text chunk
per setting, or the same settings as JSON in a JPEG/WEBP EXIF UserComment.

The keys are the request's (``prompt``, ``negative_prompt``, ``seed``, ``num_inference_steps``,
``guidance_scale``, ``sampler_name``, ``width``, ``height``, ``use_stable_diffusion_model``,
``prompt_strength`` for img2img, ``use_upscale`` / ``upscale_amount``, ``use_lora_model``...),
or, when the text metadata format was chosen too, their display names (``Prompt``, ``Negative
Prompt``, ``Seed``, ``Steps``, ``Guidance Scale``, ``Sampler``, ``Width``, ``Height``,
``Stable Diffusion model``, ``Prompt Strength``, ``Use Upscaling``, ``Upscale By``). PNG values
are Python's ``str()`` of the value, so ``None`` means absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.importer.json_text import json_object, looks_like_json_object
from domain.imported_run import ImportedRun, ImportedStage, Unreadable, text
from domain.ports import MetadataReader

FORMAT = "easydiffusion"
DISPLAY_NAMES = {
    "Prompt": "prompt",
    "Negative Prompt": "negative_prompt",
    "Seed": "seed",
    "Stable Diffusion model": "use_stable_diffusion_model",
    "Sampler": "sampler_name",
    "Width": "width",
    "Height": "height",
    "Steps": "num_inference_steps",
    "Guidance Scale": "guidance_scale",
    "Prompt Strength": "prompt_strength",
    "Use Upscaling": "use_upscale",
    "Upscale By": "upscale_amount",
    "LoRA model": "use_lora_model",
    "LoRA Strength": "lora_alpha",
    "VAE model": "use_vae_model",
    "Clip Skip": "clip_skip",
}
_MARKERS = ("num_inference_steps", "use_stable_diffusion_model", "guidance_scale")


class EasyDiffusionReader(MetadataReader):
    format = FORMAT

    def read(self, texts: Mapping[str, str]) -> ImportedRun | Unreadable | None:
        settings = _named(texts)
        if any(marker in settings for marker in _MARKERS):
            return _run(settings, dict(texts))  # every text chunk is one of its settings
        comment = texts.get("UserComment")
        if not looks_like_json_object(comment) or comment is None:
            return None
        data = json_object(comment)
        if isinstance(data, str):
            return None  # JSON of unknown origin: left to the other readers
        settings = _named(data)
        if not any(marker in settings for marker in _MARKERS):
            return None
        return _run(settings, {"UserComment": comment})


def _named(values: Mapping[str, Any]) -> dict[str, Any]:
    """The settings under the request's names, whichever names were written; ``None`` dropped."""
    found: dict[str, Any] = {}
    for key, value in values.items():
        name = DISPLAY_NAMES.get(key, key)
        if value is None or value == "None":
            continue
        found.setdefault(name, value)
    return found


def _run(settings: Mapping[str, Any], raw: Mapping[str, str]) -> ImportedRun:
    image_to_image = "prompt_strength" in settings
    first = ImportedStage(
        name="img2img" if image_to_image else "txt2img",
        sampler=text(settings.get("sampler_name")),
        steps=text(settings.get("num_inference_steps")),
        cfg_scale=text(settings.get("guidance_scale")),
        seed=text(settings.get("seed")),
        size=f"{settings['width']}x{settings['height']}"
        if "width" in settings and "height" in settings
        else None,
        denoising_strength=text(settings.get("prompt_strength")) if image_to_image else None,
    )
    stages = [first]
    if "use_upscale" in settings:
        upscale: dict[str, Any] = {"upscaler": str(settings["use_upscale"])}
        if "upscale_amount" in settings:
            upscale["scale"] = settings["upscale_amount"]
        stages.append(ImportedStage("upscale", settings=upscale))
    prompt, negative = settings.get("prompt"), settings.get("negative_prompt")
    return ImportedRun(
        format=FORMAT,
        tool="easydiffusion",
        prompt=prompt.strip() if isinstance(prompt, str) else None,
        negative_prompt=negative.strip() if isinstance(negative, str) else None,
        stages=tuple(stages),
        model=text(settings.get("use_stable_diffusion_model")),
        raw=raw,
    )
