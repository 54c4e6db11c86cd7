from __future__ import annotations

import math

import pytest

from domain import ConfigError, Img2ImgStage, PipelineConfig, Txt2ImgStage, UpscaleStage, stages_from_names
from tests.factories import make_config


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"steps": 0}, "steps"),
        ({"steps": -3}, "steps"),
        ({"steps": 2.5}, "steps"),
        ({"width": 100}, "width"),
        ({"height": 513}, "height"),
        ({"width": 0}, "width"),
        ({"cfg_scale": math.nan}, "cfg_scale"),
        ({"cfg_scale": -1}, "cfg_scale"),
        ({"seed": -2}, "seed"),
        ({"batch_size": 0}, "batch_size"),
        ({"sampler": " "}, "sampler"),
        ({"stages": ()}, "stages"),
        ({"stages": (Img2ImgStage(),)}, "stages.img2img"),
        (
            {"stages": (Txt2ImgStage(), Img2ImgStage(denoising_strength=1.5))},
            "stages.img2img.denoising_strength",
        ),
        ({"stages": (Txt2ImgStage(), UpscaleStage(scale=0.5))}, "stages.upscale.scale"),
        ({"stages": (Txt2ImgStage(), UpscaleStage(upscaler=""))}, "stages.upscale.upscaler"),
        ({"stages": (UpscaleStage(),)}, "stages.upscale"),
        ({"stages": (Txt2ImgStage(), Txt2ImgStage())}, "stages.txt2img"),
    ],
)
def test_bad_config_is_one_config_error_naming_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_config(**overrides)
    assert caught.value.field == field
    assert field in str(caught.value)


def test_unknown_stage_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown stage 'sharpen'"):
        stages_from_names("txt2img,sharpen")


def test_img2img_first_with_an_init_image_is_valid() -> None:
    config = make_config(stages=(Img2ImgStage(init_images=("in.png",)), UpscaleStage()))
    assert config.stage_plan == ("img2img", "upscale")


def test_config_round_trips_through_its_dict() -> None:
    config = make_config(
        stages=stages_from_names("txt2img,img2img,upscale"),
        prompt_pack_id="portraits",
        prompt_id="p-7",
        metadata={"batch": [1, 2], "note": "ok"},
    )
    assert PipelineConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize("paths", [5, "a.png", ["a.png", 3]])
def test_init_images_must_be_a_list_of_paths(paths: object) -> None:
    stages = [{"name": "img2img", "init_images": paths}]
    with pytest.raises(ConfigError, match="init_images must be a list of file paths"):
        PipelineConfig.from_dict({"prompt": "x", "stages": stages})


def test_from_dict_refuses_unknown_keys() -> None:
    with pytest.raises(ConfigError, match="stepz"):
        PipelineConfig.from_dict({"prompt": "x", "stepz": 3})


def test_config_is_frozen_and_metadata_read_only() -> None:
    config = make_config(metadata={"a": 1})
    with pytest.raises(AttributeError):
        config.steps = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.metadata["a"] = 2  # type: ignore[index]
