"""The README's promises, kept true: its embedding example runs and its commands exist."""

from __future__ import annotations

import re
import runpy
import tomllib
from pathlib import Path
from typing import get_args

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_embedding_example_runs_without_the_container(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert "dependency_injector" not in code
    assert "build_container" not in code
    script = tmp_path / "embed.py"
    script.write_text(code, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(script), run_name="__main__")
    assert len(list((tmp_path / "output").rglob("*.png"))) == 2
    assert len((tmp_path / "records" / "learning_records.jsonl").read_bytes().splitlines()) == 1


def test_first_screen_gives_the_two_setup_commands() -> None:
    first_screen = README.read_text(encoding="utf-8").split("---", 1)[0]
    assert 'uv run stablenew run --prompt "a lighthouse at dusk" --learning' in first_screen
    assert "uv run --group test pytest" in first_screen


def test_the_main_command_installs_only_what_running_needs() -> None:
    """`uv run stablenew ...` syncs the default groups: none, so no test tool, browser driver or DuckDB."""
    project = tomllib.loads((README.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["tool"]["uv"]["default-groups"] == []
    runtime = " ".join(project["project"]["dependencies"])
    for tool in ("pytest", "playwright", "duckdb", "mypy", "ruff", "hypothesis"):
        assert tool not in runtime
    assert "pytest" in " ".join(project["dependency-groups"]["test"])


def test_every_stablenew_command_in_the_readme_exists() -> None:
    text = README.read_text(encoding="utf-8")
    commands = set(re.findall(r"stablenew ((?:records |settings |backend |plan )?[a-z]+)", text))
    assert {"run", "review", "records list", "records verify", "backend check", "settings show"} <= commands
    for command in sorted(commands):
        done = CliRunner().invoke(app, [*command.split(), "--help"])
        assert done.exit_code == 0, f"stablenew {command}: {done.output}"


def test_the_settings_table_names_every_choice_and_default() -> None:
    """Each `section.key` row of the README's settings table shows the key's default and, for a
    key with fixed choices, all of them (a new backend kind or sink must reach the table)."""
    row = r"^\| `(\w+)\.(\w+)` \| `([^`]*)` \| (.*) \|$"
    rows = re.findall(row, README.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(rows) >= 8
    for section, key, default, meaning in rows:
        section_model = Settings.model_fields[section].annotation
        assert isinstance(section_model, type)
        field = section_model.model_fields[key]  # type: ignore[attr-defined]
        assert default.strip('"') == str(field.default).lower(), f"{section}.{key}"
        for choice in get_args(field.annotation):
            assert f"`{choice}`" in meaning, f"{section}.{key}: {choice}"
