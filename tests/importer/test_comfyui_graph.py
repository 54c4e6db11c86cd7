"""ComfyUI prompt graphs: samplers found, links followed, stages ordered, the unresolvable left absent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.importer.comfyui_graph import ComfyUIPromptReader
from adapters.importer.image_importer import plan_import
from domain.imported_run import ImportedRun, Unreadable
from tests.importer.graphs import node, txt2img_graph
from tests.importer.images import png_bytes, tiff_exif, webp_bytes, write


def read(graph: object, **texts: str) -> ImportedRun | Unreadable | None:
    source = graph if isinstance(graph, str) else json.dumps(graph)
    return ComfyUIPromptReader().read({"prompt": source, **texts})


def run_of(graph: object) -> ImportedRun:
    found = read(graph)
    assert isinstance(found, ImportedRun), found
    return found


def test_a_ksampler_graph_resolves_prompts_size_model_loras_and_a_linked_seed() -> None:
    run = run_of(txt2img_graph())
    assert (run.format, run.tool) == ("comfyui-prompt", "comfyui")
    assert (run.prompt, run.negative_prompt, run.model) == (
        "a lighthouse at dusk",
        "blurry",
        "sdxl_base.safetensors",
    )
    (stage,) = run.stages
    assert (stage.name, stage.sampler, stage.scheduler, stage.steps, stage.cfg_scale) == (
        "txt2img",
        "dpmpp_2m",
        "karras",
        "25",
        "6.5",
    )
    assert (stage.seed, stage.size, stage.denoising_strength) == ("123456789012345", "832x1216", None)
    assert run.extra["passes"][0]["loras"] == [
        {"name": "first.safetensors", "strength_model": 0.8},
        {"name": "second.safetensors", "strength_model": 0.5},
    ]
    assert run.seed_max == 2**64 - 1


def test_base_and_refiner_samplers_are_two_stages_in_execution_order() -> None:
    graph = txt2img_graph()
    # Node 30 (the base) runs first although its id is larger: node 3 refines its latent, upscaled.
    graph["30"] = node(
        "KSamplerAdvanced",
        noise_seed=7,
        steps=30,
        cfg=7,
        sampler_name="euler",
        scheduler="normal",
        model=["4", 0],
        positive=["6", 0],
        negative=["7", 0],
        latent_image=["5", 0],
    )
    graph["41"] = node("LatentUpscaleBy", upscale_method="bislerp", scale_by=1.5, samples=["30", 0])
    graph["3"]["inputs"] |= {"latent_image": ["41", 0], "denoise": 0.5}
    run = run_of(graph)
    assert [stage.name for stage in run.stages] == ["txt2img", "upscale", "img2img"]
    first, upscale, second = run.stages
    assert (first.seed, first.size, first.steps, first.sampler) == ("7", "832x1216", "30", "euler")
    assert dict(upscale.settings) == {"upscaler": "bislerp", "scale": 1.5}
    assert (second.seed, second.denoising_strength, second.size) == ("123456789012345", "0.5", None)
    assert [item["node"] for item in run.extra["passes"]] == ["30", "3"]
    assert run.model == "sdxl_base.safetensors"  # the first pass's model, without the LoRAs of the second


def test_sampler_custom_advanced_reads_its_helper_nodes() -> None:
    graph = {
        "1": node(
            "SamplerCustomAdvanced",
            noise=["2", 0],
            guider=["3", 0],
            sampler=["4", 0],
            sigmas=["5", 0],
            latent_image=["6", 0],
        ),
        "2": node("RandomNoise", noise_seed=99),
        "3": node("CFGGuider", cfg=3.5, model=["7", 0], positive=["8", 0], negative=["9", 0]),
        "4": node("KSamplerSelect", sampler_name="euler"),
        "5": node("BasicScheduler", scheduler="simple", steps=20, denoise=1.0, model=["7", 0]),
        "6": node("EmptySD3LatentImage", width=1024, height=768, batch_size=1),
        "7": node("UNETLoader", unet_name="flux1-dev.safetensors"),
        "8": node("FluxGuidance", guidance=3.5, conditioning=["10", 0]),
        "9": node("CLIPTextEncode", text="", clip=["11", 0]),
        "10": node("CLIPTextEncode", text="a fox", clip=["11", 0]),
    }
    run = run_of(graph)
    (stage,) = run.stages
    assert (run.prompt, run.negative_prompt, run.model) == ("a fox", "", "flux1-dev.safetensors")
    assert (stage.sampler, stage.scheduler, stage.steps, stage.cfg_scale, stage.seed, stage.size) == (
        "euler",
        "simple",
        "20",
        "3.5",
        "99",
        "1024x768",
    )


def test_an_img2img_graph_has_denoise_and_no_size() -> None:
    graph = txt2img_graph()
    graph["3"]["inputs"] |= {"latent_image": ["12", 0], "denoise": 0.6}
    graph["12"] = node("VAEEncode", pixels=["13", 0], vae=["4", 2])
    graph["13"] = node("LoadImage", image="in.png")
    (stage,) = run_of(graph).stages
    assert (stage.name, stage.denoising_strength, stage.size) == ("img2img", "0.6", None)


def test_dangling_links_cycles_and_branches_leave_values_absent() -> None:
    graph = txt2img_graph()
    graph["3"]["inputs"] |= {
        "positive": ["30", 0],
        "negative": ["99", 0],
        "model": ["31", 0],
        "seed": ["98", 0],
    }
    graph["30"] = node("ConditioningCombine", conditioning_1=["32", 0], conditioning_2=["7", 0])
    graph["32"] = node("ConditioningSetArea", conditioning=["30", 0])  # a cycle back to 30
    graph["31"] = node("ModelSamplingDiscrete", model=["33", 0])
    graph["33"] = node("FreeU", model=["31", 0])  # a model cycle
    graph["5"]["inputs"]["width"] = ["3", 0]  # a size linked to a sampler: no number there
    run = run_of(graph)
    (stage,) = run.stages
    assert (run.prompt, run.negative_prompt, run.model) == (None, None, None)
    assert (stage.seed, stage.size, stage.steps) == (None, None, "25")


def test_odd_node_ids_are_ordered_without_error() -> None:
    graph = txt2img_graph()
    graph["²"] = graph.pop("3")
    graph["9" * 5000] = node("KSampler", seed=1, latent_image=["5", 0])
    run = run_of(graph)
    assert sorted(stage.seed for stage in run.stages) == ["1", "123456789012345"]


def test_samplers_feeding_each_other_in_a_cycle_still_give_stages() -> None:
    graph = txt2img_graph()
    graph["3"]["inputs"]["latent_image"] = ["50", 0]
    graph["50"] = node("KSampler", seed=1, steps=2, latent_image=["3", 0])
    run = run_of(graph)
    assert len(run.stages) == 2


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{not json", "the 'prompt' graph is not JSON (Expecting property name enclosed in double quotes"),
        ('{"a": [1, 2]}', "the 'prompt' text is JSON but not a ComfyUI node graph"),
        ('{"1": {"class_type": "SaveImage", "inputs": {}}}', "no sampler node"),
        ('{"a": ' + "[" * 100_000, "the 'prompt' graph is not JSON"),
    ],
)
def test_a_prompt_text_that_cannot_be_read_is_unreadable_with_a_reason(source: str, reason: str) -> None:
    found = read(source)
    assert isinstance(found, Unreadable)
    assert found.format == "comfyui-prompt"
    assert found.reason.startswith(reason)


@pytest.mark.parametrize("texts", [{"parameters": "x"}, {"prompt": "a plain prompt (Easy Diffusion)"}])
def test_without_a_prompt_graph_it_is_not_comfyui(texts: dict[str, str]) -> None:
    assert ComfyUIPromptReader().read(texts) is None


def test_numbers_of_the_wrong_kind_are_left_out_with_notes(tmp_path: Path) -> None:
    graph = txt2img_graph()
    graph["3"]["inputs"] |= {"steps": "many", "cfg": 1e308 * 10, "seed": -1}
    path = write(tmp_path / "c.png", png_bytes([("prompt", json.dumps(graph), "tEXt")]))
    plan = plan_import([path], set())
    (record,) = plan.records
    assert [note.text for note in plan.notes] == [
        "steps 'many' is not a number: left out",
        "cfg scale inf is out of range 0..100: left out",
        "seed -1 is out of range 0..18446744073709551615: left out",
    ]
    assert (record.config["steps"], record.config["cfg_scale"], record.config["seed"]) == (None, None, None)


@pytest.mark.parametrize("container", ["png", "webp"])
def test_the_whole_graph_and_workflow_are_kept_in_the_record(tmp_path: Path, container: str) -> None:
    prompt, workflow = json.dumps(txt2img_graph()), json.dumps({"nodes": [], "links": []})
    if container == "png":
        data = png_bytes([("prompt", prompt, "tEXt"), ("workflow", workflow, "zTXt")], size=(9, 9))
    else:
        exif = tiff_exif(
            strings={0x010F: b"Prompt:" + prompt.encode(), 0x010E: b"Workflow:" + workflow.encode()}
        )
        data = webp_bytes(exif, size=(9, 9))
    (record,) = plan_import([write(tmp_path / f"c.{container}", data)], set()).records
    meta = record.metadata["import"]
    assert (meta["format"], meta["tool"]) == ("comfyui-prompt", "comfyui")
    assert meta["raw"] == {"prompt": prompt, "workflow": workflow}
    assert (record.config["width"], record.config["height"], record.config["seed"]) == (
        832,
        1216,
        123456789012345,
    )
    assert record.backend.model == "sdxl_base.safetensors"
