"""ComfyUI prompt graphs for the tests: a node, and a txt2img graph with LoRAs and a linked seed."""

from __future__ import annotations

from typing import Any


def node(class_type: str, **inputs: Any) -> dict[str, Any]:
    return {"class_type": class_type, "inputs": inputs}


def txt2img_graph() -> dict[str, Any]:
    return {
        "3": node(
            "KSampler",
            seed=["20", 0],
            steps=25,
            cfg=6.5,
            sampler_name="dpmpp_2m",
            scheduler="karras",
            denoise=1.0,
            model=["11", 0],
            positive=["6", 0],
            negative=["7", 0],
            latent_image=["5", 0],
        ),
        "4": node("CheckpointLoaderSimple", ckpt_name="sdxl_base.safetensors"),
        "5": node("EmptyLatentImage", width=832, height=1216, batch_size=1),
        "6": node("CLIPTextEncode", text="  a lighthouse at dusk\n", clip=["11", 1]),
        "7": node("CLIPTextEncode", text="blurry", clip=["11", 1]),
        "10": node(
            "LoraLoader", lora_name="first.safetensors", strength_model=0.8, model=["4", 0], clip=["4", 1]
        ),
        "11": node(
            "LoraLoader", lora_name="second.safetensors", strength_model=0.5, model=["10", 0], clip=["10", 1]
        ),
        "20": node("PrimitiveNode", value=123456789012345),
        "8": node("VAEDecode", samples=["3", 0], vae=["4", 2]),
        "9": node("SaveImage", images=["8", 0]),
    }
