"""Credentials written into the backend URL are sent as Basic auth and shown nowhere.

Every output of real ``stablenew`` processes, and every file they wrote, is searched for the
password. The test names avoid the word: pytest puts them in the temporary paths.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
from pathlib import Path

import pytest

from tests.a1111.standin import RunningStandin
from tests.integration.cli import run_cli

USER = "alice"
PASSWORD = "secret"
MASKED = "********@"


def with_credentials(url: str, password: str = PASSWORD) -> str:
    return url.replace("http://", f"http://{USER}:{password}@")


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def env_for(url: str, **extra: str) -> dict[str, str]:
    return {
        "STABLENEW_BACKEND__KIND": "a1111",
        "STABLENEW_BACKEND__URL": url,
        "STABLENEW_BACKEND__CONNECT_TIMEOUT": "2",
        "STABLENEW_BACKEND__READ_TIMEOUT": "20",
        **extra,
    }


def assert_password_nowhere(tmp_path: Path, *done: subprocess.CompletedProcess[str]) -> None:
    for process in done:
        assert PASSWORD not in process.stdout + process.stderr, process
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), f"the password is in {path}"


def test_settings_show_masks_the_credentials_of_the_url(tmp_path: Path) -> None:
    done = run_cli("settings", "show", cwd=tmp_path, env=env_for(with_credentials("http://127.0.0.1:7860")))

    assert done.returncode == 0, done.stderr
    assert 'url = "http://********@127.0.0.1:7860"  # environment STABLENEW_BACKEND__URL' in done.stdout
    assert_password_nowhere(tmp_path, done)


def test_backend_check_of_an_unreachable_url_shows_no_credentials(tmp_path: Path) -> None:
    env = env_for(with_credentials(closed_port_url()), STABLENEW_BACKEND__CONNECT_TIMEOUT="0.5")

    text = run_cli("backend", "check", cwd=tmp_path, env=env)
    as_json = run_cli("backend", "check", "--json", cwd=tmp_path, env=env)

    for done in (text, as_json):
        assert done.returncode == 1
        assert done.stderr.startswith("error: cannot reach the WebUI at http://127.0.0.1:")
    assert_password_nowhere(tmp_path, text, as_json)


@pytest.mark.slow
def test_url_credentials_authenticate_runs_and_reach_no_output_or_record(
    standin: RunningStandin, tmp_path: Path
) -> None:
    standin.state.credentials = (USER, PASSWORD)
    records = tmp_path / "records.jsonl"
    env = env_for(with_credentials(standin.url), STABLENEW_LEARNING__RECORD_FAILURES="true")
    run = ["run", "--prompt", "a lighthouse", "--learning", "--records", str(records)]
    common = ["--sampler", "Euler a", "--width", "64", "--height", "64", "--output", str(tmp_path / "out")]

    check = run_cli("backend", "check", "--json", cwd=tmp_path, env=env)
    good = run_cli(*run, *common, "--stages", "txt2img", cwd=tmp_path, env=env)
    good_json = run_cli(*run, *common, "--stages", "txt2img", "--json", cwd=tmp_path, env=env)
    standin.state.inject("unknown_upscaler")
    failed = run_cli(*run, *common, "--stages", "txt2img,upscale", cwd=tmp_path, env=env)
    refused = run_cli(*run, *common, cwd=tmp_path, env=env_for(with_credentials(standin.url, "wrong")))

    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["url"] == standin.url
    assert (good.returncode, good_json.returncode, failed.returncode) == (0, 0, 1), good.stderr
    assert refused.returncode == 1
    assert "refused the credentials" in refused.stderr
    sent = {r.authorization for r in standin.state.requests if r.authorization}
    assert f"Basic {base64.b64encode(f'{USER}:{PASSWORD}'.encode()).decode()}" in sent
    lines = records.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["succeeded", "succeeded", "failed"]
    assert_password_nowhere(tmp_path, check, good, good_json, failed, refused)


def test_a_run_against_an_unreachable_url_shows_its_error_as_it_is(tmp_path: Path) -> None:
    env = env_for(with_credentials(closed_port_url()), STABLENEW_BACKEND__CONNECT_TIMEOUT="0.5")

    done = run_cli("run", "--prompt", "x", "--learning", "--records", "r.jsonl", cwd=tmp_path, env=env)

    assert done.returncode == 1
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("error: txt2img: ")
    assert error.endswith("and check [backend] url)")  # the error text is not read as markup
    assert_password_nowhere(tmp_path, done)
