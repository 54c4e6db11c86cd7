"""Run the real ``stablenew`` command in a subprocess, in a folder of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its STABLENEW_ settings, 200 columns wide, plus ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")}
    clean["COLUMNS"] = "200"
    clean.update(env or {})
    return clean


def spawn_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """The command started (output captured as text), for a test that signals or waits on it."""
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=cwd,
        env=cli_environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=cwd,
        env=cli_environment(env),
        capture_output=True,
        input=stdin,
        text=True,
        timeout=timeout,
        check=False,
    )
