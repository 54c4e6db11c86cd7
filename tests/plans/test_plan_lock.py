"""FilelockPlanLock: one holder per plan name, the holder named, released on exit."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from adapters.plans.lock import FilelockPlanLock
from domain.plan import PlanBusy
from domain.ports import PlanLock


def test_a_second_holder_of_the_same_plan_is_refused_naming_the_first(tmp_path: Path) -> None:
    lock = FilelockPlanLock(tmp_path)
    assert isinstance(lock, PlanLock)
    with lock.hold("portraits"):
        with pytest.raises(PlanBusy) as caught, FilelockPlanLock(tmp_path).hold("portraits"):
            pass
        assert caught.value.holder == f"pid {os.getpid()} on {socket.gethostname()}"
        with FilelockPlanLock(tmp_path).hold("landscapes"):  # another plan runs alongside
            pass
    with lock.hold("portraits"):  # released on exit
        pass
    assert list(tmp_path.glob("*.owner")) == []


def test_the_lock_is_released_when_the_body_raises(tmp_path: Path) -> None:
    lock = FilelockPlanLock(tmp_path)
    with pytest.raises(KeyboardInterrupt), lock.hold("portraits"):
        raise KeyboardInterrupt
    with lock.hold("portraits"):
        pass
