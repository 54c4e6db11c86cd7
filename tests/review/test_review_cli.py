"""``stablenew review`` as a real process: it serves, answers, and stops cleanly on Ctrl-C (SIGINT)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.review.history_data import write_history


def test_review_serves_until_ctrl_c(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('[feedback]\nuser = "tester"\n', encoding="utf-8")
    _, sink, store = write_history(tmp_path / "records", 5)
    sink.close()
    store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")}
    env |= {"STABLENEW_SETTINGS": str(tmp_path / "settings.toml"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "adapters.cli", "review", "--port", "0", "--no-browser"]
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert found, first
        port = int(found.group(1))
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/api/runs?limit=2", headers={"Host": f"127.0.0.1:{port}"})
        response = connection.getresponse()
        assert (response.status, len(json.loads(response.read())["runs"])) == (200, 2)
        connection.request("GET", "/api/insights", headers={"Host": f"127.0.0.1:{port}"})
        response = connection.getresponse()  # the insights use case is wired in, with the feedback store
        assert (response.status, "packs" in json.loads(response.read())) == (200, True)
        connection.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (process.returncode, out.strip(), err) == (0, "stopped", "")


def test_other_commands_do_not_load_the_web_server() -> None:
    """Only ``review`` imports the server. (Starlette itself may be loaded anyway: dependency-injector's
    wiring module imports ``starlette.requests`` when it is installed, for its own integration.)"""
    server = ("adapters.review.server", "adapters.review.app", "uvicorn", "h11")
    probe = (
        f"import sys; from adapters.cli.main import app; print([m for m in {server!r} if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _refused_before_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    from adapters.cli.main import app

    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    _, sink, store = write_history(tmp_path / "records", 1)
    sink.close()
    store.close()
    stored = {p.name: p.read_bytes() for p in (tmp_path / "records").iterdir() if p.is_file()}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STABLENEW_SETTINGS", str(tmp_path / "settings.toml"))
    # The server is never built: refused input exits before it (a started one would block here).
    monkeypatch.setattr("adapters.review.server.ReviewServer", None)
    result = CliRunner().invoke(app, ["review", "--port", "0", "--no-browser", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in (tmp_path / "records").iterdir() if p.is_file()} == stored
    return result.output.strip()


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("missing", "error: --serve-dir missing does not exist"),
        ("a.txt", "error: --serve-dir a.txt is not a folder"),
    ],
)
def test_a_serve_dir_that_is_no_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arg: str, message: str
) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    assert _refused_before_serving(tmp_path, monkeypatch, "--serve-dir", arg) == message


def test_a_feedback_path_that_is_a_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes").mkdir()
    shown = _refused_before_serving(tmp_path, monkeypatch, "--feedback", "notes")
    assert shown == f"error: {tmp_path / 'notes'} is a directory, not a feedback file"
