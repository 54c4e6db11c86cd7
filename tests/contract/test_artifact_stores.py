"""Every ArtifactStore through the shared contract, plus what only the filesystem store promises."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters.storage.filesystem import FilesystemArtifactStore
from domain.errors import ConfigError
from tests.contract.artifact_store_contract import ArtifactStoreContract, RunDiscardingContract, png_bytes
from tests.fakes import InMemoryArtifactStore


class TestInMemoryArtifactStore(ArtifactStoreContract):
    @pytest.fixture
    def store(self) -> InMemoryArtifactStore:
        return InMemoryArtifactStore()


class TestFilesystemRunDiscarding(RunDiscardingContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> FilesystemArtifactStore:
        return FilesystemArtifactStore(tmp_path / "output")

    def test_discard_removes_a_half_written_temporary_file_too(
        self, store: FilesystemArtifactStore, tmp_path: Path
    ) -> None:
        store.save("run-1", "txt2img", 0, png_bytes())
        stray = tmp_path / "output" / "run-1" / ".upscale_0.png.x1y2.tmp"  # a save killed mid-write
        stray.write_bytes(b"half")

        store.discard("run-1")

        assert not (tmp_path / "output" / "run-1").exists()


class TestFilesystemArtifactStore(ArtifactStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> FilesystemArtifactStore:
        return FilesystemArtifactStore(tmp_path / "output")

    def test_writes_run_folder_and_stage_index_file_and_returns_an_absolute_path(
        self, store: FilesystemArtifactStore, tmp_path: Path
    ) -> None:
        data = png_bytes()

        path = store.save("run-1", "upscale", 3, data)

        assert Path(path) == tmp_path / "output" / "run-1" / "upscale_3.png"
        assert Path(path).is_absolute()
        assert Path(path).read_bytes() == data

    def test_relative_output_dir_still_gives_absolute_paths(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)

        path = FilesystemArtifactStore(Path("out")).save("r", "txt2img", 0, png_bytes())

        assert Path(path) == tmp_path / "out" / "r" / "txt2img_0.png"

    def test_leaves_no_temporary_files(self, store: FilesystemArtifactStore, tmp_path: Path) -> None:
        for index in range(3):
            store.save("run-1", "txt2img", index, png_bytes())

        names = sorted(p.name for p in (tmp_path / "output" / "run-1").iterdir())
        assert names == ["txt2img_0.png", "txt2img_1.png", "txt2img_2.png"]

    def test_a_failed_write_keeps_the_previous_file_whole_and_leaves_no_temporary(
        self, store: FilesystemArtifactStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        old = png_bytes(colour="red")
        path = store.save("run-1", "txt2img", 0, old)

        def disk_full(src: str, dst: str) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "replace", disk_full)
        with pytest.raises(OSError, match="No space"):
            store.save("run-1", "txt2img", 0, png_bytes(colour="blue"))

        assert Path(path).read_bytes() == old
        assert [p.name for p in (tmp_path / "output" / "run-1").iterdir()] == ["txt2img_0.png"]

    def test_refused_names_write_nothing(self, store: FilesystemArtifactStore, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="plain name"):
            store.save("..", "txt2img", 0, png_bytes())

        assert not (tmp_path / "output").exists()
        assert list(tmp_path.iterdir()) == []

    def test_loads_an_image_it_did_not_write(self, store: FilesystemArtifactStore, tmp_path: Path) -> None:
        elsewhere = tmp_path / "photo.png"
        elsewhere.write_bytes(png_bytes(72, 48))

        loaded = store.load(str(elsewhere))

        assert (loaded.width, loaded.height, loaded.infotext) == (72, 48, None)

    def test_a_folder_is_not_an_image(self, store: FilesystemArtifactStore, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=str(tmp_path)):
            store.load(str(tmp_path))
