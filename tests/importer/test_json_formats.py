"""InvokeAI, NovelAI, Fooocus and SwarmUI metadata, recognised by content; JSON is never taken as A1111."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.importer.fooocus import FooocusReader
from adapters.importer.image_importer import plan_import
from adapters.importer.invokeai import InvokeAIReader, split_negative
from adapters.importer.novelai import NovelAIReader
from adapters.importer.readers import read_texts
from adapters.importer.swarmui import SwarmUIReader
from domain.imported_run import ImportedRun, Unreadable
from domain.ports import MetadataReader
from tests.importer.images import jpeg_bytes, png_bytes, tiff_exif, unicode_comment, write

INVOKE_3 = {
    "generation_mode": "sdxl_txt2img",
    "positive_prompt": "digital artwork, holidays,",
    "negative_prompt": "grainy, blurry",
    "width": 1024,
    "height": 768,
    "seed": 3293022630,
    "cfg_scale": 8.0,
    "steps": 35,
    "scheduler": "euler",
    "model": {"model_name": "juggernautXL", "base_model": "sdxl"},
    "app_version": "3.4.0",
}
SD_METADATA = {
    "model_weights": "stable-diffusion-1.5",
    "model_hash": "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516",
    "app_version": "2.2.4",
    "image": {
        "prompt": [{"prompt": "a fox in snow [blurry, lowres]", "weight": 1.0}],
        "steps": 30,
        "cfg_scale": 7.5,
        "seed": 42,
        "width": 512,
        "height": 640,
        "sampler": "k_euler_a",
        "type": "img2img",
        "strength": 0.6,
    },
}
DREAM = '"a fox in snow, detailed [blurry] [lowres]" -s 50 -S 2980747362 -W 512 -H 768 -C 5 -A k_lms -G 0.9'
NOVELAI_COMMENT = {
    "prompt": " silvery white, best quality",
    "steps": 28,
    "height": 128,
    "width": 192,
    "scale": 10.0,
    "seed": 1148692016,
    "sampler": "k_euler",
    "noise_schedule": "native",
    "uc": "nsfw, lowres",
    "request_type": "PromptGenerateRequest",
}
FOOOCUS = {
    "prompt": "a smiling goldfish",
    "negative_prompt": "",
    "full_prompt": ["cinematic still a smiling goldfish"],
    "resolution": "(768, 1280)",
    "guidance_scale": 4,
    "sampler": "dpmpp_2m_sde_gpu",
    "scheduler": "karras",
    "seed": "6952411511246973023",
    "steps": 30,
    "base_model": "juggernautXL_v8Rundiffusion",
    "base_model_hash": "aeb7e9e689",
    "styles": "['Fooocus V2']",
    "version": "Fooocus v2.4.3",
}
SWARM = {
    "sui_image_params": {
        "prompt": 'a cat holding a sign "Meow"',
        "negativeprompt": "dog",
        "model": "OfficialStableDiffusion/v1-5-pruned-emaonly-fp16",
        "seed": 1,
        "steps": 20,
        "cfgscale": 4.5,
        "width": 512,
        "height": 512,
        "sampler": "euler",
        "scheduler": "karras",
        "swarm_version": "0.9.3.1",
    },
    "sui_extra_data": {"date": "2024-11-19"},
}


def read(reader: MetadataReader, texts: dict[str, str]) -> ImportedRun:
    found = reader.read(texts)
    assert isinstance(found, ImportedRun), found
    return found


def summary(run: ImportedRun) -> tuple[Any, ...]:
    stage = run.stages[0]
    return (
        run.prompt,
        run.negative_prompt,
        stage.name,
        stage.sampler,
        stage.scheduler,
        stage.steps,
        stage.cfg_scale,
        stage.seed,
        stage.size,
        run.model,
    )


def test_invokeai_3_metadata() -> None:
    run = read(InvokeAIReader(), {"invokeai_metadata": json.dumps(INVOKE_3)})
    assert summary(run) == (
        "digital artwork, holidays,",
        "grainy, blurry",
        "txt2img",
        "euler",
        None,
        "35",
        "8.0",
        "3293022630",
        "1024x768",
        "juggernautXL",
    )
    assert (run.tool, run.version) == ("invokeai", "3.4.0")


def test_invokeai_2_sd_metadata_with_the_negative_prompt_in_brackets() -> None:
    run = read(InvokeAIReader(), {"sd-metadata": json.dumps(SD_METADATA)})
    assert summary(run) == (
        "a fox in snow",
        "blurry, lowres",
        "img2img",
        "k_euler_a",
        None,
        "30",
        "7.5",
        "42",
        "512x640",
        "stable-diffusion-1.5",
    )
    assert run.stages[0].denoising_strength == "0.6"


def test_invokeai_dream_command_line() -> None:
    run = read(InvokeAIReader(), {"Dream": DREAM})
    assert summary(run) == (
        "a fox in snow, detailed",
        "blurry, lowres",
        "txt2img",
        "k_lms",
        None,
        "50",
        "5",
        "2980747362",
        "512x768",
        None,
    )


def test_split_negative_leaves_a_prompt_without_brackets_alone() -> None:
    assert split_negative(" a  cat ") == ("a  cat", "")


def test_novelai_comment_and_texts() -> None:
    texts = {
        "Software": "NovelAI",
        "Description": "ignored when the comment has the prompt",
        "Source": "Stable Diffusion XL C1E1DE52",
        "Comment": json.dumps(NOVELAI_COMMENT),
    }
    run = read(NovelAIReader(), texts)
    assert summary(run) == (
        "silvery white, best quality",
        "nsfw, lowres",
        "txt2img",
        "k_euler",
        "native",
        "28",
        "10.0",
        "1148692016",
        "192x128",
        "Stable Diffusion XL C1E1DE52",
    )
    assert run.raw == texts


def test_novelai_without_a_prompt_in_the_comment_takes_the_description() -> None:
    comment = {key: value for key, value in NOVELAI_COMMENT.items() if key != "prompt"}
    run = read(
        NovelAIReader(), {"Software": "NovelAI", "Description": "a cat ", "Comment": json.dumps(comment)}
    )
    assert run.prompt == "a cat"


def test_novelai_v4_prompt_captions() -> None:
    comment = {
        "steps": 23,
        "v4_prompt": {"caption": {"base_caption": "a cat "}},
        "v4_negative_prompt": {"caption": {"base_caption": "dog"}},
    }
    run = read(NovelAIReader(), {"Software": "NovelAI", "Comment": json.dumps(comment)})
    assert (run.prompt, run.negative_prompt) == ("a cat", "dog")


def test_novelai_texts_in_stealth_bits() -> None:
    hidden = json.dumps(
        {"Software": "NovelAI", "Description": "a cat", "Comment": json.dumps(NOVELAI_COMMENT)}
    )
    run = read(NovelAIReader(), {"stealth": hidden})
    assert run.prompt == "silvery white, best quality"
    assert run.raw == {"stealth": hidden}


def test_fooocus_json_in_a_chunk_named_parameters_is_fooocus_never_a1111() -> None:
    texts = {"parameters": json.dumps(FOOOCUS), "fooocus_scheme": "fooocus"}
    found = read_texts(texts)
    assert isinstance(found, ImportedRun)
    assert (found.format, found.tool) == ("fooocus-json", "fooocus")
    assert summary(found) == (
        "a smiling goldfish",
        "",
        "txt2img",
        "dpmpp_2m_sde_gpu",
        "karras",
        "30",
        "4",
        "6952411511246973023",
        "768x1280",
        "juggernautXL_v8Rundiffusion",
    )
    assert (found.model_hash, found.version) == ("aeb7e9e689", "Fooocus v2.4.3")
    without_scheme = read(FooocusReader(), {"parameters": json.dumps(FOOOCUS)})
    assert without_scheme.prompt == "a smiling goldfish"


def test_fooocus_a1111_scheme_is_infotext_from_fooocus() -> None:
    text = "a goldfish\nSteps: 30, Sampler: DPM++ 2M SDE, Seed: 7, Size: 768x1280, Version: Fooocus v2.4.3"
    found = read_texts({"parameters": text, "fooocus_scheme": "a1111"})
    assert isinstance(found, ImportedRun)
    assert (found.format, found.tool) == ("a1111-infotext", "fooocus")


@pytest.mark.parametrize("key", ["parameters", "UserComment"])
def test_swarmui_json(key: str) -> None:
    run = read(SwarmUIReader(), {key: json.dumps(SWARM, indent=2)})
    assert summary(run) == (
        'a cat holding a sign "Meow"',
        "dog",
        "txt2img",
        "euler",
        "karras",
        "20",
        "4.5",
        "1",
        "512x512",
        "OfficialStableDiffusion/v1-5-pruned-emaonly-fp16",
    )
    assert (run.format, run.tool, run.version) == ("swarmui-json", "swarmui", "0.9.3.1")


def test_swarmui_refiner_is_a_second_pass() -> None:
    params = SWARM["sui_image_params"] | {
        "refinermodel": "r",
        "refinercontrolpercentage": 0.2,
        "refinersteps": 9,
    }
    run = read(SwarmUIReader(), {"parameters": json.dumps({"sui_image_params": params})})
    assert [(stage.name, stage.steps, stage.denoising_strength) for stage in run.stages] == [
        ("txt2img", "20", None),
        ("img2img", "9", "0.2"),
    ]


@pytest.mark.parametrize(
    ("texts", "format_name"),
    [
        ({"invokeai_metadata": "{broken"}, "invokeai"),
        ({"sd-metadata": "[]"}, "invokeai"),
        ({"Dream": '"unclosed -s 5'}, "invokeai"),
        ({"Software": "NovelAI", "Comment": "{not json"}, "novelai"),
        ({"parameters": '{"sui_image_params": 5}'}, "swarmui-json"),
        ({"parameters": '{"version": "Fooocus v2", "prompt": ', "fooocus_scheme": "fooocus"}, "fooocus-json"),
        ({"prompt": '{"3": {"class_type": "KSampler", "inputs": {"seed": ['}, "comfyui-prompt"),
    ],
)
def test_broken_metadata_of_a_known_format_is_unreadable_with_its_format(
    texts: dict[str, str], format_name: str
) -> None:
    found = read_texts(texts)
    assert isinstance(found, Unreadable)
    assert found.format == format_name
    assert found.reason
    assert "\n" not in found.reason


def test_json_of_no_known_tool_in_parameters_is_no_format() -> None:
    assert read_texts({"parameters": '{"prompt": "a cat", "steps": 20}'}) is None


def test_each_format_imports_from_its_container(tmp_path: Path) -> None:
    files = [
        write(tmp_path / "invoke.png", png_bytes([("invokeai_metadata", json.dumps(INVOKE_3), "iTXt")])),
        write(tmp_path / "dream.png", png_bytes([("Dream", DREAM, "tEXt")])),
        write(
            tmp_path / "nai.png",
            png_bytes([("Software", "NovelAI", "tEXt"), ("Comment", json.dumps(NOVELAI_COMMENT), "tEXt")]),
        ),
        write(
            tmp_path / "fooocus.png",
            png_bytes([("parameters", json.dumps(FOOOCUS), "tEXt"), ("fooocus_scheme", "fooocus", "tEXt")]),
        ),
        write(tmp_path / "swarm.jpg", jpeg_bytes(tiff_exif(unicode_comment(json.dumps(SWARM))))),
    ]
    plan = plan_import(files, set())
    assert plan.skipped == []
    assert [(r.metadata["import"]["format"], r.metadata["import"]["tool"]) for r in plan.records] == [
        ("invokeai", "invokeai"),
        ("invokeai", "invokeai"),
        ("novelai", "novelai"),
        ("fooocus-json", "fooocus"),
        ("swarmui-json", "swarmui"),
    ]
    assert plan.records[3].config["seed"] == 6952411511246973023
