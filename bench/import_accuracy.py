"""Accuracy of `records import` on real files: per tool, files imported and fields read right.

Run: uv run --group test python -m bench.import_accuracy [--images DIR] [--verbose]

Reads ``../shared/real-images`` beside the project (or ``--images``, or $STABLENEW_REAL_IMAGES):
image files written by real front-ends and ``MANIFEST.tsv`` with the values each states. Every
file goes through the importer as `records import` runs it (nothing is stored); each value the
manifest gives is compared with the record, and so is the tool the record names. An empty
manifest cell means the file does not state that value, so it is not scored. A sampler written
the old way (``DPM++ 2M Karras``) is right when the record has it split (sampler ``DPM++ 2M``,
scheduler ``Karras``).

Exit status: 0 when every A1111-family file (tools a1111, sdnext) is imported with every field
right, or when the folder is absent (with a message); 1 otherwise. Other tools are reported only.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.importer.image_importer import plan_import
from domain.record import LearningRecord

DEFAULT_FOLDER = Path(__file__).resolve().parents[1].parent / "shared" / "real-images"
MUST_BE_RIGHT = frozenset({"a1111", "sdnext"})


@dataclass
class ToolScore:
    files: int = 0
    imported: int = 0
    fields: int = 0
    right: int = 0
    wrong: list[str] = field(default_factory=list)


def _same_number(expected: str, actual: object) -> bool:
    try:
        return actual is not None and math.isclose(float(expected), float(str(actual)))
    except ValueError:
        return False


def _sampler_right(expected: str, config: Mapping[str, Any]) -> bool:
    sampler, scheduler = config.get("sampler") or "", config.get("scheduler") or ""
    return expected in (sampler, f"{sampler} {scheduler}".strip())


def compare(row: Mapping[str, str], record: LearningRecord) -> list[tuple[str, bool, object]]:
    """(field, right, what the record has) for each value the manifest states."""
    config = record.config
    found: list[tuple[str, bool, object]] = []
    for name, json_column, actual in (
        ("prompt", "prompt_json", config.get("prompt")),
        ("negative", "negative_json", config.get("negative_prompt")),
    ):
        expected = json.loads(row[json_column]) if row[json_column] else ""
        if expected:
            found.append((name, actual == expected, actual))
    numbers = {
        "seed": config.get("seed"),
        "steps": config.get("steps"),
        "cfg": config.get("cfg_scale"),
        "width": config.get("width"),
        "height": config.get("height"),
    }
    for name, actual in numbers.items():
        if row[name]:
            found.append((name, _same_number(row[name], actual), actual))
    if row["sampler"]:
        found.append(("sampler", _sampler_right(row["sampler"], config), config.get("sampler")))
    if row["scheduler"]:
        found.append(("scheduler", config.get("scheduler") == row["scheduler"], config.get("scheduler")))
    tool = record.metadata["import"]["tool"]
    found.append(("tool", tool == row["tool"], tool))
    texts = {
        "model": record.backend.model,
        "model_hash": record.backend.model_hash,
        "version": record.backend.version,
    }
    for name, actual in texts.items():
        if row[name]:
            found.append((name, actual == row[name], actual))
    return found


def _expected(row: Mapping[str, str], name: str) -> object:
    column = {"prompt": "prompt_json", "negative": "negative_json"}.get(name, name)
    return json.loads(row[column]) if column.endswith("_json") else row.get(column, "?")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--images", type=Path, default=Path(os.environ.get("STABLENEW_REAL_IMAGES", DEFAULT_FOLDER))
    )
    parser.add_argument("--verbose", action="store_true", help="Also list every field compared.")
    args = parser.parse_args(argv)
    manifest = args.images / "MANIFEST.tsv"
    if not manifest.is_file():
        print(f"import accuracy: {args.images} is absent (no MANIFEST.tsv): nothing to check")
        return 0
    with manifest.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    scores: dict[str, ToolScore] = {}
    for row in rows:
        tool = row["tool"]
        score = scores.setdefault(tool, ToolScore())
        score.files += 1
        path = args.images / row["local_path"]
        plan = plan_import([path], set())
        if tool == "no_metadata":
            if plan.records:
                score.wrong.append(f"{row['local_path']}: imported, but it holds no metadata")
            else:
                score.imported += 1  # correctly not imported
                reason = plan.skipped[0].reason if plan.skipped else "?"
                if args.verbose:
                    print(f"  {row['local_path']}: not imported, right ({reason})")
            continue
        if not plan.records:
            reason = plan.skipped[0].reason if plan.skipped else "no record"
            score.wrong.append(f"{row['local_path']}: not imported ({reason})")
            continue
        score.imported += 1
        record = plan.records[0]
        for name, right, actual in compare(row, record):
            score.fields += 1
            score.right += right
            if not right:
                shown = actual if not isinstance(actual, str) or len(actual) < 80 else actual[:77] + "..."
                score.wrong.append(
                    f"{row['local_path']}: {name} is {shown!r}, expected {_expected(row, name)!r}"
                )
            elif args.verbose:
                print(f"  {row['local_path']}: {name} right")
    failed = False
    print(f"import accuracy over {len(rows)} files in {args.images}")
    for tool, score in scores.items():
        label = "no metadata (must be skipped)" if tool == "no_metadata" else tool
        fields = "" if tool == "no_metadata" else f", fields right {score.right}/{score.fields}"
        print(f"{label:<30} files imported {score.imported}/{score.files}{fields}")
        for line in score.wrong:
            print(f"    {line}")
        if tool in MUST_BE_RIGHT and (score.wrong or score.imported < score.files):
            failed = True
    if failed:
        print("FAILED: an A1111-family file (a1111, sdnext) was not imported or has a wrong field")
        return 1
    print("ok: every A1111-family file imported with every field right")
    return 0


if __name__ == "__main__":
    sys.exit(main())
