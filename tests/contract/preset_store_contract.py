"""The PresetStore contract (domain/ports.py), runnable against any implementation.

Subclass ``PresetStoreContract`` in a ``Test...`` class and provide ``make_store``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from domain.ports import PresetStore
from domain.preset import Preset, PresetError, PresetExists, PresetNotFound, SettingEvidence


def preset(name: str = "portraits-best", sampler: str = "Euler a", **changes: object) -> Preset:
    evidence = {
        "sampler": SettingEvidence(sampler, 4.2, 3.9, 4.5, "DPM++ 2M", 1.8, 24, 2, "controlled"),
        "size": SettingEvidence("768x512", 4.0, 3.5, 4.4, "512x512", 3.0, 30, 3, "observational"),
    }
    values: dict[str, object] = {
        "name": name,
        "pack": "portraits",
        "model": "",
        "model_hash": "7d9cf42a2d",
        "created": "2026-12-02T15:00:00.000Z",
        "fingerprint": "0" * 64,
        "rater": "persons",
        "stages": ("txt2img",),
        "settings": {"sampler": sampler, "width": 768, "height": 512},
        "evidence": evidence,
    }
    return replace(Preset(**values), **changes)  # type: ignore[arg-type]


class PresetStoreContract:
    def make_store(self, tmp_path: Path) -> PresetStore:
        raise NotImplementedError

    def test_a_new_store_holds_no_presets(self, tmp_path: Path) -> None:
        store = self.make_store(tmp_path)
        assert store.names() == []
        with pytest.raises(PresetNotFound):
            store.load("portraits-best")

    def test_load_gives_back_what_was_saved(self, tmp_path: Path) -> None:
        store = self.make_store(tmp_path)
        saved = preset(sampler='Karras "quoted" \\ back\nslash\t\x01 ünï [bold]')
        store.save(saved)
        loaded = store.load(saved.name)
        assert loaded == saved
        assert loaded.sha256 == saved.sha256

    def test_names_are_sorted(self, tmp_path: Path) -> None:
        store = self.make_store(tmp_path)
        for name in ("b", "a.v2", "C_3"):
            store.save(preset(name))
        assert store.names() == sorted(["b", "a.v2", "C_3"])

    def test_a_taken_name_is_refused_and_the_stored_preset_kept(self, tmp_path: Path) -> None:
        store = self.make_store(tmp_path)
        store.save(preset(sampler="Euler a"))
        with pytest.raises(PresetExists):
            store.save(preset(sampler="DDIM"))
        assert store.load("portraits-best").settings["sampler"] == "Euler a"

    def test_overwrite_replaces(self, tmp_path: Path) -> None:
        store = self.make_store(tmp_path)
        store.save(preset(sampler="Euler a"))
        store.save(preset(sampler="DDIM"), overwrite=True)
        assert store.load("portraits-best").settings["sampler"] == "DDIM"
        assert store.names() == ["portraits-best"]

    def test_reading_changes_nothing(self, tmp_path: Path) -> None:
        store = self.make_store(tmp_path)
        store.save(preset())
        before = (store.names(), store.load("portraits-best"))
        for _ in range(2):
            assert (store.names(), store.load("portraits-best")) == before

    @pytest.mark.parametrize("name", ["", "../escape", "a/b", ".hidden", "x" * 65])
    def test_a_name_that_cannot_be_a_file_name_is_refused(self, tmp_path: Path, name: str) -> None:
        with pytest.raises(PresetError):
            self.make_store(tmp_path).load(name)
