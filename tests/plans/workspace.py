"""A folder with a settings file and a plan file, and readers of what a plan run left in it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.cli import run_cli

EXAMPLE = Path(__file__).with_name("example.toml")

SMALL_PLAN = """\
schema = 1
name = "small"
pack = "tests"
prompts = ["a lighthouse at dusk", "a red bicycle"]
seeds = [1, 2]

[base]
stages = "txt2img"
width = 64
height = 64

[[axes]]
key = "steps"
values = [1, 2, 3]

[retry]
max_attempts = 3
backoff_seconds = 0.2
"""


def workspace(folder: Path, plan: str = SMALL_PLAN, **backend: Any) -> Path:
    """``folder`` with settings.toml (fake backend; ``backend`` settings) and plan.toml; returns it."""
    lines = ["[backend]"] + [f"{key} = {json.dumps(value)}" for key, value in backend.items()]
    lines += ["[learning]", 'records_path = "records/learning_records.jsonl"', "[output]", 'dir = "output"']
    (folder / "settings.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "plan.toml").write_text(plan, encoding="utf-8")
    return folder


def plan_cli(folder: Path, *args: str, timeout: float = 120) -> Any:
    return run_cli("plan", *args, "--settings", str(folder / "settings.toml"), cwd=folder, timeout=timeout)


def records(folder: Path) -> list[dict[str, Any]]:
    path = folder / "records" / "learning_records.jsonl"
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue  # a torn line a kill left; the store quarantines it on the next append
    return found


def plan_of(record: dict[str, Any]) -> dict[str, Any]:
    return record["metadata"]["plan"]  # type: ignore[no-any-return]
