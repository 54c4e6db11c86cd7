"""What the stand-in WebUI serves from its catalogue endpoints (lists as in A1111 v1.10)."""

from __future__ import annotations

from typing import Any

MODELS: list[dict[str, Any]] = [
    {
        "title": "v1-5-pruned-emaonly.safetensors [6ce0161689]",
        "model_name": "v1-5-pruned-emaonly",
        "hash": "6ce0161689",
        "sha256": "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa",
        "filename": "/webui/models/Stable-diffusion/v1-5-pruned-emaonly.safetensors",
        "config": None,
    },
    {
        "title": "sd_xl_base_1.0.safetensors [31e35c80fc]",
        "model_name": "sd_xl_base_1.0",
        "hash": "31e35c80fc",
        "sha256": "31e35c80fc4829d14f90153f4c74cd59c90b779f6afe05a74cd6120b893f7e5b",
        "filename": "/webui/models/Stable-diffusion/sd_xl_base_1.0.safetensors",
        "config": None,
    },
]

# (name, aliases, default scheduler of "Automatic")
A1111_SAMPLERS: list[tuple[str, list[str], str | None]] = [
    ("DPM++ 2M", ["k_dpmpp_2m"], "Karras"),
    ("DPM++ SDE", ["k_dpmpp_sde"], "Karras"),
    ("DPM++ 2M SDE", ["k_dpmpp_2m_sde"], "Exponential"),
    ("Euler a", ["k_euler_a", "k_euler_ancestral"], None),
    ("Euler", ["k_euler"], None),
    ("LMS", ["k_lms"], None),
    ("Heun", ["k_heun"], None),
    ("DPM2", ["k_dpm_2"], "Karras"),
    ("DDIM", ["ddim"], None),
    ("UniPC", ["unipc"], None),
    ("LCM", ["k_lcm"], None),
]
SDNEXT_SAMPLERS: list[tuple[str, list[str], str | None]] = [
    ("Default", [], None),
    ("UniPC", [], None),
    ("DDIM", [], None),
    ("Euler", [], None),
    ("Euler a", [], None),
    ("DPM++ 2M", [], None),
    ("LCM", [], None),
]

# (name, label)
SCHEDULERS: list[tuple[str, str]] = [
    ("automatic", "Automatic"),
    ("uniform", "Uniform"),
    ("karras", "Karras"),
    ("exponential", "Exponential"),
    ("polyexponential", "Polyexponential"),
    ("sgm_uniform", "SGM Uniform"),
    ("kl_optimal", "KL Optimal"),
    ("align_your_steps", "Align Your Steps"),
    ("simple", "Simple"),
    ("normal", "Normal"),
    ("ddim", "DDIM"),
    ("beta", "Beta"),
]

UPSCALERS: list[dict[str, Any]] = [
    {"name": "None", "model_name": None, "model_path": None, "model_url": None, "scale": 4},
    {"name": "Lanczos", "model_name": None, "model_path": None, "model_url": None, "scale": 4},
    {"name": "Nearest", "model_name": None, "model_path": None, "model_url": None, "scale": 4},
    {"name": "ESRGAN_4x", "model_name": "ESRGAN_4x", "model_path": None, "model_url": None, "scale": 4},
    {
        "name": "R-ESRGAN 4x+",
        "model_name": "RealESRGAN_x4plus",
        "model_path": None,
        "model_url": None,
        "scale": 4,
    },
    {"name": "SwinIR 4x", "model_name": "SwinIR 4x", "model_path": None, "model_url": None, "scale": 4},
]

VERSIONS = {"a1111": "v1.10.1", "forge": "f2.0.1v1.10.1-previous-669-gdfdcbab6", "sdnext": None}
