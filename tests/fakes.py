"""Test doubles. Each one runs through the contract suite of its port (tests/contract/)."""

from __future__ import annotations

import contextlib
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.preset import Preset, PresetExists, PresetNotFound, check_name
from domain.record import LearningRecord


class FakeClock:
    """A clock that moves forward by ``step`` every time it is read."""

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(milliseconds=250)) -> None:
        self._now = start or datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)
        self._step = step

    def now(self) -> datetime:
        current = self._now
        self._now += self._step
        return current


class InMemoryRecordSink:
    """Keeps appended records in a list, as a JSONL sink would keep them in a file."""

    def __init__(self) -> None:
        self.records: list[LearningRecord] = []

    def append_record(self, record: LearningRecord) -> None:
        self.records.append(record)


class InMemoryPresetStore:
    """Keeps saved presets in a dict by name, as the TOML store keeps them in a folder."""

    def __init__(self) -> None:
        self.presets: dict[str, Preset] = {}

    def save(self, preset: Preset, *, overwrite: bool = False) -> None:
        if preset.name in self.presets and not overwrite:
            raise PresetExists(f"preset {preset.name} already exists")
        self.presets[preset.name] = preset

    def load(self, name: str) -> Preset:
        if check_name(name) not in self.presets:
            raise PresetNotFound(f"no preset {name}")
        return self.presets[name]

    def names(self) -> list[str]:
        return sorted(self.presets)


class FailingRecordSink:
    """Refuses every append, the way a sink on a read-only disk would."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error or OSError("disk is read-only")
        self.calls = 0

    def append_record(self, record: LearningRecord) -> None:
        self.calls += 1
        raise self.error


# Imports of the artifact-store fake, kept with it so this part can be appended on its own.
import io  # noqa: E402

from PIL import Image, UnidentifiedImageError  # noqa: E402

from domain.errors import ConfigError  # noqa: E402
from domain.images import ImageData  # noqa: E402


class InMemoryArtifactStore:
    """Keeps saved images in a dict keyed by a ``memory://`` path; ``add`` preloads init images."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def save(self, run_id: str, stage: str, index: int, data: bytes) -> str:
        for what, name in (("run_id", run_id), ("stage", stage)):
            if not name or ".." in name or "/" in name or "\\" in name:
                raise ValueError(f"{what} must be a plain name without path separators or '..', got {name!r}")
        path = f"memory://{run_id}/{stage}_{index}.png"
        self.files[path] = bytes(data)
        return path

    def add(self, path: str, data: bytes) -> str:
        self.files[path] = bytes(data)
        return path

    def load(self, path: str) -> ImageData:
        if path not in self.files:
            raise ConfigError("init_images", f"no such file: {path}")
        data = self.files[path]
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                parameters = image.info.get("parameters")
                size = image.size
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise ConfigError("init_images", f"not a readable image: {path} ({exc})") from None
        return ImageData(data, size[0], size[1], infotext=parameters if isinstance(parameters, str) else None)


class PollingFolderWatcher:
    """Looks at the folders every ``interval`` seconds; a file whose size and modification time
    changed and then held still for one look is reported."""

    def __init__(self, suffixes: frozenset[str], interval: float = 0.05) -> None:
        self._suffixes = suffixes
        self._interval = interval

    def changes(
        self, folders: Sequence[Path], *, recursive: bool, stop: Callable[[], bool]
    ) -> Iterator[set[Path]]:
        seen = self._look(folders, recursive)
        waiting: dict[Path, tuple[int, int]] = {}
        while not stop():
            time.sleep(self._interval)
            now = self._look(folders, recursive)
            changed = {path: sig for path, sig in now.items() if seen.get(path) != sig}
            ready = {path for path, sig in changed.items() if waiting.get(path) == sig}
            waiting = {path: sig for path, sig in changed.items() if path not in ready}
            seen.update((path, now[path]) for path in ready)
            if ready:
                yield ready

    def _look(self, folders: Sequence[Path], recursive: bool) -> dict[Path, tuple[int, int]]:
        found = {}
        for folder in folders:
            for path in folder.glob("**/*" if recursive else "*"):
                if path.suffix.lower() in self._suffixes:
                    with contextlib.suppress(OSError):
                        status = path.stat()
                        if stat.S_ISREG(status.st_mode):
                            found[path] = (status.st_size, status.st_mtime_ns)
        return found
