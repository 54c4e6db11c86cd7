"""``stablenew insights --html``: the insights view as one file a person can send.

The chart library, the data and small JPEG thumbnails (data: URLs) are all inside the file, so it
opens from a disk, a mail attachment or a file:// URL without any network.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from adapters.review.insights_page import report_html
from application.insights_view import Example, InsightsPicture

logger = logging.getLogger(__name__)

THUMB_SIDE = 96  # pixels: the strip shows 48 px, sharp on a 2x screen


class InlineThumbnails:
    """Small JPEG data: URLs of run images, each file read and shrunk once; None when unreadable."""

    def __init__(self, base: Path, side: int = THUMB_SIDE) -> None:
        self._base = base
        self._side = side
        self._made: dict[str, str | None] = {}

    def of(self, stored_path: str | None) -> str | None:
        if not stored_path or "\x00" in stored_path:
            return None
        if stored_path not in self._made:
            self._made[stored_path] = self._make(stored_path)
        return self._made[stored_path]

    def _make(self, stored_path: str) -> str | None:
        from PIL import Image, UnidentifiedImageError

        path = Path(stored_path)
        path = path if path.is_absolute() else self._base / path
        try:
            with Image.open(path) as source:
                source.draft("RGB", (self._side, self._side))
                source.thumbnail((self._side, self._side))
                small = source.convert("RGB")
            out = io.BytesIO()
            small.save(out, format="JPEG", quality=72)
        except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
            logger.info("report: no thumbnail for %s (%s)", path, exc)
            return None
        return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def render_report(
    picture: InsightsPicture,
    thumbnails: InlineThumbnails,
    filters: dict[str, str | None],
    now: datetime | None = None,
) -> str:
    """The report's HTML text."""

    def thumb(example: Example) -> dict[str, str | None]:
        return {"thumb": thumbnails.of(example.image_path)}

    made = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    data = {**picture.to_dict(thumb), "filters": filters, "generated": made, "message": None}
    return report_html(data)


def write_report(path: Path, html: str) -> None:
    """Writes ``html`` to ``path`` whole or not at all (a temporary file in its folder, then renamed)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(html)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
