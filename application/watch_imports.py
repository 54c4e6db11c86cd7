"""Keep importing the images that appear under some folders, until stopped.

What is there when watching starts is imported first (files already in the history are skipped
by sha256, as by ``records import``); then each batch of files the watcher reports. A file that
changes afterwards is read again; its sha256 decides, as always, whether it is new.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from application.import_images import ImportImages
from domain.import_plan import ImportPlan
from domain.ports import FolderWatcher


class WatchImports:
    def __init__(self, import_images: ImportImages, watcher: FolderWatcher) -> None:
        self._import = import_images
        self._watcher = watcher

    def __call__(
        self,
        paths: Sequence[Path],
        *,
        recursive: bool,
        on_plan: Callable[[ImportPlan], None],
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        """Import what ``paths`` hold, then each new or changed file under its folders; report
        each import's plan to ``on_plan``; return when ``stop()`` is true."""
        on_plan(self._import(paths, recursive=recursive))
        folders = [path for path in paths if path.is_dir()]
        for changed in self._watcher.changes(folders, recursive=recursive, stop=stop):
            on_plan(self._import(sorted(changed)))
