"""Start-up: ``--version`` and ``-h`` work, and each command imports only what it uses.

The import checks are structural (which modules a real process loaded), never timings.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from adapters.cli import app
from tests.integration.cli import run_cli
from tests.review.history_data import write_history

ROOT = Path(__file__).resolve().parents[2]

# Run main(argv) in a fresh interpreter, then write which of the named modules it loaded to a file.
PROBE = """
import json, sys
from adapters.cli import main
argv, watched, report = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
try:
    main(argv)
except SystemExit as exc:
    code = exc.code
with open(report, "w") as out:
    json.dump({"code": code, "loaded": sorted(m for m in watched if m in sys.modules)}, out)
"""

NEVER_FOR_HELP = [
    "PIL",
    "httpx",
    "filelock",
    "asyncio",
    "uvicorn",
    "h11",
    "starlette",
    "duckdb",
    "sqlite3",
    "dependency_injector",
    "dependency_injector.wiring",
    "pydantic_settings",
    "adapters.container",
    "adapters.settings",
    "adapters.backends.a1111",
    "adapters.importer.image_importer",
    "adapters.review.server",
    "psycopg",
]
NEVER_FOR_LISTING = [
    "PIL",
    "httpx",
    "uvicorn",
    "h11",
    "duckdb",
    "adapters.backends.a1111",
    "adapters.backends.fake",
    "adapters.storage.filesystem",
    "adapters.importer.image_importer",
    "adapters.review.server",
    "psycopg",
    "adapters.postgres.database",
]


def loaded_by(argv: list[str], watched: list[str], cwd: Path) -> list[str]:
    report = cwd / "loaded.json"
    command = [sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(watched), str(report)]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(report.read_text(encoding="utf-8"))
    assert result["code"] in (0, None), done.stderr  # a command that failed early proves nothing
    loaded: list[str] = result["loaded"]
    return loaded


@pytest.mark.parametrize("argv", [["--help"], ["-h"], ["records", "--help"], ["run", "-h"]], ids=" ".join)
def test_help_loads_no_settings_container_or_heavy_library(tmp_path: Path, argv: list[str]) -> None:
    loaded = loaded_by(argv, [*NEVER_FOR_HELP, "typer"], tmp_path)

    assert loaded == ["typer"]


def test_a_listing_loads_the_index_but_no_image_http_web_or_query_library(tmp_path: Path) -> None:
    _, sink, store = write_history(tmp_path / "records", 3)
    sink.close()
    store.close()
    wanted = ["adapters.container", "adapters.settings", "sqlite3"]

    loaded = loaded_by(["records", "list"], [*NEVER_FOR_LISTING, *wanted], tmp_path)

    assert loaded == sorted(wanted)


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
