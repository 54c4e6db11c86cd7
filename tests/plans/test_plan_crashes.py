"""Real processes: `plan run` killed at random moments resumes exactly; an unreachable server is
waited for with backoff (a real loopback stand-in WebUI that starts late)."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.a1111.standin import run_standin
from tests.plans.workspace import SMALL_PLAN, plan_cli, plan_of, records, workspace

KILLS = 12
CRASH_PLAN = (
    SMALL_PLAN.replace('stages = "txt2img"', 'stages = "txt2img,upscale"')
    .replace("values = [1, 2, 3]", "values = [1, 2, 3, 4, 5, 6]")
    .replace("max_attempts = 3", "max_attempts = 2")
)


def _popen(folder: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")}
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "plan", "run", "plan.toml", "--settings", "settings.toml"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_sigkill_at_random_moments_then_a_final_run_leaves_every_cell_done_once(tmp_path: Path) -> None:
    folder = workspace(tmp_path, CRASH_PLAN, fake_latency=0.05)
    rng = random.Random(14)
    kills = 0
    while kills < KILLS:
        process = _popen(folder)
        _wait_until_it_holds_the_plan(folder, process)
        time.sleep(rng.uniform(0.0, 0.45))
        if process.poll() is not None:
            break  # it finished between two kills: the plan is done
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
    assert kills >= 10
    done_before = {plan_of(r)["cell"] for r in records(folder) if r["status"] == "succeeded"}
    assert 0 < len(done_before) < 24  # the kills came while cells were being made
    final = plan_cli(folder, "run", "plan.toml")
    assert final.returncode == 0, final.stderr

    stored = records(folder)
    succeeded = Counter(plan_of(r)["cell"] for r in stored if r["status"] == "succeeded")
    assert len(succeeded) == 24  # 6 steps x 2 prompts x 2 seeds
    assert set(succeeded.values()) == {1}
    assert all(plan_of(r)["attempt"] <= 2 for r in stored)
    assert len({r["run_id"] for r in stored}) == len(stored)  # no record stored twice

    listed: dict[Path, str] = {}
    for record in stored:
        for output in record["outputs"]:
            path = Path(output["path"])
            assert path not in listed  # no image shared by two records
            listed[path] = output["sha256"]
    on_disk = {path for path in (folder / "output").rglob("*") if path.is_file()}
    assert on_disk == set(listed)  # nothing orphaned (no stray or half-written file), nothing missing
    for path, digest in listed.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    verify = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "records", "verify", "--settings", "settings.toml"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _wait_until_it_holds_the_plan(folder: Path, process: subprocess.Popen[bytes]) -> None:
    """Until the lock's owner file names ``process`` (it is inside the plan run), or it exited."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        for owner in (folder / "records").glob(".plan-*.lock.owner"):
            try:
                if f'"pid": {process.pid}' in owner.read_text(encoding="utf-8"):
                    return
            except OSError:
                pass
        time.sleep(0.01)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_server_is_retried_with_backoff_until_it_comes_back(tmp_path: Path) -> None:
    port = _free_port()
    plan = SMALL_PLAN.replace("max_attempts = 3", "max_attempts = 8").replace("seeds = [1, 2]", "seeds = [1]")
    folder = workspace(tmp_path, plan, kind="a1111", url=f"http://127.0.0.1:{port}", connect_timeout=1.0)
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "plan", "run", "plan.toml", "--settings", "settings.toml"],
        cwd=folder,
        env={k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(r["status"] == "failed" for r in records(folder)) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        with run_standin(port=port):
            stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "retrying in 0.2 s" in stderr
    stored = records(folder)
    failed = [r for r in stored if r["status"] == "failed"]
    assert failed
    assert all(plan_of(r)["retryable"] for r in failed)
    assert all("cannot reach the WebUI" in r["stage_events"][0]["error"] for r in failed)
    succeeded = Counter(plan_of(r)["cell"] for r in stored if r["status"] == "succeeded")
    assert len(succeeded) == 6
    assert set(succeeded.values()) == {1}
    first_cell = plan_of(failed[0])["cell"]
    attempts = sorted(plan_of(r)["attempt"] for r in stored if plan_of(r)["cell"] == first_cell)
    assert attempts == list(range(1, len(attempts) + 1))
    assert len(attempts) <= 8
    assert "ran 6 cell(s): 6 done, 0 failed" in stdout
