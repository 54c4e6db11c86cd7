"""SystemClock: the real time, as the Clock port wants it (aware, UTC)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from domain.ports import Clock


class SystemClock(Clock):
    """Reads the system clock; ``now()`` is an aware UTC datetime that never goes backwards.

    If the system clock is set back (NTP, a user), readings hold at the latest time already
    given until the clock catches up, so stage durations are never negative.
    """

    def __init__(self) -> None:
        self._latest = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            self._latest = max(self._latest, datetime.now(UTC))
            return self._latest
