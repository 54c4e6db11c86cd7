"""bench/import_accuracy.py on a folder made here: absent, all right, and an A1111 file read wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import import_accuracy
from tests.importer.images import png_bytes, write

COLUMNS = [
    "local_path",
    "tool",
    "format",
    "must_import",
    "source_repo",
    "source_path",
    "commit",
    "license",
    "bytes",
    "sha256",
    "pixels",
    "prompt_snippet",
    "negative_snippet",
    "seed",
    "steps",
    "sampler",
    "scheduler",
    "cfg",
    "width",
    "height",
    "model",
    "model_hash",
    "version",
    "notes",
    "prompt_json",
    "negative_json",
]
INFOTEXT = (
    "a fox\nNegative prompt: rain\nSteps: 15, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 3, Size: 64x32"
)


def manifest(folder: Path, **values: str) -> None:
    row = dict.fromkeys(COLUMNS, "") | {"local_path": "a1111/fox.png", "tool": "a1111"} | values
    lines = ["\t".join(COLUMNS), "\t".join(row[column] for column in COLUMNS)]
    (folder / "MANIFEST.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def quoted(text: str) -> str:
    return '"' + json.dumps(text).replace('"', '""') + '"'


def test_an_absent_folder_is_a_message_and_success(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_accuracy.main(["--images", str(tmp_path / "nowhere")]) == 0
    assert "is absent" in capsys.readouterr().out


@pytest.mark.parametrize(("seed", "code"), [("3", 0), ("4", 1)])
def test_every_stated_field_is_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: str, code: int
) -> None:
    write(tmp_path / "a1111" / "fox.png", png_bytes([("parameters", INFOTEXT, "tEXt")]))
    manifest(
        tmp_path,
        prompt_json=quoted("a fox"),
        negative_json=quoted("rain"),
        seed=seed,
        steps="15",
        sampler="DPM++ 2M Karras",
        cfg="7",
        width="64",
        height="32",
    )
    assert import_accuracy.main(["--images", str(tmp_path)]) == code
    out = capsys.readouterr().out
    right = "9/9" if code == 0 else "8/9"
    assert f"files imported 1/1, fields right {right}" in out
    if code:
        assert "a1111/fox.png: seed is 3, expected '4'" in out


def test_an_a1111_file_not_imported_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / "a1111" / "fox.png", png_bytes())
    manifest(tmp_path)
    assert import_accuracy.main(["--images", str(tmp_path)]) == 1
    assert "not imported (no generation metadata" in capsys.readouterr().out
