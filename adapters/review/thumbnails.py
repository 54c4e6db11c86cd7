"""Thumbnails: small copies of the images the review page shows, made once and kept.

A card needs a few kilobytes, not a full-size PNG: the first screen of 60 cards would otherwise
load tens of megabytes. Each thumbnail is named after its image's real path, size and mtime, so
a changed image gets a new one; they live in a cache folder beside the records and can be
deleted at any time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

logger = logging.getLogger(__name__)

SIDE = 384  # pixels: sharp on a 2x screen at the page's card size


class Thumbnails:
    """Makes and keeps WebP thumbnails of images in ``folder`` (created 0700 when first needed)."""

    def __init__(self, folder: Path, side: int = SIDE) -> None:
        self.folder = folder
        self.side = side

    def of(self, image: Path) -> Path:
        """The thumbnail of ``image``; the image itself when no thumbnail can be made or kept."""
        try:
            info = image.stat()
            key = f"{image.resolve()}\0{info.st_size}\0{info.st_mtime_ns}\0{self.side}"
            target = self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.webp"
            if not target.is_file():
                self._make(image, target)
            return target
        except (OSError, ValueError) as exc:  # unreadable image, full or read-only disk
            logger.info("review: no thumbnail for %s (%s): serving the image", image, exc)
            return image

    def _make(self, image: Path, target: Path) -> None:
        from PIL import Image  # Pillow only when a page asks for a thumbnail

        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        with Image.open(image) as source:
            source.draft("RGB", (self.side, self.side))  # JPEGs decode at a fraction of their size
            source.thumbnail((self.side, self.side))
            small = source.convert("RGBA" if "A" in source.getbands() else "RGB")
        fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                small.save(out, format="WEBP", quality=82)
            os.replace(temporary, target)  # whole or not at all, even with two requests at once
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
