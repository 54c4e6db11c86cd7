"""Fixtures: one stand-in ComfyUI per test session, its state reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.backends.comfyui import ComfyUIImageBackend
from tests.comfyui.standin import RunningStandin, run_standin


@pytest.fixture(scope="session")
def _standin_server() -> Iterator[RunningStandin]:
    with run_standin() as running:
        yield running


_made: list[ComfyUIImageBackend] = []


@pytest.fixture
def standin(_standin_server: RunningStandin) -> Iterator[RunningStandin]:
    _standin_server.state.reset()
    yield _standin_server
    while _made:  # each test's backends close their websocket threads
        _made.pop().close()


def make_backend(standin: RunningStandin, **overrides: object) -> ComfyUIImageBackend:
    values: dict[str, object] = {"connect_timeout": 2.0, "read_timeout": 10.0}
    values.update(overrides)
    backend = ComfyUIImageBackend(standin.url, **values)  # type: ignore[arg-type]
    _made.append(backend)
    return backend
