"""Fixtures: one stand-in WebUI per test session, its state reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.backends.a1111 import A1111ImageBackend
from tests.a1111.standin import RunningStandin, run_standin

PASSWORD = "s3cr3t-Pa55-9f1c"  # a value that cannot appear in output by accident


@pytest.fixture(scope="session")
def _standin_server() -> Iterator[RunningStandin]:
    with run_standin() as running:
        yield running


@pytest.fixture
def standin(_standin_server: RunningStandin) -> RunningStandin:
    _standin_server.state.reset()
    return _standin_server


def make_backend(standin: RunningStandin, flavor: str = "a1111", **overrides: object) -> A1111ImageBackend:
    values: dict[str, object] = {
        "username": None,
        "password": None,
        "flavor": flavor,
        "connect_timeout": 2.0,
        "read_timeout": 10.0,
    }
    values.update(overrides)
    return A1111ImageBackend(standin.url, **values)  # type: ignore[arg-type]
