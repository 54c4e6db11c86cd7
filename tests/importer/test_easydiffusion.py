"""Easy Diffusion's embedded metadata: PNG text chunks (request or display names), JPEG UserComment JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.importer.image_importer import plan_import
from adapters.importer.readers import read_texts
from domain.imported_run import ImportedRun
from tests.importer.images import jpeg_bytes, png_bytes, tiff_exif, unicode_comment, write

REQUEST = {
    "prompt": "{red|blue} lighthouse, dusk",
    "negative_prompt": "blurry",
    "seed": 1234,
    "use_stable_diffusion_model": "sd-v1-5",
    "clip_skip": False,
    "use_vae_model": None,
    "sampler_name": "euler_a",
    "width": 512,
    "height": 768,
    "num_inference_steps": 25,
    "guidance_scale": 7.5,
    "use_lora_model": None,
    "use_upscale": None,
}
DISPLAY = {
    "Prompt": "a fox",
    "Negative Prompt": "",
    "Seed": "99",
    "Stable Diffusion model": "sd-xl",
    "Sampler": "dpmpp_2m",
    "Width": "1024",
    "Height": "1024",
    "Steps": "30",
    "Guidance Scale": "5",
    "Prompt Strength": "0.6",
    "Use Upscaling": "RealESRGAN_x4plus",
    "Upscale By": "4",
}


def run_of(texts: dict[str, str]) -> ImportedRun:
    found = read_texts(texts)
    assert isinstance(found, ImportedRun), found
    assert (found.format, found.tool) == ("easydiffusion", "easydiffusion")
    return found


def test_png_chunks_with_request_names_even_when_the_prompt_looks_like_json() -> None:
    run = run_of({key: str(value) for key, value in REQUEST.items()})
    (stage,) = run.stages
    assert (run.prompt, run.negative_prompt, run.model) == (
        "{red|blue} lighthouse, dusk",
        "blurry",
        "sd-v1-5",
    )
    assert (stage.name, stage.sampler, stage.steps, stage.cfg_scale, stage.seed, stage.size) == (
        "txt2img",
        "euler_a",
        "25",
        "7.5",
        "1234",
        "512x768",
    )


def test_png_chunks_with_display_names_img2img_and_upscale() -> None:
    run = run_of(DISPLAY)
    assert [stage.name for stage in run.stages] == ["img2img", "upscale"]
    assert run.stages[0].denoising_strength == "0.6"
    assert dict(run.stages[1].settings) == {"upscaler": "RealESRGAN_x4plus", "scale": "4"}
    assert (run.prompt, run.negative_prompt, run.model) == ("a fox", "", "sd-xl")


def test_jpeg_user_comment_json(tmp_path: Path) -> None:
    path = write(tmp_path / "e.jpg", jpeg_bytes(tiff_exif(unicode_comment(json.dumps(REQUEST)))))
    (record,) = plan_import([path], set()).records
    assert record.metadata["import"]["format"] == "easydiffusion"
    assert (record.config["seed"], record.config["steps"], record.config["width"]) == (1234, 25, 512)


def test_a_png_of_easy_diffusion_imports(tmp_path: Path) -> None:
    chunks = [(key, str(value), "tEXt") for key, value in REQUEST.items()]
    (record,) = plan_import([write(tmp_path / "e.png", png_bytes(chunks))], set()).records
    assert record.config["prompt"] == "{red|blue} lighthouse, dusk"
    assert record.metadata["import"]["raw"]["num_inference_steps"] == "25"


@pytest.mark.parametrize("texts", [{"prompt": "just a prompt"}, {"UserComment": '{"steps": 3}'}])
def test_other_texts_are_not_easy_diffusion(texts: dict[str, str]) -> None:
    assert read_texts(texts) is None
