"""The ArtifactStore contract (domain.ports.ArtifactStore), for any implementation.

Subclass ``ArtifactStoreContract`` in a ``test_*.py`` file as ``TestMyStore`` and provide a
``store`` fixture giving an empty store.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from domain.errors import ConfigError
from domain.ports import ArtifactStore


def png_bytes(
    width: int = 40, height: int = 24, colour: str = "teal", parameters: str | None = None
) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters is not None:
        info.add_text("parameters", parameters)
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


class ArtifactStoreContract:
    """Shared tests; pytest collects them only through a ``Test*`` subclass."""

    @pytest.fixture
    def store(self) -> ArtifactStore:
        raise NotImplementedError("a contract subclass provides the store fixture")

    def test_saved_bytes_load_back_unchanged_with_their_size(self, store: ArtifactStore) -> None:
        data = png_bytes(40, 24)

        loaded = store.load(store.save("run-1", "txt2img", 0, data))

        assert loaded.data == data
        assert (loaded.width, loaded.height) == (40, 24)

    def test_load_reports_the_parameters_text(self, store: ArtifactStore) -> None:
        text = "a 🐱, café\nSteps: 20, Seed: 1, Size: 40x24"

        loaded = store.load(store.save("run-1", "txt2img", 0, png_bytes(parameters=text)))

        assert loaded.infotext == text

    def test_same_name_gives_the_same_path_and_saving_again_replaces(self, store: ArtifactStore) -> None:
        first = store.save("run-1", "upscale", 2, png_bytes(colour="red"))
        newer = png_bytes(64, 64, colour="blue")

        again = store.save("run-1", "upscale", 2, newer)

        assert again == first
        assert store.load(first).data == newer

    def test_different_run_stage_or_index_gives_different_paths(self, store: ArtifactStore) -> None:
        data = png_bytes()
        paths = {
            store.save("run-1", "txt2img", 0, data),
            store.save("run-1", "txt2img", 1, data),
            store.save("run-1", "img2img", 0, data),
            store.save("run-2", "txt2img", 0, data),
        }

        assert len(paths) == 4

    def test_missing_file_is_a_config_error_naming_the_path(self, store: ArtifactStore) -> None:
        path = store.save("run-1", "txt2img", 0, png_bytes()).replace("txt2img_0", "txt2img_9")

        with pytest.raises(ConfigError, match="txt2img_9") as caught:
            store.load(path)
        assert caught.value.field == "init_images"

    def test_undecodable_file_is_a_config_error_naming_the_path(self, store: ArtifactStore) -> None:
        path = store.save("run-1", "txt2img", 0, b"this is not a PNG")

        with pytest.raises(ConfigError) as caught:
            store.load(path)
        assert path in str(caught.value)
        assert caught.value.field == "init_images"

    @pytest.mark.parametrize(
        ("run_id", "stage"),
        [
            ("../escape", "txt2img"),
            ("a/b", "txt2img"),
            ("run-1", "../txt2img"),
            ("run-1", "sub\\dir"),
            ("..", "x"),
        ],
    )
    def test_names_with_path_separators_or_dot_dot_are_refused(
        self, store: ArtifactStore, run_id: str, stage: str
    ) -> None:
        with pytest.raises(ValueError, match="plain name"):
            store.save(run_id, stage, 0, png_bytes())


class RunDiscardingContract:
    """Shared tests of the optional RunDiscarding capability; subclass with a ``store`` fixture
    giving an empty store that has it."""

    @pytest.fixture
    def store(self) -> ArtifactStore:
        raise NotImplementedError("a contract subclass provides the store fixture")

    def test_discard_removes_every_file_of_that_run_only(self, store: ArtifactStore) -> None:
        from domain.ports import RunDiscarding

        assert isinstance(store, RunDiscarding)
        gone = [
            store.save("run-1", "txt2img", 0, png_bytes()),
            store.save("run-1", "upscale", 0, png_bytes()),
        ]
        kept = store.save("run-2", "txt2img", 0, png_bytes(colour="red"))

        store.discard("run-1")

        for path in gone:
            with pytest.raises(ConfigError):
                store.load(path)
        assert store.load(kept).data == png_bytes(colour="red")

    def test_discarding_a_run_with_no_files_is_no_error(self, store: ArtifactStore) -> None:
        from domain.ports import RunDiscarding

        assert isinstance(store, RunDiscarding)
        store.discard("never-saved")

    def test_discard_refuses_a_run_id_that_is_a_path(self, store: ArtifactStore) -> None:
        from domain.ports import RunDiscarding

        assert isinstance(store, RunDiscarding)
        kept = store.save("run-2", "txt2img", 0, png_bytes())
        for bad in ("..", "../run-2", "a/b"):
            with pytest.raises(ValueError, match="run_id"):
                store.discard(bad)
        assert store.load(kept).data == png_bytes()
