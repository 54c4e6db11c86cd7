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


@pytest.fixture
def standin(_standin_server: RunningStandin) -> RunningStandin:
    _standin_server.state.reset()
    return _standin_server


def make_backend(standin: RunningStandin, **overrides: object) -> ComfyUIImageBackend:
    values: dict[str, object] = {"connect_timeout": 2.0, "read_timeout": 10.0}
    values.update(overrides)
    return ComfyUIImageBackend(standin.url, **values)  # type: ignore[arg-type]
