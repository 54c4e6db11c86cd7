"""The Preset value: what it accepts, its hash, and the model check."""

from __future__ import annotations

import pytest

from domain.preset import PresetError, SettingEvidence, parameter_values
from tests.contract.preset_store_contract import preset


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "sets nothing"),
        ({"prompt": "a cat"}, "settings.prompt: unknown setting"),
        ({"steps": "30"}, "settings.steps: expected int"),
        ({"steps": True}, "settings.steps: expected int"),
        ({"steps": 0}, "settings.steps: must be positive"),
        ({"cfg_scale": "7"}, "settings.cfg_scale: expected float"),
        ({"steps": 30}, "settings.steps: no evidence.steps table"),
    ],
)
def test_invalid_settings_are_refused_naming_the_key(settings: dict[str, object], named: str) -> None:
    with pytest.raises(PresetError, match=named.replace(".", r"\.")):
        preset(settings=settings)


def test_an_integer_cfg_scale_is_a_number() -> None:
    evidence = {"cfg": SettingEvidence("7", 4.0, 3.5, 4.5, "5", 2.0, 10, 1, "controlled")}
    assert preset(settings={"cfg_scale": 7}, evidence=evidence).settings["cfg_scale"] == 7


@pytest.mark.parametrize("name", ["", "a b", "-x", "a/b", "x" * 65, "é"])
def test_names_stay_plain_file_names(name: str) -> None:
    with pytest.raises(PresetError, match="invalid preset name"):
        preset(name)


def test_the_hash_depends_on_the_contents_only() -> None:
    assert preset().sha256 == preset().sha256
    assert preset(sampler="DDIM").sha256 != preset().sha256
    assert preset().record_metadata() == {"name": "portraits-best", "sha256": preset().sha256}


def test_the_model_warning_only_when_both_hashes_are_known_and_differ() -> None:
    assert preset().model_warning("7d9cf42a2d") is None
    assert preset().model_warning(None) is None
    assert preset(model_hash="").model_warning("abc") is None
    warning = preset().model_warning("abc")
    assert warning is not None
    assert "7d9cf42a2d" in warning
    assert "abc" in warning


@pytest.mark.parametrize(
    ("parameter", "value", "settings"),
    [
        ("size", "768x512", {"width": 768, "height": 512}),
        ("cfg", "6.5", {"cfg_scale": 6.5}),
        ("steps", "30", {"steps": 30}),
        ("sampler", "Euler a", {"sampler": "Euler a"}),
    ],
)
def test_insights_values_become_pipeline_settings(
    parameter: str, value: str, settings: dict[str, object]
) -> None:
    assert parameter_values(parameter, value) == settings


@pytest.mark.parametrize(("parameter", "value"), [("size", "wide"), ("steps", "many"), ("prompt", "x")])
def test_values_that_are_no_setting_are_refused(parameter: str, value: str) -> None:
    with pytest.raises(PresetError):
        parameter_values(parameter, value)
