"""Run the real ``stablenew`` command in a subprocess, in a folder of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")}
    clean["COLUMNS"] = "200"
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        input=stdin,
        text=True,
        timeout=timeout,
        check=False,
    )
