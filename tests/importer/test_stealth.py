"""A1111's stealth metadata: infotext in the alpha channel's lowest bits, plain or gzip."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from PIL import Image

from adapters.importer.image_importer import plan_import
from adapters.importer.stealth import read_stealth_text
from tests.importer.images import write

INFOTEXT = (
    "a circle\nNegative prompt: a square\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 5, Size: 64x64"
)


def stealth_png(
    payload: bytes, signature: bytes, *, size: tuple[int, int] = (64, 64), count: int | None = None
) -> bytes:
    bits = "".join(f"{byte:08b}" for byte in signature)
    bits += f"{(count if count is not None else len(payload) * 8):032b}"
    bits += "".join(f"{byte:08b}" for byte in payload)
    width, height = size
    assert len(bits) <= width * height
    image = Image.new("RGBA", size, (10, 20, 30, 254))
    for index, bit in enumerate(bits):
        x, y = divmod(index, height)  # column by column
        image.putpixel((x, y), (10, 20, 30, 254 | int(bit)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("signature", "payload"),
    [(b"stealth_pnginfo", INFOTEXT.encode()), (b"stealth_pngcomp", gzip.compress(INFOTEXT.encode()))],
)
def test_plain_and_compressed_stealth_text_is_read(signature: bytes, payload: bytes) -> None:
    assert read_stealth_text(stealth_png(payload, signature)) == INFOTEXT


@pytest.mark.parametrize(
    "data",
    [
        stealth_png(INFOTEXT.encode(), b"not_a_signature"),
        stealth_png(INFOTEXT.encode(), b"stealth_pnginfo", count=10**9),
        stealth_png(b"not gzip", b"stealth_pngcomp"),
        b"\x89PNG\r\n\x1a\n broken",
    ],
)
def test_anything_else_is_no_stealth_text(data: bytes) -> None:
    assert read_stealth_text(data) is None


def test_an_image_without_alpha_is_not_decoded_for_stealth() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    assert read_stealth_text(buffer.getvalue()) is None


def test_a_stealth_png_imports_as_a1111(tmp_path: Path) -> None:
    path = write(tmp_path / "s.png", stealth_png(gzip.compress(INFOTEXT.encode()), b"stealth_pngcomp"))
    (record,) = plan_import([path], set()).records
    assert (record.config["prompt"], record.config["negative_prompt"], record.config["seed"]) == (
        "a circle",
        "a square",
        5,
    )
    assert record.metadata["import"]["raw"] == {"stealth": INFOTEXT}
    assert record.metadata["import"]["format"] == "a1111-infotext"
