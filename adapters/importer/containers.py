"""The container of an image file, told by its first bytes (PNG, JPEG, WEBP), never by its name.

Only the metadata parts are read (PNG text chunks, EXIF, JPEG comments); pixels are never decoded.
"""

from __future__ import annotations

from adapters.importer.exif import read_jpeg_texts, read_webp_texts
from adapters.importer.image_texts import MAX_TEXT_CHARACTERS, ImageTexts, NotAnImage
from adapters.importer.png_chunks import SIGNATURE, read_png_texts

__all__ = ["MAX_TEXT_CHARACTERS", "ImageTexts", "NotAnImage", "read_image_texts"]


def read_image_texts(data: bytes) -> ImageTexts:
    """The texts of ``data``; raises NotAnImage for an unknown, empty or unreadable container."""
    if not data:
        raise NotAnImage("empty file (0 bytes)")
    if data.startswith(SIGNATURE):
        return read_png_texts(data)
    if data.startswith(b"\xff\xd8"):
        return read_jpeg_texts(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return read_webp_texts(data)
    raise NotAnImage("not a PNG, JPEG or WEBP image (by its content)")
