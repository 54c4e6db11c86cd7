"""domain.recall: the values a recorded run was made with, as a layer under the command-line flags."""

from __future__ import annotations

from domain.recall import FROM_RUN, recall
from domain.record import SOURCE_IMPORT, SOURCE_PIPELINE
from tests.factories import make_config, make_record


def test_recall_takes_the_seed_the_backend_used_and_every_stage_setting() -> None:
    config = make_config(seed=-1, cfg_scale=5.5, prompt_pack_id="pack", prompt_id="p1")
    record = make_record("run-1", config=config.to_dict(), resolved={"txt2img": {"seed": 987}})
    recalled = recall(record)
    assert recalled.prompt == "a lighthouse at dusk"
    assert (recalled.prompt_pack_id, recalled.prompt_id) == ("pack", "p1")
    assert dict(recalled.values) == {
        "negative_prompt": "blurry",
        "model": "fake-model-v1",
        "sampler": "Euler a",
        "scheduler": "Automatic",
        "steps": 20,
        "cfg_scale": 5.5,
        "width": 512,
        "height": 512,
        "batch_size": 1,
        "seed": 987,
        "stages": ["txt2img", "upscale"],
        "stages.upscale.upscaler": "Lanczos",
        "stages.upscale.scale": 2.0,
    }
    assert recalled.metadata == {FROM_RUN: "run-1"}


def test_a_run_that_reported_no_seed_is_recalled_with_its_configured_one() -> None:
    record = make_record(config=make_config(seed=-1).to_dict(), resolved={}, stages_executed=())
    assert recall(record).values["seed"] == -1


def test_an_import_leaves_out_what_its_png_did_not_say() -> None:
    config = {
        **make_config().to_dict(),
        "model": "",
        "sampler": "",
        "steps": None,
        "stages": [{"name": "img2img", "denoising_strength": None, "init_images": []}],
    }
    imported = recall(make_record(config=config, source=SOURCE_IMPORT))
    assert not {"model", "sampler", "steps", "stages.img2img.denoising_strength"} & set(imported.values)
    assert imported.values["stages"] == ["img2img"]
    # From a pipeline run, an empty model means "the backend's current one": a value to repeat.
    assert recall(make_record(config=config, source=SOURCE_PIPELINE)).values["model"] == ""
