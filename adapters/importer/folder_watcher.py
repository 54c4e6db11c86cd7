"""The FolderWatcher on watchfiles: the operating system's change events (inotify, FSEvents,
ReadDirectoryChangesW), so watching a folder of 100,000 images costs nothing between changes."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path

from domain.ports import FolderWatcher

QUIET_MS = 500  # a batch is yielded once no file has changed for this long (a file written in parts)


class _Stop:
    """watchfiles asks an event-like object whether to stop."""

    def __init__(self, stop: Callable[[], bool]) -> None:
        self._stop = stop

    def is_set(self) -> bool:
        return self._stop()


class WatchfilesFolderWatcher(FolderWatcher):
    def __init__(self, suffixes: Collection[str]) -> None:
        self._suffixes = frozenset(suffix.lower() for suffix in suffixes)

    def changes(
        self, folders: Sequence[Path], *, recursive: bool, stop: Callable[[], bool]
    ) -> Iterator[set[Path]]:
        import watchfiles

        def wanted(change: watchfiles.Change, path: str) -> bool:
            return change is not watchfiles.Change.deleted and Path(path).suffix.lower() in self._suffixes

        roots = [(folder.resolve(), folder) for folder in folders]

        def as_given(path: str) -> Path:
            """The path under the folder as the caller named it (watchfiles reports absolute ones)."""
            real = Path(path)
            for root, given in roots:
                if real.is_relative_to(root):
                    return given / real.relative_to(root)
            return real

        for batch in watchfiles.watch(
            *folders,
            watch_filter=wanted,
            recursive=recursive,
            step=QUIET_MS,
            rust_timeout=1000,
            stop_event=_Stop(stop),
        ):
            found = {as_given(path) for _change, path in batch if Path(path).is_file()}
            if found:
                yield found
