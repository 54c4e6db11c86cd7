"""Start-up: ``--version`` and ``-h`` work."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from adapters.cli import app
from tests.integration.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_version_prints_the_project_version(tmp_path: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    done = run_cli("--version", cwd=tmp_path)

    assert (done.returncode, done.stdout, done.stderr) == (0, f"stablenew {project['version']}\n", "")


def test_dash_h_is_help(tmp_path: Path) -> None:
    short, long = run_cli("-h", cwd=tmp_path), run_cli("--help", cwd=tmp_path)

    assert (short.returncode, short.stderr) == (0, "")
    assert "Usage: stablenew" in short.stdout
    assert short.stdout == long.stdout


def _command_paths(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every group and command under ``command`` (Typer's own click: groups have ``commands``)."""
    paths = [path]
    for name, sub in getattr(command, "commands", {}).items():
        paths += _command_paths(sub, (*path, name))
    return paths


@pytest.mark.parametrize(
    "path", _command_paths(get_command(app)), ids=lambda path: " ".join(["stablenew", *path])
)
def test_every_command_takes_dash_h(path: tuple[str, ...]) -> None:
    short = CliRunner().invoke(app, [*path, "-h"], terminal_width=200)
    long = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)

    assert (short.exit_code, long.exit_code) == (0, 0), short.output
    assert short.output == long.output
    assert f"Usage: stablenew {' '.join(path)}".rstrip() in short.output
