from __future__ import annotations

from pathlib import Path

import pytest
from dependency_injector import providers

from adapters.backends.fake import FakeImageBackend
from adapters.container import Container, build_container
from adapters.record_store.jsonl import JsonlRecordStore
from adapters.record_store.null import NullRecordSink
from adapters.settings import load_settings
from tests.factories import make_config


class BuildSpy:
    """Stands in for an adapter's provider and counts how often it was built."""

    def __init__(self) -> None:
        self.builds = 0

    def __call__(self) -> object:
        self.builds += 1
        return object()


def container_from(tmp_path: Path, toml: str, env: dict[str, str] | None = None) -> Container:
    file = tmp_path / "settings.toml"
    file.write_text(toml)
    settings, _ = load_settings(file, {}, env or {})
    return build_container(settings)


def test_settings_file_and_environment_pick_the_adapters(tmp_path: Path) -> None:
    container = container_from(
        tmp_path,
        '[learning]\nrecords_path = "h/records.jsonl"\ndurability = "none"\n',
        {"STABLENEW_LEARNING__ENABLED": "true"},
    )
    sink = container.record_sink()
    assert isinstance(sink, JsonlRecordStore)
    assert sink.records_path == tmp_path / "h" / "records.jsonl"
    assert isinstance(container.image_backend(), FakeImageBackend)
    assert container.controller().learning_enabled is True


def test_null_sink_chosen_by_name(tmp_path: Path) -> None:
    container = container_from(tmp_path, '[learning]\nenabled = true\nsink = "null"\n')
    assert isinstance(container.record_sink(), NullRecordSink)


def test_with_learning_off_no_sink_is_ever_built(tmp_path: Path) -> None:
    container = container_from(tmp_path, '[output]\ndir = "out"\n')
    spies = {name: BuildSpy() for name in container.record_sink.providers}
    for name, spy in spies.items():
        container.record_sink.providers[name].override(providers.Callable(spy))
    result = container.controller().run(make_config())
    assert result.succeeded
    assert {name: spy.builds for name, spy in spies.items()} == dict.fromkeys(spies, 0)
    assert not list(tmp_path.rglob("*.jsonl"))


def test_with_learning_on_only_the_chosen_sink_is_built(tmp_path: Path) -> None:
    toml = '[learning]\nenabled = true\nrecords_path = "r.jsonl"\n[output]\ndir = "out"\n'
    container = container_from(tmp_path, toml)
    real_jsonl = container.record_sink.providers["jsonl"]
    others = {name: BuildSpy() for name in container.record_sink.providers if name != "jsonl"}
    for name, spy in others.items():
        container.record_sink.providers[name].override(providers.Callable(spy))
    controller = container.controller()
    controller.run(make_config())
    controller.run(make_config())
    assert all(spy.builds == 0 for spy in others.values())
    assert len(list(real_jsonl().iter_records())) == 2
    assert real_jsonl().records_path == tmp_path / "r.jsonl"


@pytest.mark.parametrize("kind", ["fake", "a1111", "comfyui"])
def test_only_the_chosen_backend_is_built(tmp_path: Path, kind: str) -> None:
    container = container_from(tmp_path, f'[backend]\nkind = "{kind}"\n[output]\ndir = "out"\n')
    spies = {name: BuildSpy() for name in container.image_backend.providers if name != kind}
    for name, spy in spies.items():
        container.image_backend.providers[name].override(providers.Callable(spy))
    container.controller().run(make_config())
    assert spies, "the selector offers more than one backend"
    assert all(spy.builds == 0 for spy in spies.values())


@pytest.mark.parametrize(
    ("toml", "url"),
    [
        ('[backend]\nkind = "comfyui"\n', "http://127.0.0.1:8188"),
        ('[backend]\nkind = "a1111"\n', "http://127.0.0.1:7860"),
        ('[backend]\nkind = "comfyui"\nurl = "http://gpu-box:9000/"\n', "http://gpu-box:9000"),
    ],
)
def test_an_empty_backend_url_means_the_kinds_default(tmp_path: Path, toml: str, url: str) -> None:
    backend = container_from(tmp_path, toml + '[output]\ndir = "out"\n').image_backend()

    assert backend.url == url  # type: ignore[attr-defined]
