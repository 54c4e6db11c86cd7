"""The PresetStore contract run against the TOML store and the in-memory test fake."""

from __future__ import annotations

from pathlib import Path

from adapters.presets.toml_store import TomlPresetStore
from domain.ports import PresetStore
from tests.contract.preset_store_contract import PresetStoreContract
from tests.fakes import InMemoryPresetStore


class TestTomlPresetStore(PresetStoreContract):
    def make_store(self, tmp_path: Path) -> PresetStore:
        return TomlPresetStore(tmp_path / "presets")


class TestInMemoryPresetStore(PresetStoreContract):
    def make_store(self, tmp_path: Path) -> PresetStore:
        return InMemoryPresetStore()
