"""The FolderWatcher contract, against watchfiles and the polling fake, on real folders."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from adapters.importer.folder_watcher import WatchfilesFolderWatcher
from domain.ports import FolderWatcher
from tests.fakes import PollingFolderWatcher

SUFFIXES = frozenset({".png", ".jpg"})
DEADLINE = 15.0


@pytest.fixture(params=["watchfiles", "polling"])
def watcher(request: pytest.FixtureRequest) -> FolderWatcher:
    if request.param == "watchfiles":
        return WatchfilesFolderWatcher(SUFFIXES)
    return PollingFolderWatcher(SUFFIXES)


class Watching:
    """The watcher running on a thread, its batches collected, until stopped."""

    def __init__(self, watcher: FolderWatcher, folder: Path, *, recursive: bool) -> None:
        self.batches: list[set[Path]] = []
        self.stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(watcher, folder, recursive), daemon=True, name="watcher"
        )
        self._thread.start()
        time.sleep(0.5)  # the watcher is listening before the test writes

    def _run(self, watcher: FolderWatcher, folder: Path, recursive: bool) -> None:
        for batch in watcher.changes([folder], recursive=recursive, stop=self.stopped.is_set):
            self.batches.append(batch)

    def seen(self) -> set[Path]:
        return set().union(*self.batches) if self.batches else set()

    def wait_for(self, path: Path) -> None:
        deadline = time.monotonic() + DEADLINE
        while path not in self.seen():
            assert time.monotonic() < deadline, f"{path.name} never reported; saw {self.seen()}"
            time.sleep(0.05)

    def stop(self) -> float:
        began = time.monotonic()
        self.stopped.set()
        self._thread.join(DEADLINE)
        assert not self._thread.is_alive()
        return time.monotonic() - began


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    return out


def test_a_new_image_is_reported_and_what_was_there_is_not(watcher: FolderWatcher, folder: Path) -> None:
    (folder / "old.png").write_bytes(b"old")
    watching = Watching(watcher, folder, recursive=False)
    (folder / "new.png").write_bytes(b"new")

    watching.wait_for(folder / "new.png")
    watching.stop()

    assert folder / "old.png" not in watching.seen()
    assert all(path.is_file() for path in watching.seen())


def test_other_files_and_deleted_ones_are_not_reported(watcher: FolderWatcher, folder: Path) -> None:
    watching = Watching(watcher, folder, recursive=False)
    (folder / "notes.txt").write_bytes(b"infotext")
    (folder / "gone.png").write_bytes(b"x")
    (folder / "gone.png").unlink()
    (folder / "kept.jpg").write_bytes(b"kept")

    watching.wait_for(folder / "kept.jpg")
    watching.stop()

    assert watching.seen() == {folder / "kept.jpg"}


def test_sub_folders_only_when_recursive(watcher: FolderWatcher, folder: Path) -> None:
    (folder / "day1").mkdir()
    flat = Watching(watcher, folder, recursive=False)
    (folder / "day1" / "a.png").write_bytes(b"a")
    (folder / "top.png").write_bytes(b"t")
    flat.wait_for(folder / "top.png")
    flat.stop()
    deep = Watching(watcher, folder, recursive=True)
    (folder / "day1" / "b.png").write_bytes(b"b")
    deep.wait_for(folder / "day1" / "b.png")
    deep.stop()

    assert folder / "day1" / "a.png" not in flat.seen()


def test_stop_ends_the_watch_within_a_few_seconds(watcher: FolderWatcher, folder: Path) -> None:
    watching = Watching(watcher, folder, recursive=False)

    assert watching.stop() < 5.0  # the contract: stop() is checked at least every second


def test_paths_come_under_the_folder_as_named(
    watcher: FolderWatcher, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder.parent)
    watching = Watching(watcher, Path("out"), recursive=False)
    (folder / "new.png").write_bytes(b"new")

    watching.wait_for(Path("out") / "new.png")
    watching.stop()

    assert watching.seen() == {Path("out") / "new.png"}
