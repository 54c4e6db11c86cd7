"""Polling a backend's progress on a side thread while one stage generates."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Protocol, runtime_checkable

from domain.ports import ProgressReporter
from domain.run import StageProgress

POLL_SECONDS = 0.25  # a few times a second: a bar that moves, a server that does not notice


@runtime_checkable
class ProgressObserver(Protocol):
    """An observer that also wants to hear how far a generating stage is (a progress bar)."""

    def stage_progress(self, stage: str, progress: StageProgress) -> None: ...


class ProgressPoller:
    """Asks ``reporter`` every ``interval`` seconds and tells ``observer`` while the ``with`` block
    runs. Leaving the block stops the thread and waits for it, so no progress is ever told after
    the stage ended."""

    def __init__(
        self,
        reporter: ProgressReporter,
        observer: ProgressObserver,
        stage: str,
        interval: float = POLL_SECONDS,
    ) -> None:
        self._reporter = reporter
        self._observer = observer
        self._stage = stage
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name=f"progress-{stage}", daemon=True)

    def __enter__(self) -> ProgressPoller:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.wait(self._interval):
            progress = self._reporter.progress()
            if progress is not None and not self._stop.is_set():
                self._observer.stage_progress(self._stage, progress)
