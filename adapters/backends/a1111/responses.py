"""Read a WebUI answer: the exact image bytes and the values the server really used."""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from PIL import Image, UnidentifiedImageError

from domain.errors import BackendError
from domain.images import ImageData
from domain.infotext import parse_infotext
from domain.run import StageProgress


def decode_image(text: Any, *, seed: int | None, infotext: str | None, where: str) -> ImageData:
    """The base64 string as bytes, untouched (text chunks intact); the size is read from the header."""
    if not isinstance(text, str):
        raise _bad(where, "an image that is not a base64 string")
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(where, "an image that is not valid base64") from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if infotext is None:
                chunk = image.info.get("parameters")
                infotext = chunk if isinstance(chunk, str) else None
    except (UnidentifiedImageError, OSError):
        raise _bad(where, "bytes that are not an image") from None
    return ImageData(data=data, width=width, height=height, seed=seed, infotext=infotext)


def generation_result(body: Any, where: str) -> tuple[list[ImageData], dict[str, Any]]:
    """Images (one per seed, extra script images left out) and the parsed ``info`` document."""
    if not isinstance(body, dict) or not isinstance(body.get("images"), list):
        raise _bad(where, "no 'images' list")
    info = _info(body.get("info"), where)
    seeds = _ints(info.get("all_seeds"))
    infotexts = [t if isinstance(t, str) else None for t in info.get("infotexts") or []]
    first = info.get("index_of_first_image", 0)
    first = first if isinstance(first, int) and first >= 0 else 0
    count = len(seeds) if seeds else len(body["images"]) - first
    raw = body["images"][first : first + count]
    if not raw:
        raise BackendError(
            f"{where} returned no images",
            hint="the job was probably interrupted or skipped on the server (its UI or another client)",
        )
    images = [
        decode_image(
            text,
            seed=seeds[index] if index < len(seeds) else None,
            infotext=infotexts[index] if index < len(infotexts) else None,
            where=where,
        )
        for index, text in enumerate(raw)
    ]
    return images, info


def resolved_values(info: dict[str, Any], images: Sequence[ImageData]) -> dict[str, Any]:
    """What the server used, from ``info``; the scheduler from its extras or the first infotext."""
    extras = info.get("extra_generation_params")
    scheduler = extras.get("Schedule type") if isinstance(extras, dict) else None
    if not isinstance(scheduler, str) and images and images[0].infotext:
        scheduler = parse_infotext(images[0].infotext).schedule_type
    seeds = _ints(info.get("all_seeds"))
    return {
        "seed": seeds[0] if seeds else info.get("seed"),
        "seeds": seeds,
        "subseeds": _ints(info.get("all_subseeds")),
        "sampler": info.get("sampler_name"),
        "scheduler": scheduler if isinstance(scheduler, str) else None,
        "steps": info.get("steps"),
        "cfg_scale": info.get("cfg_scale"),
        "width": info.get("width"),
        "height": info.get("height"),
        "denoising_strength": info.get("denoising_strength"),
        "model": info.get("sd_model_name"),
        "model_hash": info.get("sd_model_hash"),
        "vae": info.get("sd_vae_name"),
        "clip_skip": info.get("clip_skip"),
        "version": info.get("version"),
        "job_timestamp": info.get("job_timestamp"),
        "infotexts": [image.infotext for image in images],
    }


def _info(value: Any, where: str) -> dict[str, Any]:
    """``info`` is a JSON document inside a string (some servers send the object itself)."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        raise _bad(where, "no 'info' document")
    try:
        parsed = json.loads(value)
    except ValueError:
        raise _bad(where, "an 'info' string that is not JSON") from None
    if not isinstance(parsed, dict):
        raise _bad(where, "an 'info' document that is not an object")
    return parsed


def _ints(value: Any) -> list[int]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, int) and not isinstance(item, bool)]


def _bad(where: str, what: str) -> BackendError:
    return BackendError(
        f"{where} answered with {what}",
        hint="check that [backend] url and flavor match the server (stablenew backend check)",
    )


def progress_of(body: Any) -> StageProgress | None:
    """The WebUI's ``/progress`` answer as StageProgress; None when it runs no job or the answer is
    not a progress report."""
    if not isinstance(body, dict):
        return None
    state = body.get("state")
    if not isinstance(state, dict):
        state = {}
    fraction = _number(body.get("progress"))
    if fraction is None or (not state.get("job_count") and fraction == 0):
        return None
    step, steps = _number(state.get("sampling_step")), _number(state.get("sampling_steps"))
    eta = _number(body.get("eta_relative"))
    return StageProgress(
        fraction=min(1.0, max(0.0, fraction)),
        step=int(step) if step is not None and steps else None,
        steps=int(steps) if steps else None,
        eta_seconds=eta if eta is not None and eta >= 0 else None,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
