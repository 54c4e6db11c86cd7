"""The ImageImporter contract run against the A1111 PNG importer."""

from __future__ import annotations

from pathlib import Path

from adapters.importer.a1111_png import A1111PngImporter
from domain.ports import ImageImporter
from tests.contract.image_importer_contract import ImageImporterContract
from tests.review.pngs import write_png

COLOURS = ("teal", "red", "gold", "navy", "olive")


class TestA1111PngImporter(ImageImporterContract):
    def make_importer(self) -> ImageImporter:
        return A1111PngImporter()

    def write_importable(self, path: Path, variant: int) -> Path:
        return write_png(path, colour=COLOURS[variant % len(COLOURS)], size=(64 + variant, 96))
