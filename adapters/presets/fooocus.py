"""A preset as a Fooocus preset (``Fooocus/presets/NAME.json``): only the keys the preset sets.

Fooocus fills every key a preset leaves out from its defaults. It names samplers and schedulers the
k-diffusion way (``euler_ancestral``, ``karras``), so A1111 names are translated; a name with no
known translation is refused rather than guessed. Sizes are ``W*H``; steps go to
``default_overwrite_step``.
"""

from __future__ import annotations

import json

from domain.ports import PresetExporter
from domain.preset import Preset, PresetError

SAMPLERS = {
    "Euler a": "euler_ancestral",
    "Euler": "euler",
    "LMS": "lms",
    "Heun": "heun",
    "DPM2": "dpm_2",
    "DPM2 a": "dpm_2_ancestral",
    "DPM++ 2S a": "dpmpp_2s_ancestral",
    "DPM++ SDE": "dpmpp_sde",
    "DPM++ 2M": "dpmpp_2m",
    "DPM++ 2M SDE": "dpmpp_2m_sde",
    "DPM++ 3M SDE": "dpmpp_3m_sde",
    "DPM fast": "dpm_fast",
    "DPM adaptive": "dpm_adaptive",
    "DDIM": "ddim",
    "UniPC": "uni_pc",
    "LCM": "lcm",
}
SCHEDULERS = {
    "Karras": "karras",
    "Exponential": "exponential",
    "SGM Uniform": "sgm_uniform",
    "Simple": "simple",
    "Normal": "normal",
    "DDIM": "ddim_uniform",
    "Beta": "beta",
}
_AUTOMATIC = {"", "Automatic"}


class FooocusPresetExporter(PresetExporter):
    """Fooocus preset JSON; refuses a sampler or scheduler it cannot name the Fooocus way."""

    def render(self, preset: Preset) -> str:
        settings = preset.settings
        exported: dict[str, object] = {}
        if "model" in settings:
            exported["default_model"] = settings["model"]
        if "sampler" in settings:
            exported["default_sampler"] = _translated("sampler", str(settings["sampler"]), SAMPLERS)
        scheduler = str(settings.get("scheduler", ""))
        if scheduler not in _AUTOMATIC:
            exported["default_scheduler"] = _translated("scheduler", scheduler, SCHEDULERS)
        if "cfg_scale" in settings:
            exported["default_cfg_scale"] = settings["cfg_scale"]
        if "steps" in settings:
            exported["default_overwrite_step"] = settings["steps"]
        if "width" in settings and "height" in settings:
            exported["default_aspect_ratio"] = f"{settings['width']}*{settings['height']}"
        return json.dumps(exported, indent=4, ensure_ascii=False) + "\n"


def _translated(kind: str, name: str, names: dict[str, str]) -> str:
    if name not in names:
        raise PresetError(f"Fooocus has no {kind} known to match {name!r} (known: {', '.join(names)})")
    return names[name]
