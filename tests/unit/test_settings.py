from __future__ import annotations

import os
import threading
import tomllib
from pathlib import Path

import pytest

from adapters.settings import PresetLayer, Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_settings_toml_documents_every_key_with_its_default() -> None:
    documented = tomllib.loads((ROOT / "settings.toml").read_text(encoding="utf-8"))
    defaults = {
        name: field.default_factory().model_dump(mode="json")  # type: ignore[misc,call-arg]
        for name, field in Settings.model_fields.items()
    }
    defaults["backend"]["password"] = ""
    assert defaults["postgres"].pop("dsn") == ""  # a secret, shown only as a commented example
    assert defaults["feedback"].pop("path") is None  # TOML has no null: shown as a comment
    assert documented == defaults
    settings_text = (ROOT / "settings.toml").read_text(encoding="utf-8")
    assert '# path = "records/feedback.jsonl"' in settings_text
    assert '# dsn = "postgresql://' in settings_text


def test_feedback_lives_beside_the_records_unless_set(tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    file.write_text('[learning]\nrecords_path = "elsewhere/r.jsonl"\n', encoding="utf-8")
    settings, _ = load_settings(file, {}, environ={})
    assert settings.feedback.path == tmp_path / "elsewhere" / "feedback.jsonl"
    settings, _ = load_settings(file, {"feedback": {"path": tmp_path / "f.jsonl"}}, environ={})
    assert settings.feedback.path == tmp_path / "f.jsonl"


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


def test_a_preset_goes_between_the_environment_and_the_flags(tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    file.write_text('[pipeline]\nsampler = "Heun"\nwidth = 640\n')
    env = {"STABLENEW_PIPELINE__SAMPLER": "DDIM", "STABLENEW_PIPELINE__STEPS": "40"}
    preset = PresetLayer.of_pipeline("best", {"sampler": "Euler a", "steps": 30, "cfg_scale": 6.0})
    settings, layers = load_settings(file, {"pipeline": {"cfg_scale": 9.0}}, env, preset=preset)
    pipeline = settings.pipeline
    assert (pipeline.sampler, pipeline.steps, pipeline.cfg_scale, pipeline.width) == ("Euler a", 30, 9.0, 640)
    assert layers.source_of("pipeline.sampler") == "preset best"
    assert layers.source_of("pipeline.steps") == "preset best"
    assert layers.source_of("pipeline.cfg_scale") == "command line"
    assert layers.source_of("pipeline.width") == str(file)


def test_presets_dir_resolves_against_the_settings_file(tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    file.write_text('[presets]\ndir = "mine"\n')
    settings, _ = load_settings(file, {}, {})
    assert settings.presets.dir == tmp_path / "mine"
    default, _ = load_settings(None, {}, {})
    assert default.presets.dir == Path("presets").absolute()


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
            "invalid setting backend.url: must look like",
        ),
        ("[learning\n", {}, "is not valid TOML"),
        ("x = " + "[" * 5000 + "]" * 5000, {}, "is not valid TOML: arrays or tables nested too deeply"),
        (
            '[learning]\nenabled = "yes"\n',
            {},
            "invalid setting learning.enabled: Input should be a valid boolean",
        ),
        (
            '[pipeline]\ncfg_scale = "7"\n',
            {},
            "invalid setting pipeline.cfg_scale: Input should be a valid number",
        ),
        (
            '[pipeline]\nstages = "txt2img"\n',
            {},
            "invalid setting pipeline.stages: Input should be a valid array",
        ),
        ("", {"STABLENEW_LEARNING__ENABLED": "maybe"}, "(from environment STABLENEW_LEARNING__ENABLED)"),
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


def test_the_file_holds_typed_values_while_the_environment_holds_text(tmp_path: Path) -> None:
    file = tmp_path / "settings.toml"
    file.write_text("[learning]\nenabled = true\n[pipeline]\ncfg_scale = 7\nsteps = 30\n")
    env = {"STABLENEW_PIPELINE__CFG_SCALE": "6.5", "STABLENEW_LEARNING__RECORD_FAILURES": "true"}
    settings, _layers = load_settings(file, {}, env)
    assert (settings.learning.enabled, settings.pipeline.cfg_scale, settings.pipeline.steps) == (
        True,
        6.5,
        30,
    )
    assert settings.learning.record_failures is True


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


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://alice:hunter2-secret@127.0.0.1:99999", "port that is not a number from 1 to 65535"),
        ("http://alice:hunter2-secret@127.0.0.1:abc/", "port that is not a number from 1 to 65535"),
        ("http://127.0.0.1:0", "port that is not a number from 1 to 65535"),
        ("http://a..b:7860", "the host name is not valid"),
        ("http://exa mple:7860", "the host name is not valid"),
        ("http://[::1:7860", "an IPv6 host is written [::1]"),
        ("ftp://alice:hunter2-secret@host", "http or https"),
        ("http://alice:hunter2/secret@host:7860", "write @ / ? # as %40 %2F %3F %23"),
        ("http://host:7860/?token=hunter2-secret", "must not have a ?query"),
    ],
)
def test_an_unusable_backend_url_is_refused_when_settings_load(url: str, words: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(None, {}, {"STABLENEW_BACKEND__URL": url})
    message = str(caught.value)
    assert message.startswith("invalid setting backend.url: ")
    assert words in message
    assert message.endswith("(from environment STABLENEW_BACKEND__URL)")
    assert "hunter2" not in message
    assert "Value error" not in message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:7860",
        "https://host.example",
        "http://[::1]:7861/",
        "http://alice:p%40ss@gpu-box:7860",
    ],
)
def test_usable_backend_urls_load(url: str) -> None:
    settings, _ = load_settings(None, {}, {"STABLENEW_BACKEND__URL": url})
    assert settings.backend.url == url


def test_a_bad_list_item_is_blamed_on_the_layer_it_came_from(tmp_path: Path) -> None:
    env = {"STABLENEW_PIPELINE__STAGES": '[{"a": 1}]'}
    with pytest.raises(SettingsError) as from_env:
        load_settings(None, {}, env)
    file = tmp_path / "s.toml"
    file.write_text("[pipeline]\nstages = ['txt2img', 7]\n")
    with pytest.raises(SettingsError) as from_file:
        load_settings(file, {}, {})
    with pytest.raises(SettingsError) as from_flags:
        load_settings(file, {"pipeline": {"stages": [["nested"]]}}, {})

    assert str(from_env.value).startswith("invalid setting pipeline.stages.0: ")
    assert str(from_env.value).endswith("(from environment STABLENEW_PIPELINE__STAGES)")
    assert str(from_file.value).startswith("invalid setting pipeline.stages.1: ")
    assert str(from_file.value).endswith(f"(from {file})")
    assert str(from_flags.value).endswith("(from command line)")


def test_source_of_a_nested_key_is_the_source_of_its_setting(tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    file.write_text("[pipeline]\nstages = ['txt2img']\n")
    _, layers = load_settings(file, {}, {"STABLENEW_PIPELINE__STEPS": "3"})
    assert layers.source_of("pipeline.stages.0") == str(file)
    assert layers.source_of("pipeline.steps") == "environment STABLENEW_PIPELINE__STEPS"
    assert layers.source_of("pipeline.width.x") == "default"


def _feed_fifo(fifo: Path) -> threading.Thread:
    """A writer that gives the FIFO valid TOML once a reader opens it (as a hanging load would)."""

    def write() -> None:
        with fifo.open("w", encoding="utf-8") as pipe:
            pipe.write("[learning]\nenabled = true\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


def _release(fifo: Path, writer: threading.Thread) -> None:
    """Open the reading end ourselves so a writer still waiting for a reader finishes."""
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer.join()
    os.close(reader)


@pytest.mark.parametrize("given_by", ["argument", "environment"])
def test_a_fifo_as_settings_file_is_refused_without_reading_it(tmp_path: Path, given_by: str) -> None:
    fifo = tmp_path / "settings.fifo"
    os.mkfifo(fifo)
    file, environ = (fifo, {}) if given_by == "argument" else (None, {"STABLENEW_SETTINGS": str(fifo)})
    writer = _feed_fifo(fifo)
    try:
        with pytest.raises(SettingsError) as caught:
            load_settings(file, {}, environ)
    finally:
        _release(fifo, writer)
    assert str(caught.value) == f"settings file {fifo} is not a regular file (a FIFO)"


def test_a_fifo_named_settings_toml_in_the_working_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "settings.toml")
    with pytest.raises(SettingsError, match=r"settings\.toml is not a regular file \(a FIFO\)"):
        load_settings(None, {}, {})


@pytest.mark.parametrize(
    "name", ["STABLENEW_LEARNING__RECORDS_PATH", "STABLENEW_OUTPUT__DIR", "STABLENEW_FEEDBACK__PATH"]
)
def test_an_empty_path_setting_is_refused_not_taken_as_the_working_directory(name: str) -> None:
    with pytest.raises(SettingsError, match=f"must not be empty .*from environment {name}"):
        load_settings(None, {}, {name: ""})


@pytest.mark.parametrize("user", ["a\nb", "a\tb", "bell\x07"])
def test_a_feedback_user_that_is_not_one_printable_line_is_refused(user: str) -> None:
    # The name is stored with every rating and shown in one-line lists.
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={"STABLENEW_FEEDBACK__USER": user})
    assert "invalid setting feedback.user: must be one line of printable text" in str(caught.value)
    assert "STABLENEW_FEEDBACK__USER" in str(caught.value)


def test_a_feedback_user_of_any_script_is_kept() -> None:
    settings, _layers = load_settings(None, environ={"STABLENEW_FEEDBACK__USER": "Zoë 名前"})
    assert settings.feedback.user == "Zoë 名前"
