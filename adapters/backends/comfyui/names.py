"""A1111-style names and ComfyUI's: the documented table (docs/comfyui.md), and reading combo inputs.

ComfyUI names samplers and schedulers in snake case (``dpmpp_2m``, ``karras``); people and the
A1111 WebUI write ``DPM++ 2M`` and ``Karras``. Either spelling is accepted; what is sent and
recorded is always the server's own name.
"""

from __future__ import annotations

from typing import Any

SAMPLERS: dict[str, str] = {
    "Euler": "euler",
    "Euler a": "euler_ancestral",
    "Heun": "heun",
    "Heun++ 2": "heunpp2",
    "DPM2": "dpm_2",
    "DPM2 a": "dpm_2_ancestral",
    "LMS": "lms",
    "DPM fast": "dpm_fast",
    "DPM adaptive": "dpm_adaptive",
    "DPM++ 2S a": "dpmpp_2s_ancestral",
    "DPM++ SDE": "dpmpp_sde",
    "DPM++ 2M": "dpmpp_2m",
    "DPM++ 2M SDE": "dpmpp_2m_sde",
    "DPM++ 3M SDE": "dpmpp_3m_sde",
    "Euler CFG++": "euler_cfg_pp",
    "Euler a CFG++": "euler_ancestral_cfg_pp",
    "DDPM": "ddpm",
    "DDIM": "ddim",
    "LCM": "lcm",
    "IPNDM": "ipndm",
    "DEIS": "deis",
    "UniPC": "uni_pc",
}
"""A1111 sampler name -> ComfyUI ``sampler_name``."""

SCHEDULERS: dict[str, str] = {
    "Automatic": "normal",
    "Uniform": "normal",
    "Normal": "normal",
    "Karras": "karras",
    "Exponential": "exponential",
    "SGM Uniform": "sgm_uniform",
    "Simple": "simple",
    "DDIM": "ddim_uniform",
    "Beta": "beta",
    "KL Optimal": "kl_optimal",
}
"""A1111 schedule type -> ComfyUI ``scheduler`` (``Automatic``: ComfyUI's ``normal``)."""

RESIZE_METHODS: dict[str, str] = {
    "None": "lanczos",
    "Lanczos": "lanczos",
    "Nearest": "nearest-exact",
}
"""A1111's plain resizers -> ComfyUI ``ImageScale`` ``upscale_method``; no upscale model is used."""


def combo_options(spec: Any) -> tuple[str, ...] | None:
    """The choices of one ``/object_info`` input, in either form servers send: the older
    ``[["a", "b"], {...}]`` and the newer ``["COMBO", {"options": ["a", "b"]}]``; None when the
    input is not a combo."""
    if not isinstance(spec, list) or not spec:
        return None
    head = spec[0]
    if isinstance(head, list):
        return tuple(item for item in head if isinstance(item, str))
    if head == "COMBO":
        extra = spec[1] if len(spec) > 1 and isinstance(spec[1], dict) else {}
        options = extra.get("options")
        return tuple(item for item in options if isinstance(item, str)) if isinstance(options, list) else ()
    return None


def node_input(object_info: Any, node: str, name: str) -> tuple[str, ...] | None:
    """The combo choices of ``node``'s required or optional input ``name``, None if absent."""
    if not isinstance(object_info, dict):
        return None
    described = object_info.get(node)
    inputs = described.get("input") if isinstance(described, dict) else None
    if not isinstance(inputs, dict):
        return None
    for group in ("required", "optional"):
        section = inputs.get(group)
        if isinstance(section, dict) and name in section:
            return combo_options(section[name])
    return None
