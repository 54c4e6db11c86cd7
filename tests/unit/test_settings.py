from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from adapters.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_settings_toml_documents_every_key_with_its_default() -> None:
    documented = tomllib.loads((ROOT / "settings.toml").read_text(encoding="utf-8"))
    defaults = {
        name: field.default_factory().model_dump(mode="json")  # type: ignore[misc,call-arg]
        for name, field in Settings.model_fields.items()
    }
    defaults["backend"]["password"] = ""
    assert documented == defaults


def test_layers_apply_in_order(tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    file.write_text(
        '[pipeline]\nsteps = 30\ncfg_scale = 5.0\nwidth = 640\n[learning]\nrecords_path = "r/h.jsonl"\n'
    )
    env = {"STABLENEW_PIPELINE__STEPS": "40", "STABLENEW_PIPELINE__CFG_SCALE": "6"}
    settings, layers = load_settings(file, {"pipeline": {"cfg_scale": 9.0}}, env)
    assert (settings.pipeline.width, settings.pipeline.steps, settings.pipeline.cfg_scale) == (640, 40, 9.0)
    assert settings.pipeline.height == 512
    assert settings.learning.records_path == tmp_path / "r" / "h.jsonl"
    assert layers.source_of("pipeline.width") == str(file)
    assert layers.source_of("pipeline.steps") == "environment STABLENEW_PIPELINE__STEPS"
    assert layers.source_of("pipeline.cfg_scale") == "command line"
    assert layers.source_of("pipeline.height") == "default"


def test_settings_file_comes_from_the_environment_when_not_given(tmp_path: Path) -> None:
    file = tmp_path / "other.toml"
    file.write_text("[learning]\nenabled = true\n")
    settings, layers = load_settings(None, {}, {"STABLENEW_SETTINGS": str(file)})
    assert settings.learning.enabled is True
    assert layers.file == file


def test_relative_paths_from_env_resolve_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings, _ = load_settings(None, {}, {"STABLENEW_OUTPUT__DIR": "pics"})
    assert settings.output.dir == tmp_path / "pics"


def test_nested_env_and_list_values() -> None:
    env = {"STABLENEW_LEARNING__ENABLED": "true", "STABLENEW_PIPELINE__STAGES": "txt2img, upscale"}
    settings, _ = load_settings(None, {}, env)
    assert settings.learning.enabled is True
    assert settings.pipeline.stages == ["txt2img", "upscale"]


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("[learning]\nenabld = true\n", {}, "unknown setting learning.enabld (in "),
        ("[lerning]\nenabled = true\n", {}, "unknown setting lerning (in "),
        ("[pipeline]\nsteps = 'many'\n", {}, "invalid setting pipeline.steps"),
        ("", {"STABLENEW_PIPELINE__STEPS": "abc"}, "(from environment STABLENEW_PIPELINE__STEPS)"),
        (
            "",
            {"STABLENEW_LEARNNG__ENABLED": "1"},
            "unknown setting in environment variable STABLENEW_LEARNNG__ENABLED",
        ),
        ("", {"STABLENEW_BACKEND__KIND": "comfy"}, "invalid setting backend.kind"),
        (
            "",
            {"STABLENEW_BACKEND__URL": "ftp://x"},
            "invalid setting backend.url: Value error, must look like",
        ),
        ("[learning\n", {}, "is not valid TOML"),
    ],
)
def test_bad_settings_give_one_line_naming_key_and_source(
    tmp_path: Path, toml: str, env: dict[str, str], message: str
) -> None:
    file = tmp_path / "settings.toml"
    file.write_text(toml)
    with pytest.raises(SettingsError) as caught:
        load_settings(file, {}, env)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_or_unreadable_settings_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", {}, {})
    with pytest.raises(SettingsError, match="is a directory"):
        load_settings(tmp_path, {}, {})


def test_a_bad_password_or_url_value_is_never_echoed(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, {"backend": {"password": ["hunter2-secret"]}}, {})
    assert "hunter2-secret" not in str(caught.value)
    with pytest.raises(SettingsError) as caught:
        load_settings(None, {}, {"STABLENEW_BACKEND__URL": "user:hunter2-secret@host"})
    assert "hunter2-secret" not in str(caught.value)
