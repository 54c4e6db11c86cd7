"""The stand-in's pictures: deterministic from the graph's values, PNGs with ComfyUI's ``prompt`` chunk."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from PIL import Image, ImageDraw, PngImagePlugin


def colour(*parts: object) -> tuple[int, int, int]:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return digest[0], digest[1], digest[2]


def sampled(width: int, height: int, seed: int, salt: str, base: Image.Image | None) -> Image.Image:
    """A picture that depends only on its inputs (an img2img keeps a hint of its source)."""
    image = Image.new("RGB", (width, height), colour(seed, salt))
    if base is not None:
        image = Image.blend(image, base.convert("RGB").resize((width, height)), 0.5)
    draw = ImageDraw.Draw(image)
    inset = seed % max(1, min(width, height) // 4)
    draw.rectangle((inset, inset, width - inset - 1, height - inset - 1), outline=colour(salt, seed), width=3)
    return image


def saved_png(image: Image.Image, graph: dict[str, Any]) -> bytes:
    """As ComfyUI's SaveImage writes it: a ``prompt`` text chunk holding the API graph as JSON."""
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", json.dumps(graph))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, compress_level=4)
    return buffer.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
