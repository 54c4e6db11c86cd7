"""Deterministic PNGs: the colours come from the seed, the ``parameters`` chunk is a real infotext."""

from __future__ import annotations

import base64
import hashlib
import io

from PIL import Image, ImageDraw, PngImagePlugin


def _colour(*parts: object) -> tuple[int, int, int]:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return digest[0], digest[1], digest[2]


def generated_png(width: int, height: int, seed: int, salt: str, infotext: str) -> bytes:
    """The same (size, seed, salt) always gives the same bytes."""
    image = Image.new("RGB", (width, height), _colour(seed, salt))
    draw = ImageDraw.Draw(image)
    inset = seed % max(1, min(width, height) // 4)
    draw.rectangle(
        (inset, inset, width - inset - 1, height - inset - 1), outline=_colour(salt, seed), width=3
    )
    return encode_png(image, {"parameters": infotext})


def encode_png(image: Image.Image, texts: dict[str, str]) -> bytes:
    """Pillow writes tEXt for Latin-1 text and iTXt otherwise, as the WebUI's encoder does."""
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def decode_b64_image(text: str) -> Image.Image:
    """Raw base64 or a data URI; raises ValueError when it is not an image."""
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    try:
        image = Image.open(io.BytesIO(base64.b64decode(payload, validate=True)))
        image.load()
    except Exception as exc:
        raise ValueError("Invalid encoded image") from exc
    return image


def upscaled_png(source: Image.Image, scale: float, upscaler: str, *, postprocessing: bool) -> bytes:
    width, height = round(source.width * scale), round(source.height * scale)
    method = Image.Resampling.NEAREST if upscaler == "Nearest" else Image.Resampling.LANCZOS
    texts = {k: v for k, v in source.info.items() if isinstance(k, str) and isinstance(v, str)}
    if postprocessing:
        texts["postprocessing"] = f"Postprocess upscale by: {scale:g}, Postprocess upscaler: {upscaler}"
    return encode_png(source.convert("RGB").resize((width, height), method), texts)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
