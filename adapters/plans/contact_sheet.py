"""PillowContactSheet: a plan's X/Y contact sheet as a PNG that carries the plan.

The plan's canonical JSON is stored in an iTXt chunk named ``stablenew-plan``
(``read_sheet_plan`` reads it back). The file is written beside the target and renamed over it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from domain.plan_grid import GridSheet, GridSquare
from domain.ports import ContactSheetWriter

PLAN_CHUNK = "stablenew-plan"
SIDE = 192  # pixels of a square's image
LABEL = 40  # pixels of text under each square
MARGIN = 140  # pixels left of the rows (y labels)
HEADER = 56  # pixels above the columns (title and x labels)
_BACKGROUND, _INK, _MUTED = (250, 250, 250), (20, 20, 20), (120, 120, 120)


class PillowContactSheet(ContactSheetWriter):
    """Draws the sheet with Pillow's default font; ``base`` resolves relative image paths."""

    def __init__(self, base: Path | None = None) -> None:
        self._base = base

    def write(self, sheet: GridSheet, target: str, plan_text: str) -> None:
        columns, rows = len(sheet.x_values), max(len(sheet.y_values), 1)
        width = MARGIN + columns * SIDE
        height = HEADER + rows * (SIDE + LABEL)
        canvas = Image.new("RGB", (width, height), _BACKGROUND)
        draw = ImageDraw.Draw(canvas)
        font = ImageFont.load_default()
        draw.text((8, 6), sheet.title, fill=_INK, font=font)
        draw.text((8, 26), f"x: {sheet.x_key}" + (f"   y: {sheet.y_key}" if sheet.y_key else ""), fill=_MUTED)
        for column, value in enumerate(sheet.x_values):
            draw.text(
                (MARGIN + column * SIDE + 6, HEADER - 18),
                _fit(f"{sheet.x_key}={value}", SIDE),
                fill=_INK,
                font=font,
            )
        for row in range(rows):
            top = HEADER + row * (SIDE + LABEL)
            if sheet.y_values:
                label = _fit(f"{sheet.y_key}={sheet.y_values[row]}", MARGIN)
                draw.text((6, top + SIDE // 2), label, fill=_INK, font=font)
            for column in range(columns):
                square = sheet.squares.get((column, row))
                if square is not None:
                    self._square(canvas, draw, square, MARGIN + column * SIDE, top)
        info = PngImagePlugin.PngInfo()
        info.add_itxt(PLAN_CHUNK, plan_text)
        path = Path(target)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            canvas.save(temp, format="PNG", pnginfo=info)
            temp.replace(path)
        finally:
            temp.unlink(missing_ok=True)

    def _square(self, canvas: Image.Image, draw: Any, square: GridSquare, left: int, top: int) -> None:
        picture = self._picture(square.image)
        if picture is not None:
            picture.thumbnail((SIDE - 8, SIDE - 8))
            canvas.paste(picture, (left + 4 + (SIDE - 8 - picture.width) // 2, top + 4))
        else:
            draw.rectangle((left + 4, top + 4, left + SIDE - 4, top + SIDE - 4), outline=_MUTED)
            draw.text((left + 12, top + SIDE // 2), square.note or "no image", fill=_MUTED)
        rating = f"{square.mean:.2f} ({square.ratings} rating(s))" if square.mean is not None else "not rated"
        draw.text((left + 6, top + SIDE + 2), _fit(square.label, SIDE), fill=_INK)
        draw.text((left + 6, top + SIDE + 18), rating, fill=_MUTED)

    def _picture(self, stored: str | None) -> Image.Image | None:
        if not stored:
            return None
        path = Path(stored)
        if not path.is_absolute() and self._base is not None:
            path = self._base / path
        try:
            with Image.open(path) as opened:
                return opened.convert("RGB")
        except (OSError, ValueError):  # a missing or unreadable image is drawn as a note
            return None


def read_sheet_plan(path: Path) -> dict[str, Any]:
    """The plan a contact sheet carries; ValueError when the file holds none."""
    try:
        with Image.open(path) as opened:
            text = opened.info.get(PLAN_CHUNK)
    except OSError as exc:
        raise ValueError(f"{path}: not a readable image: {exc}") from None
    if not isinstance(text, str):
        raise ValueError(f"{path}: holds no plan (no {PLAN_CHUNK} chunk)")
    plan = json.loads(text)
    if not isinstance(plan, dict):
        raise ValueError(f"{path}: the {PLAN_CHUNK} chunk is not a plan")
    return plan


def _fit(text: str, pixels: int) -> str:
    most = max(pixels // 7, 4)  # the default font is about 6-7 pixels a character
    return text if len(text) <= most else text[: most - 1] + "…"
