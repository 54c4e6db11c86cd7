"""What an image file's container holds besides pixels: its size and its metadata texts.

The container is told by the file's first bytes (PNG, JPEG, WEBP), never by its name. Only the
metadata parts are read (PNG text chunks, EXIF, JPEG comments); pixels are never decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_TEXT_CHARACTERS = 8 * 1024 * 1024  # a longer text chunk is left out with a note, never parsed


class NotAnImage(ValueError):
    """The bytes are not an image container this importer reads; the message says why in a few words."""


@dataclass(frozen=True, slots=True)
class ImageTexts:
    """The container's kind (``png``, ``jpeg``, ``webp``), pixel size if stated, and its metadata texts.

    ``texts`` maps a name to its text: PNG text chunks by keyword (the first of a repeated one
    wins), EXIF UserComment as ``UserComment``, JPEG comments as ``Comment``; ``problems`` names
    texts left out (too long, undecodable) so a reader can say why nothing was found.
    """

    container: str
    size: tuple[int, int] | None
    texts: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def read_image_texts(data: bytes) -> ImageTexts:
    """The texts of ``data``; raises NotAnImage for an unknown, empty or unreadable container."""
    from adapters.importer import exif, png_chunks

    if not data:
        raise NotAnImage("empty file (0 bytes)")
    if data.startswith(png_chunks.SIGNATURE):
        return png_chunks.read_png_texts(data)
    if data.startswith(b"\xff\xd8"):
        return exif.read_jpeg_texts(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return exif.read_webp_texts(data)
    raise NotAnImage("not a PNG, JPEG or WEBP image (by its content)")
