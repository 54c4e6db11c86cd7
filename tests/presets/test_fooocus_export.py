"""The Fooocus export: only what the preset sets, in Fooocus's names; what it cannot name is refused."""

from __future__ import annotations

import json

import pytest

from adapters.presets.fooocus import FooocusPresetExporter
from domain.preset import PresetError, SettingEvidence
from tests.contract.preset_store_contract import preset


def evidence(value: str) -> SettingEvidence:
    return SettingEvidence(value, 4.0, 3.5, 4.5, "other", 2.0, 10, 1, "controlled")


def test_each_setting_gets_its_fooocus_key_and_name() -> None:
    full = preset(
        settings={
            "model": "juggernautXL.safetensors",
            "sampler": "DPM++ 2M SDE",
            "scheduler": "Karras",
            "steps": 30,
            "cfg_scale": 4.5,
            "width": 896,
            "height": 1152,
        },
        evidence={name: evidence("x") for name in ("model", "sampler", "scheduler", "steps", "cfg", "size")},
    )
    assert json.loads(FooocusPresetExporter().render(full)) == {
        "default_model": "juggernautXL.safetensors",
        "default_sampler": "dpmpp_2m_sde",
        "default_scheduler": "karras",
        "default_overwrite_step": 30,
        "default_cfg_scale": 4.5,
        "default_aspect_ratio": "896*1152",
    }


def test_settings_the_preset_leaves_out_stay_out() -> None:
    only_sampler = preset(settings={"sampler": "Euler a"}, evidence={"sampler": evidence("Euler a")})
    assert json.loads(FooocusPresetExporter().render(only_sampler)) == {"default_sampler": "euler_ancestral"}


def test_a_sampler_fooocus_has_no_name_for_is_refused_naming_it() -> None:
    odd = preset(settings={"sampler": "DPM++ 2M Karras"}, evidence={"sampler": evidence("DPM++ 2M Karras")})
    with pytest.raises(PresetError, match="no sampler known to match 'DPM\\+\\+ 2M Karras'"):
        FooocusPresetExporter().render(odd)
