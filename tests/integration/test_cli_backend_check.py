"""``stablenew backend check`` on the fake backend, through the real command."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.cli import run_cli


def test_check_lists_what_the_fake_backend_serves_without_generating(tmp_path: Path) -> None:
    done = run_cli("backend", "check", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "backend: fake\nversion: fake-1\ncurrent model: fake-model-v1\n" in done.stdout
    assert "  Euler a\n" in done.stdout
    assert "generation" not in done.stdout


def test_generate_shows_the_image_it_made(tmp_path: Path) -> None:
    done = run_cli("backend", "check", "--generate", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    last = done.stdout.splitlines()[-1]
    assert last.startswith("generation: ok, one 64x64 image in ")
    assert "(1 step, sampler DPM++ 2M, seed 1, model fake-model-v1)" in last


def test_generate_in_json_carries_the_probe(tmp_path: Path) -> None:
    plain = json.loads(run_cli("backend", "check", "--json", cwd=tmp_path).stdout)
    probed = json.loads(run_cli("backend", "check", "--generate", "--json", cwd=tmp_path).stdout)

    assert plain["generation"] is None
    assert probed["generation"]["width"] == probed["generation"]["height"] == 64
    assert probed["generation"]["seed"] == 1
    assert probed["generation"]["model"] == "fake-model-v1"
    assert {key: value for key, value in probed.items() if key != "generation"} == {
        key: value for key, value in plain.items() if key != "generation"
    }
