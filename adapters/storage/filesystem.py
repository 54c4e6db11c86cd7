"""FilesystemArtifactStore: a run's images as PNG files under one output folder."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from domain.errors import ConfigError
from domain.images import ImageData
from domain.ports import ArtifactStore, RunDiscarding

INIT_IMAGES_FIELD = "init_images"


class FilesystemArtifactStore(ArtifactStore, RunDiscarding):
    """Writes ``<output_dir>/<run_id>/<stage>_<index>.png`` atomically and reads input images."""

    def __init__(self, output_dir: Path) -> None:
        self._output_dir = Path(output_dir).absolute()

    @property
    def output_dir(self) -> Path:
        return self._output_dir

    def path_for(self, run_id: str, stage: str, index: int) -> Path:
        """Where ``save`` puts that image; ValueError for names that would leave the folder."""
        _require_plain_name("run_id", run_id)
        _require_plain_name("stage", stage)
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValueError(f"index must be a non-negative integer, got {index!r}")
        return self._output_dir / run_id / f"{stage}_{index}.png"

    def save(self, run_id: str, stage: str, index: int, data: bytes) -> str:
        target = self.path_for(run_id, stage, index)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_folder(target.parent)
        return str(target)

    def discard(self, run_id: str) -> None:
        _require_plain_name("run_id", run_id)
        shutil.rmtree(self._output_dir / run_id, ignore_errors=True)

    def load(self, path: str) -> ImageData:
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise ConfigError(INIT_IMAGES_FIELD, f"no such file: {path}") from None
        except OSError as exc:
            raise ConfigError(INIT_IMAGES_FIELD, f"cannot read {path}: {exc.strerror or exc}") from None
        return decode_image(data, path)


def decode_image(data: bytes, path: str) -> ImageData:
    """``data`` as ImageData with its size and ``parameters`` text; ConfigError naming ``path``."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            width, height = image.size
            parameters = image.info.get("parameters")
    except UnidentifiedImageError:  # its message shows our in-memory buffer, not the file
        raise ConfigError(
            INIT_IMAGES_FIELD, f"not a readable image: {path} (not an image format Pillow knows)"
        ) from None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ConfigError(INIT_IMAGES_FIELD, f"not a readable image: {path} ({exc})") from None
    return ImageData(data, width, height, infotext=parameters if isinstance(parameters, str) else None)


def _require_plain_name(what: str, name: str) -> None:
    if (
        not isinstance(name, str)
        or not name
        or name in {".", ".."}
        or ".." in name
        or any(sep in name for sep in ("/", "\\", os.sep, "\0"))
        or (os.altsep is not None and os.altsep in name)
    ):
        raise ValueError(f"{what} must be a plain name without path separators or '..', got {name!r}")


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (a no-op where folders cannot be opened, e.g. Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
