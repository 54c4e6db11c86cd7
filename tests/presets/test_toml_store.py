"""TomlPresetStore beyond the contract: the file is readable TOML, and nonsense in it is named in one line."""

from __future__ import annotations

import errno
import os
import tomllib
from pathlib import Path

import pytest

from adapters.presets.toml_store import TomlPresetStore, render
from domain.preset import PresetError
from tests.contract.preset_store_contract import preset


@pytest.fixture
def store(tmp_path: Path) -> TomlPresetStore:
    saved = TomlPresetStore(tmp_path / "presets")
    saved.save(preset())
    return saved


def edit(store: TomlPresetStore, old: str, new: str) -> Path:
    path = store.path_of("portraits-best")
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_the_file_holds_the_documented_tables(store: TomlPresetStore) -> None:
    data = tomllib.loads(store.path_of("portraits-best").read_text(encoding="utf-8"))
    assert set(data) == {"preset", "settings", "evidence"}
    assert data["settings"] == {"sampler": "Euler a", "width": 768, "height": 512}
    assert data["evidence"]["size"]["runner_up"] == "512x512"
    assert data["preset"]["fingerprint"] == "0" * 64
    assert "prompt" not in data["settings"]


def test_every_control_character_survives_a_round_trip(tmp_path: Path) -> None:
    awkward = "".join(chr(code) for code in range(0x80)) + '"""\\u0041 \U0001f600'
    saved = preset(sampler=awkward)
    assert tomllib.loads(render(saved))["settings"]["sampler"] == awkward


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("[settings]", "[settings", "is not valid TOML"),
        (
            "width = 768",
            "width = " + "[" * 5000 + "]" * 5000,
            "not valid TOML: arrays or tables nested too deeply",
        ),
        ('sampler = "Euler a"', 'sampler = "Euler a"\nprompt = "a cat"', "settings.prompt: unknown setting"),
        ('sampler = "Euler a"', 'sampler = "Euler a"\nclip_skip = 2', "settings.clip_skip: unknown setting"),
        ("width = 768", 'width = "768"', "settings.width: expected int"),
        ("width = 768", "width = true", "settings.width: expected int"),
        ("width = 768", "width = -8", "settings.width: must be positive"),
        ('name = "portraits-best"\n', "", "preset.name is missing"),
        ('name = "portraits-best"', "name = 7", "preset.name: wrong type"),
        ('name = "portraits-best"', 'name = "other"', "not the file's name"),
        ("ratings = 24", 'ratings = "many"', "evidence.sampler.ratings: wrong type"),
        ('evidence = "controlled"', 'evidence = "anecdotal"', "evidence.sampler: evidence must be"),
        ("[evidence.size]", "[evidence.clip]", "evidence.clip: unknown setting"),
        ('rater = "persons"', 'rater = "persons"\ncolour = "red"', "preset.colour: unknown key"),
    ],
)
def test_a_file_edited_into_nonsense_is_one_line_naming_the_file_and_key(
    store: TomlPresetStore, old: str, new: str, named: str
) -> None:
    path = edit(store, old, new)
    with pytest.raises(PresetError) as caught:
        store.load("portraits-best")
    message = str(caught.value)
    assert named in message
    assert str(path) in message
    assert "\n" not in message.strip()


def test_settings_without_evidence_are_refused(store: TomlPresetStore) -> None:
    edit(store, "[evidence.size]", "[evidence.steps]")
    with pytest.raises(PresetError, match=r"settings\.width: no evidence\.size table"):
        store.load("portraits-best")


def test_a_read_changes_no_byte_and_no_time(store: TomlPresetStore) -> None:
    folder = store.folder
    before = {path.name: (path.read_bytes(), os.stat(path).st_mtime_ns) for path in folder.iterdir()}
    store.load("portraits-best")
    store.names()
    after = {path.name: (path.read_bytes(), os.stat(path).st_mtime_ns) for path in folder.iterdir()}
    assert after == before


def test_a_refused_save_leaves_no_temporary_file(store: TomlPresetStore) -> None:
    with pytest.raises(PresetError):
        store.save(preset(sampler="DDIM"))
    assert [path.name for path in store.folder.iterdir()] == ["portraits-best.toml"]


def test_files_that_are_not_presets_are_not_listed(store: TomlPresetStore) -> None:
    (store.folder / "notes.txt").write_text("x", encoding="utf-8")
    (store.folder / ".portraits-best.abc.tmp").write_text("x", encoding="utf-8")
    (store.folder / "sub.toml").mkdir()
    assert store.names() == ["portraits-best"]


def test_without_hard_links_a_new_preset_is_renamed_into_place_and_a_taken_name_still_refused(
    store: TomlPresetStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    store.save(preset("other"))
    assert store.load("other") == preset("other")
    with pytest.raises(PresetError, match="already exists"):
        store.save(preset("other", sampler="DDIM"))
    assert sorted(path.name for path in store.folder.iterdir()) == ["other.toml", "portraits-best.toml"]
