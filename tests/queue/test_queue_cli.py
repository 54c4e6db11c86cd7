"""The queue commands' bad input and unreachable queue: one line, non-zero exit, never the password."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.integration.cli import run_cli


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_without_a_dsn_submit_and_status_name_the_setting(tmp_path: Path) -> None:
    for args in (("submit", "-p", "x"), ("queue", "status"), ("worker", "--queue", "q")):
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "[postgres] dsn" in result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    env = {
        "STABLENEW_POSTGRES__DSN": f"postgresql://u:hunter2secret@127.0.0.1:{_closed_port()}/db",
        "STABLENEW_POSTGRES__CONNECT_TIMEOUT": "1",
    }
    for args in (("submit", "-p", "x", "--json"), ("queue", "status", "--json")):
        result = run_cli(*args, cwd=tmp_path, env=env)
        assert result.returncode == 1
        assert "job queue" in result.stderr
        assert "hunter2secret" not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr


def test_a_bad_value_for_submit_exits_2_naming_it(tmp_path: Path) -> None:
    result = run_cli("submit", "-p", "x", "--steps", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "steps" in result.stderr
    assert "Traceback" not in result.stderr


def test_stalled_after_under_five_heartbeats_is_refused_in_one_line(tmp_path: Path) -> None:
    env = {"STABLENEW_QUEUE__HEARTBEAT_SECONDS": "10", "STABLENEW_QUEUE__STALLED_AFTER_SECONDS": "30"}
    result = run_cli("queue", "status", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "stalled_after_seconds" in result.stderr
    assert "5 times" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args", [("worker", "--queue", ""), ("queue", "prune", "--queue", "x", "--queue", " ")]
)
def test_an_empty_queue_name_is_refused_before_any_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    from adapters.cli.main import app

    # No job is ever on a queue without a name: a worker would wait on it for ever.
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STABLENEW_SETTINGS", str(tmp_path / "settings.toml"))
    monkeypatch.setenv(
        "STABLENEW_POSTGRES__DSN", f"postgresql://u:hunter2secret@127.0.0.1:{_closed_port()}/db"
    )

    def never(*_args: object) -> None:
        raise AssertionError("the queue was opened")  # a worker would wait there for ever

    monkeypatch.setattr("adapters.container.build_container", never)
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        'error: --queue: a queue name must not be empty (jobs without a model are on "default")'
    ]
