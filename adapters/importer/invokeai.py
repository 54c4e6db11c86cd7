"""InvokeAI: ``invokeai_metadata`` JSON (3.x and later), ``sd-metadata`` JSON (2.x), ``Dream`` (CLI args).

- ``invokeai_metadata``: ``positive_prompt``, ``negative_prompt``, ``width``, ``height``, ``seed``,
  ``cfg_scale``, ``steps``, ``scheduler`` (InvokeAI's name for the sampler: ``euler``, ``dpmpp_2m_k``),
  ``model`` (an object: ``model_name`` or ``name``, ``hash``), ``strength`` for img2img modes, the
  high-resolution fix (``hrf_enabled``, ``hrf_strength``, ``hrf_method``), ``app_version``.
- ``sd-metadata``: ``model_weights``, ``model_hash``, ``app_version`` and ``image`` with ``prompt``
  (text, or a list of ``{"prompt", "weight"}``), ``steps``, ``cfg_scale``, ``seed``, ``width``,
  ``height``, ``sampler``, ``type`` (txt2img/img2img) and ``strength``.
- ``Dream``: ``"prompt [negative]" -s steps -S seed -W width -H height -C cfg -A sampler -f strength``.

In the 2.x forms the negative prompt is the text in square brackets inside the prompt.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Mapping
from typing import Any

from adapters.importer.json_text import json_object, stripped
from domain.imported_run import ImportedRun, ImportedStage, Unreadable, text
from domain.ports import MetadataReader

FORMAT = "invokeai"
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_DREAM_FLAGS = {
    "-s": "steps",
    "--steps": "steps",
    "-S": "seed",
    "--seed": "seed",
    "-W": "width",
    "--width": "width",
    "-H": "height",
    "--height": "height",
    "-C": "cfg_scale",
    "--cfg_scale": "cfg_scale",
    "-A": "sampler",
    "--sampler": "sampler",
    "-f": "strength",
    "--strength": "strength",
    "-m": "model",
    "--model": "model",
}


class InvokeAIReader(MetadataReader):
    format = FORMAT

    def read(self, texts: Mapping[str, str]) -> ImportedRun | Unreadable | None:
        if "invokeai_metadata" in texts:
            return _modern(texts["invokeai_metadata"], {"invokeai_metadata": texts["invokeai_metadata"]})
        if "sd-metadata" in texts:
            return _legacy(texts["sd-metadata"], {"sd-metadata": texts["sd-metadata"]})
        if "Dream" in texts:
            return _dream(texts["Dream"], {"Dream": texts["Dream"]})
        return None


def split_negative(prompt: str) -> tuple[str, str]:
    """InvokeAI 2.x: the bracketed parts of a prompt are its negative prompt."""
    negatives = [part.strip() for part in _BRACKETS.findall(prompt)]
    positive = _BRACKETS.sub("", prompt)
    return " ".join(positive.split()) if negatives else prompt.strip(), ", ".join(n for n in negatives if n)


def _modern(source: str, raw: Mapping[str, str]) -> ImportedRun | Unreadable:
    data = json_object(source)
    if isinstance(data, str):
        return Unreadable(FORMAT, f"the 'invokeai_metadata' text {data}")
    model = data.get("model")
    model_name = model_hash = None
    if isinstance(model, dict):
        model_name = stripped(model.get("model_name", model.get("name")))
        model_hash = stripped(model.get("hash"))
    elif isinstance(model, str):
        model_name = model
    mode = str(data.get("generation_mode", ""))
    image_to_image = "img2img" in mode or "image_to_image" in mode
    first = ImportedStage(
        name="img2img" if image_to_image else "txt2img",
        sampler=text(data.get("scheduler")),
        steps=text(data.get("steps")),
        cfg_scale=text(data.get("cfg_scale")),
        seed=text(data.get("seed")),
        size=_size(data.get("width"), data.get("height")),
        denoising_strength=text(data.get("strength")) if image_to_image else None,
    )
    stages = [first]
    if data.get("hrf_enabled") is True:
        stages += [
            ImportedStage(
                "upscale",
                settings={"upscaler": str(data.get("hrf_method", ""))} if data.get("hrf_method") else {},
            ),
            ImportedStage(
                "img2img",
                sampler=first.sampler,
                steps=first.steps,
                cfg_scale=first.cfg_scale,
                seed=first.seed,
                denoising_strength=text(data.get("hrf_strength")),
            ),
        ]
    loras = data.get("loras")
    return ImportedRun(
        format=FORMAT,
        tool="invokeai",
        prompt=stripped(data.get("positive_prompt")),
        negative_prompt=stripped(data.get("negative_prompt")),
        stages=tuple(stages),
        model=model_name,
        model_hash=model_hash,
        version=text(data.get("app_version")),
        raw=raw,
        extra={"loras": loras} if isinstance(loras, list) and loras else {},
    )


def _legacy(source: str, raw: Mapping[str, str]) -> ImportedRun | Unreadable:
    data = json_object(source)
    if isinstance(data, str):
        return Unreadable(FORMAT, f"the 'sd-metadata' text {data}")
    image = data.get("image")
    if not isinstance(image, dict):
        return Unreadable(FORMAT, "the 'sd-metadata' text has no 'image' object")
    prompt_value = image.get("prompt")
    if isinstance(prompt_value, list):
        prompt_value = " ".join(
            str(part.get("prompt", "")) for part in prompt_value if isinstance(part, dict)
        )
    positive, negative = split_negative(prompt_value) if isinstance(prompt_value, str) else (None, None)
    image_to_image = image.get("type") == "img2img"
    stage = ImportedStage(
        name="img2img" if image_to_image else "txt2img",
        sampler=text(image.get("sampler")),
        steps=text(image.get("steps")),
        cfg_scale=text(image.get("cfg_scale")),
        seed=text(image.get("seed")),
        size=_size(image.get("width"), image.get("height")),
        denoising_strength=text(image.get("strength")) if image_to_image else None,
    )
    return ImportedRun(
        format=FORMAT,
        tool="invokeai",
        prompt=positive,
        negative_prompt=negative,
        stages=(stage,),
        model=stripped(data.get("model_weights")),
        model_hash=stripped(data.get("model_hash")),
        version=text(data.get("app_version")),
        raw=raw,
    )


def _dream(source: str, raw: Mapping[str, str]) -> ImportedRun | Unreadable:
    try:
        words = shlex.split(source)
    except ValueError as exc:
        return Unreadable(FORMAT, f"the 'Dream' text is not a command line ({exc})")
    if not words:
        return Unreadable(FORMAT, "the 'Dream' text is empty")
    prompt = words[0]
    values: dict[str, Any] = {}
    for flag, value in itertools.pairwise(words[1:]):
        if flag in _DREAM_FLAGS and _DREAM_FLAGS[flag] not in values:
            values[_DREAM_FLAGS[flag]] = value
    positive, negative = split_negative(prompt)
    image_to_image = "strength" in values and ("-I" in words or "--init_img" in words)
    stage = ImportedStage(
        name="img2img" if image_to_image else "txt2img",
        sampler=values.get("sampler"),
        steps=values.get("steps"),
        cfg_scale=values.get("cfg_scale"),
        seed=values.get("seed"),
        size=_size(values.get("width"), values.get("height")),
        denoising_strength=values.get("strength") if image_to_image else None,
    )
    return ImportedRun(
        format=FORMAT,
        tool="invokeai",
        prompt=positive,
        negative_prompt=negative,
        stages=(stage,),
        model=values.get("model"),
        raw=raw,
    )


def _size(width: object, height: object) -> str | None:
    shown_width, shown_height = text(width), text(height)
    return f"{shown_width}x{shown_height}" if shown_width and shown_height else None
