"""What an image file's container holds besides pixels: its size and its metadata texts."""

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
