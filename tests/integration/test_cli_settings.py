"""Bad settings through the real command: one line naming the key and its source, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.cli import run_cli


def assert_refused(done: subprocess.CompletedProcess[str], line: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"error: {line}\n"
    assert done.stdout == ""


@pytest.mark.parametrize("port", ["99999", "abc"])
@pytest.mark.parametrize("command", [("backend", "check"), ("run", "--prompt", "x"), ("settings", "show")])
def test_a_backend_url_with_an_impossible_port_is_refused_when_settings_load(
    tmp_path: Path, port: str, command: tuple[str, ...]
) -> None:
    env = {"STABLENEW_BACKEND__KIND": "a1111", "STABLENEW_BACKEND__URL": f"http://u:pw-x7@127.0.0.1:{port}"}

    done = run_cli(*command, cwd=tmp_path, env=env)

    assert_refused(
        done,
        "invalid setting backend.url: has a port that is not a number from 1 to 65535 "
        "(from environment STABLENEW_BACKEND__URL)",
    )
    assert not (tmp_path / "output").exists()


def test_a_backend_url_without_a_host_in_the_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('[backend]\nurl = "https://:7860"\n', encoding="utf-8")

    done = run_cli("settings", "show", cwd=tmp_path)

    assert_refused(
        done,
        "invalid setting backend.url: must look like http://127.0.0.1:7860 (http or https, with a host) "
        f"(from {tmp_path / 'settings.toml'})",
    )


def test_a_bad_list_item_from_the_environment_is_blamed_on_the_variable(tmp_path: Path) -> None:
    done = run_cli("settings", "show", cwd=tmp_path, env={"STABLENEW_PIPELINE__STAGES": '[{"a":1}]'})

    assert_refused(
        done,
        "invalid setting pipeline.stages.0: Input should be a valid string "
        "(from environment STABLENEW_PIPELINE__STAGES)",
    )


@pytest.mark.parametrize("given_by", ["--settings", "STABLENEW_SETTINGS"])
def test_a_fifo_as_settings_file_is_refused_at_once(tmp_path: Path, given_by: str) -> None:
    fifo = tmp_path / "settings.fifo"
    os.mkfifo(fifo)
    args, env = (
        (["--settings", str(fifo)], {})
        if given_by == "--settings"
        else ([], {"STABLENEW_SETTINGS": str(fifo)})
    )

    # Before the fix this blocked forever in open(); the timeout only ends such a hang.
    done = run_cli("settings", "show", *args, cwd=tmp_path, env=env, timeout=60)

    assert_refused(done, f"settings file {fifo} is not a regular file (a FIFO)")


def test_a_pipe_as_settings_file_is_named_as_given(tmp_path: Path) -> None:
    done = run_cli("settings", "show", "--settings", "/dev/stdin", cwd=tmp_path, stdin="[learning]\n")

    assert_refused(done, "settings file /dev/stdin is not a regular file (a FIFO)")
