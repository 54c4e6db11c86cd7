"""A1111-family infotext read into imported runs and records, from PNG text and JPEG/WEBP EXIF."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.importer.a1111_infotext import A1111InfotextReader
from adapters.importer.image_importer import plan_import
from domain.imported_run import ImportedRun
from tests.importer.images import jpeg_bytes, png_bytes, tiff_exif, unicode_comment, webp_bytes, write

INFOTEXT = (
    "a cat\nin a hat\nNegative prompt: blurry\n"
    "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 3162372422, Size: 512x768, "
    "Model hash: 5b8393ca08, Model: anime_v3, Version: v1.6.0\n"
)
HIRES = (
    "a castle\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 11, Size: 512x512, Model: m, "
    "Denoising strength: 0.45, Hires upscale: 2, Hires steps: 10, Hires upscaler: Latent"
)


def read(texts: dict[str, str]) -> ImportedRun:
    found = A1111InfotextReader().read(texts)
    assert isinstance(found, ImportedRun)
    return found


def test_a_txt2img_infotext_is_one_stage_with_the_scheduler_split_off() -> None:
    run = read({"parameters": INFOTEXT})
    assert (run.format, run.tool, run.prompt, run.negative_prompt) == (
        "a1111-infotext",
        "a1111",
        "a cat\nin a hat",
        "blurry",
    )
    (stage,) = run.stages
    assert (stage.name, stage.sampler, stage.scheduler, stage.steps, stage.seed, stage.size) == (
        "txt2img",
        "DPM++ 2M",
        "Karras",
        "28",
        "3162372422",
        "512x768",
    )
    assert (run.model, run.model_hash, run.version) == ("anime_v3", "5b8393ca08", "v1.6.0")
    assert run.raw == {"parameters": INFOTEXT}


def test_img2img_is_its_own_stage() -> None:
    run = read({"parameters": "p\nSteps: 20, Seed: 1, Size: 64x64, Denoising strength: 0.3"})
    assert [(s.name, s.denoising_strength) for s in run.stages] == [("img2img", "0.3")]


def test_a_hires_fix_is_txt2img_then_upscale_then_img2img() -> None:
    run = read({"parameters": HIRES})
    assert [stage.name for stage in run.stages] == ["txt2img", "upscale", "img2img"]
    first, upscale, second = run.stages
    assert (first.size, first.denoising_strength, first.steps) == ("512x512", None, "20")
    assert dict(upscale.settings) == {"upscaler": "Latent", "scale": "2"}
    assert (second.size, second.steps, second.denoising_strength, second.sampler) == (
        "1024x1024",
        "10",
        "0.45",
        "Euler a",
    )


@pytest.mark.parametrize(
    ("version", "app", "tool"),
    [
        ("v1.9.4", None, "a1111"),
        ("f2.0.1v1.10.1-previous-1", None, "forge"),
        ("feaa51c", "SD.Next", "sdnext"),
    ],
)
def test_the_tool_is_told_from_the_settings(version: str, app: str | None, tool: str) -> None:
    extra = f", App: {app}" if app else ""
    assert read({"parameters": f"p\nSteps: 1, Seed: 2, Version: {version}{extra}"}).tool == tool


@pytest.mark.parametrize(
    "texts",
    [
        {"parameters": '{"prompt": "json is never infotext", "steps": 20}'},
        {"UserComment": "a comment with no settings line"},
        {"Comment": "a photo comment, no settings"},
        {},
    ],
)
def test_what_is_not_infotext_is_left_to_other_readers(texts: dict[str, str]) -> None:
    assert A1111InfotextReader().read(texts) is None


@pytest.mark.parametrize("prompt", ["[dog:cat:0.5]", "{red|blue} cat", "[1, 2]"])
def test_a_prompt_that_starts_like_json_is_still_infotext(prompt: str) -> None:
    run = read({"UserComment": f"{prompt}\nSteps: 20, Seed: 1, Size: 8x8"})
    assert (run.prompt, run.stages[0].seed) == (prompt, "1")


def test_a_jpeg_comment_with_a_settings_line_is_infotext() -> None:
    assert read({"Comment": "p\nSteps: 1, Seed: 2, Size: 8x8"}).raw == {
        "Comment": "p\nSteps: 1, Seed: 2, Size: 8x8"
    }


def container_files(tmp_path: Path) -> list[Path]:
    return [
        write(tmp_path / "t.png", png_bytes([("parameters", INFOTEXT, "tEXt")], size=(1025, 859))),
        write(tmp_path / "z.png", png_bytes([("parameters", INFOTEXT, "zTXt")], after_idat=True)),
        write(tmp_path / "i.png", png_bytes([("parameters", INFOTEXT, "iTXt")])),
        write(tmp_path / "be.jpg", jpeg_bytes(tiff_exif(unicode_comment(INFOTEXT)))),
        write(
            tmp_path / "le.jpg", jpeg_bytes(tiff_exif(unicode_comment(INFOTEXT, little=True), little=True))
        ),
        write(tmp_path / "e.webp", webp_bytes(tiff_exif(unicode_comment(INFOTEXT)))),
        # named .png, holds a JPEG: the content decides
        write(tmp_path / "misnamed.png", jpeg_bytes(tiff_exif(unicode_comment(INFOTEXT)), size=(3, 3))),
    ]


def test_every_container_gives_the_same_record(tmp_path: Path) -> None:
    files = container_files(tmp_path)
    plan = plan_import(files, set())
    assert plan.skipped == []
    assert plan.notes == []
    for record in plan.records:
        config = record.config
        assert (config["prompt"], config["negative_prompt"]) == ("a cat\nin a hat", "blurry")
        assert (config["sampler"], config["scheduler"], config["steps"], config["cfg_scale"]) == (
            "DPM++ 2M",
            "Karras",
            28,
            6.5,
        )
        assert (config["seed"], config["width"], config["height"]) == (3162372422, 512, 768)
        assert (record.backend.model, record.backend.model_hash) == ("anime_v3", "5b8393ca08")
        assert record.metadata["import"]["format"] == "a1111-infotext"
        assert record.metadata["import"]["tool"] == "a1111"
        assert record.metadata["import"]["parameters"] == INFOTEXT
    sizes = [(record.outputs[0].width, record.outputs[0].height) for record in plan.records]
    assert sizes[0] == (1025, 859)
    assert sizes[-1] == (3, 3)
    assert list(plan.records[3].metadata["import"]["raw"]) == ["UserComment"]


def test_a_hires_fix_record_has_three_stages(tmp_path: Path) -> None:
    plan = plan_import([write(tmp_path / "h.png", png_bytes([("parameters", HIRES, "tEXt")]))], set())
    (record,) = plan.records
    assert record.stage_plan == ("txt2img", "upscale", "img2img")
    assert record.config["stages"] == [
        {"name": "txt2img"},
        {"name": "upscale", "upscaler": "Latent", "scale": 2.0},
        {"name": "img2img", "denoising_strength": 0.45, "init_images": []},
    ]
    assert record.resolved["img2img"]["steps"] == 10
    assert (record.config["width"], record.config["height"]) == (512, 512)
    assert record.outputs[0].stage == "img2img"


@pytest.mark.parametrize("mtime", [1e14, float("nan")])
def test_a_file_time_out_of_range_takes_the_import_time(mtime: float) -> None:
    from types import SimpleNamespace

    from adapters.importer.image_importer import _made_at

    class FarPath:
        def stat(self) -> SimpleNamespace:
            return SimpleNamespace(st_mtime=mtime)

    assert _made_at(FarPath(), "2026-12-02T00:00:00.000Z") == "2026-12-02T00:00:00.000Z"  # type: ignore[arg-type]
