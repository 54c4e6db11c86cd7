"""The Clock contract: ``now()`` is an aware UTC datetime and readings never go backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.clock import SystemClock
from domain.ports import Clock
from tests.fakes import FakeClock


@pytest.fixture(params=["system", "fake"])
def clock(request: pytest.FixtureRequest) -> Clock:
    return SystemClock() if request.param == "system" else FakeClock()


def test_now_is_an_aware_utc_datetime(clock: Clock) -> None:
    moment = clock.now()

    assert isinstance(moment, datetime)
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)


def test_readings_never_go_backwards(clock: Clock) -> None:
    readings = [clock.now() for _ in range(200)]

    assert readings == sorted(readings)


def test_system_clock_reads_the_real_time() -> None:
    before = datetime.now(UTC)
    moment = SystemClock().now()
    after = datetime.now(UTC)

    assert before <= moment <= after


def test_system_clock_holds_when_the_wall_clock_is_set_back(monkeypatch: pytest.MonkeyPatch) -> None:
    import adapters.clock as module

    times = iter([datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC), datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)])

    class SteppedDatetime(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return next(times)

    monkeypatch.setattr(module, "datetime", SteppedDatetime)
    clock = SystemClock()

    assert clock.now() == clock.now() == datetime(2026, 1, 1, 12, 0, 5, tzinfo=UTC)
