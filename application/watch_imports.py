"""Keep importing the images that appear under some folders, until stopped.

A file is imported once it has been seen twice, one interval apart, with the same size and
modification time, so a file still being written is not read half-way. A file that changes
afterwards (same path, new content) is read again; its sha256 decides, as always, whether it is
new. Files already there when watching starts are imported too (those already in the history
are skipped by sha256, as by ``records import``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from application.import_images import ImportImages
from domain.import_plan import ImportPlan

Signature = tuple[int, int]  # size, mtime in ns


def watch_imports(
    import_images: ImportImages,
    paths: Sequence[Path],
    *,
    recursive: bool,
    on_plan: Callable[[ImportPlan], None],
    sleep: Callable[[float], None],
    stop: Callable[[], bool] = lambda: False,
    interval: float = 1.0,
) -> None:
    """Import each new, settled file under ``paths``, report each import's plan, until ``stop()``.

    ``sleep`` waits between looks (``time.sleep``; a KeyboardInterrupt there ends the watch).
    """
    handled: dict[Path, Signature] = {}
    waiting: dict[Path, Signature] = {}
    while not stop():
        current = _signatures(import_images.find(paths, recursive=recursive))
        changed = {path: sig for path, sig in current.items() if handled.get(path) != sig}
        ready = [path for path, sig in changed.items() if waiting.get(path) == sig]
        waiting = {path: sig for path, sig in changed.items() if path not in ready}
        if ready:
            on_plan(import_images(ready))
            handled.update((path, changed[path]) for path in ready)
        sleep(interval)


def _signatures(files: Sequence[Path]) -> dict[Path, Signature]:
    found: dict[Path, Signature] = {}
    for path in files:
        try:
            status = path.stat()
        except OSError:
            continue  # gone since it was listed
        found[path] = (status.st_size, status.st_mtime_ns)
    return found
