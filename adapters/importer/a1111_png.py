"""The former A1111-only importer's names, kept importable: the importer now reads every format.

See adapters/importer/image_importer.py (and docs/import.md for what each format gives).
"""

from __future__ import annotations

from adapters.importer.image_importer import (
    IMAGE_SUFFIXES,
    MetadataImageImporter,
    NotImportable,
    check_storable,
    collect_images,
    plan_import,
    read_record,
)

A1111PngImporter = MetadataImageImporter

__all__ = [
    "IMAGE_SUFFIXES",
    "A1111PngImporter",
    "NotImportable",
    "check_storable",
    "collect_images",
    "plan_import",
    "read_record",
]
