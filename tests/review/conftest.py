"""Fixtures the review tests share."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def invoke(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """The same entry point (adapters.cli.main.main) in this process, for the many small cases."""
    from adapters.cli.main import main

    def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.chdir(home)
        monkeypatch.setenv("STABLENEW_SETTINGS", str(home / "settings.toml"))
        monkeypatch.setenv("COLUMNS", "200")
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run
