"""A1111's "stealth" metadata (the stealth-pnginfo extension): infotext hidden in the pixels' lowest bits.

The only reader that decodes pixels, and only for a PNG with an alpha channel whose text chunks
gave nothing. Bits are read column by column (x outer, y inner), one per pixel from the alpha
channel: a 15-character signature (``stealth_pnginfo`` plain UTF-8, ``stealth_pngcomp`` gzip),
a 32-bit big-endian bit count, then the text (inflated with a cap). Anything else (no signature,
a count past the image, bad gzip) means there is no stealth metadata; it never raises.
"""

from __future__ import annotations

import io
import zlib

from PIL import Image

_SIGNATURES = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}
_SIGNATURE_BITS = 15 * 8
_MAX_PIXELS = 40_000_000
_MAX_TEXT = 8 * 1024 * 1024


def read_stealth_text(data: bytes) -> str | None:
    """The hidden text of a PNG's bytes, or None when it holds none (or cannot be decoded)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if "A" not in image.getbands() or image.width * image.height > _MAX_PIXELS:
                return None
            alpha = image.getchannel("A").transpose(Image.Transpose.TRANSPOSE).tobytes()
    except Exception:  # Pillow decoding a damaged file may raise anything; no stealth text then
        return None
    head = _bytes_of(alpha, 0, _SIGNATURE_BITS)
    if head not in _SIGNATURES:
        return None
    count = int.from_bytes(_bytes_of(alpha, _SIGNATURE_BITS, 32), "big")
    start = _SIGNATURE_BITS + 32
    if count % 8 or count == 0 or start + count > len(alpha) or count // 8 > _MAX_TEXT:
        return None
    body = _bytes_of(alpha, start, count)
    try:
        if _SIGNATURES[head]:
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, _MAX_TEXT + 1)
        return body.decode("utf-8") if len(body) <= _MAX_TEXT else None
    except (zlib.error, UnicodeDecodeError):
        return None


def _bytes_of(lowest: bytes, start: int, bits: int) -> bytes:
    """``bits`` bits (a multiple of 8) from the low bit of each byte of ``lowest`` from ``start``."""
    out = bytearray()
    for at in range(start, start + bits, 8):
        byte = 0
        for value in lowest[at : at + 8]:
            byte = (byte << 1) | (value & 1)
        out.append(byte)
    return bytes(out)
