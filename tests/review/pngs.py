"""Small PNGs with or without an A1111 ``parameters`` chunk, for import tests."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, PngImagePlugin

PARAMETERS = (
    "a red fox in the snow, detailed\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 424242, "
    'Size: 64x96, Model hash: 31e35c80fc, Model: sdxl-base, Lora hashes: "a: 1, b: 2", Version: v1.10.1'
)


def write_png(
    path: Path, parameters: str | None = PARAMETERS, colour: str = "teal", size: tuple[int, int] = (64, 96)
) -> Path:
    info = PngImagePlugin.PngInfo()
    if parameters is not None:
        info.add_text("parameters", parameters)
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG", pnginfo=info)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def write_jpeg(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (32, 32), "red").save(path, format="JPEG")
    return path
