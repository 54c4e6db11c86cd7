"""``stablenew plan check|run|status`` end to end, in a subprocess, on the fake backend."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.plans.workspace import EXAMPLE, SMALL_PLAN, plan_cli, plan_of, records, workspace


def test_check_of_the_issue_example(tmp_path: Path) -> None:
    folder = workspace(tmp_path, EXAMPLE.read_text(encoding="utf-8"))
    result = plan_cli(folder, "check", "plan.toml")
    assert result.returncode == 0, result.stderr
    assert "cells: 32 (8 of 9 combinations x 2 prompt(s) x 2 seed(s))" in result.stdout
    assert "excluded: sampler=DDIM, steps=40" in result.stdout
    assert "pending: 32 cell(s), 32 image(s)" in result.stdout
    assert "estimated time: no timing history for these cells" in result.stdout
    assert not (folder / "records").exists()


def test_run_then_status_then_a_second_run_runs_nothing(tmp_path: Path) -> None:
    folder = workspace(tmp_path, EXAMPLE.read_text(encoding="utf-8"))
    first = plan_cli(folder, "run", "plan.toml")
    assert first.returncode == 0, first.stderr
    assert "ran 32 cell(s): 32 done, 0 failed" in first.stdout
    stored = records(folder)
    assert len(stored) == 32
    assert len({plan_of(r)["cell"] for r in stored}) == 32
    assert {r["plan_id"] for r in stored} == {plan_of(stored[0])["id"]}
    assert all(plan_of(r)["attempt"] == 1 and r["status"] == "succeeded" for r in stored)
    again = plan_cli(folder, "run", "plan.toml")
    assert again.returncode == 0
    assert "ran 0 cell(s)" in again.stdout
    assert len(records(folder)) == 32
    status = plan_cli(folder, "status", stored[0]["plan_id"][:8], "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["counts"] == {"done": 32, "failed": 0, "pending": 0}
    assert [v["values"] for v in report["variants"] if v["excluded"]] == [{"sampler": "DDIM", "steps": 40}]
    check = plan_cli(folder, "check", "plan.toml")
    assert "in the history: 32 done" in check.stdout


BAD_INPUT = [
    ("[retry]", "[retry]\ncolour = 1", "plan.toml:32: retry.colour: unknown key"),
    ("width = 512", 'width = "wide"', "plan.toml:10: base.width: width takes a whole number"),
    (
        'values = ["Euler a", "DPM++ 2M", "DDIM"]',
        "values = []",
        "plan.toml:15: axes[0].values: the axis has no",
    ),
    ('range = "20-40 (+10)"', 'range = "20-40 (-10)"', "plan.toml:19: axes[1].range: step -10 goes away"),
    ("max_images = 200", "max_images = 0", "plan.toml:29: budget.max_images: must be 1 or more"),
    (
        'key = "steps"',
        'key = "denoising_strength"',
        "plan.toml:18: axes[1].key: denoising_strength is a setting",
    ),
    (
        '"DDIM"]',
        '"DDIM", "Warp Drive"]',
        "plan.toml:15: axes[0].values: 'Warp Drive': the backend refuses it",
    ),
    (
        "height = 512",
        'height = 512\nmodel = "no-such-model"',
        "plan.toml:12: base.model: the backend refuses it",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD_INPUT, ids=[row[2] for row in BAD_INPUT])
@pytest.mark.parametrize("command", ["check", "run"])
def test_a_bad_plan_exits_2_with_one_line_and_stores_nothing(
    tmp_path: Path, command: str, old: str, new: str, expected: str
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    folder = workspace(tmp_path, text.replace(old, new, 1))
    result = plan_cli(folder, command, "plan.toml")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert not (folder / "records").exists()
    assert not (folder / "output").exists()


def test_a_missing_plan_file_and_markup_in_a_plan_are_plain_text(tmp_path: Path) -> None:
    folder = workspace(tmp_path, SMALL_PLAN.replace('name = "small"', 'name = "[bold]x[/bold]"'))
    missing = plan_cli(folder, "check", "nope.toml")
    assert missing.returncode == 2
    assert "nope.toml: no such plan file" in missing.stderr
    shown = plan_cli(folder, "check", "plan.toml")
    assert "plan [bold]x[/bold] (id" in shown.stdout
    marked = SMALL_PLAN.replace(
        "[retry]", '[[axes]]\nkey = "negative_prompt"\nvalues = ["[red]x[/red]", "y"]\n\n[retry]'
    )
    (folder / "plan.toml").write_text(marked.replace("values = [1, 2, 3]", "values = [1]"), encoding="utf-8")
    ran = plan_cli(folder, "run", "plan.toml")
    assert "negative_prompt=[red]x[/red] | prompt 1 | seed 1: succeeded" in ran.stderr
    status = plan_cli(folder, "status", "plan.toml")
    assert "steps=1, negative_prompt=[red]x[/red]" in status.stdout


def test_out_of_memory_cells_fail_with_their_reason_and_the_others_complete(tmp_path: Path) -> None:
    plan = SMALL_PLAN.replace("width = 64\n", "").replace(
        "[retry]", '[[axes]]\nkey = "width"\nvalues = [64, 128]\n\n[retry]'
    )
    folder = workspace(tmp_path, plan, fake_oom_above=64 * 64)
    result = plan_cli(folder, "run", "plan.toml")
    assert result.returncode == 1
    assert "ran 24 cell(s): 12 done, 12 failed" in result.stdout
    assert "out of memory" in result.stdout
    stored = records(folder)
    failed = [r for r in stored if r["status"] == "failed"]
    assert len(failed) == 12
    assert all(r["config"]["width"] == 128 and r["outputs"] == [] for r in failed)
    assert all(plan_of(r)["retryable"] is False for r in failed)
    assert not any((folder / "output" / r["run_id"]).exists() for r in failed)  # no blank images
    again = plan_cli(folder, "run", "plan.toml")  # failed for good: not tried again
    assert "ran 0 cell(s)" in again.stdout
    assert len(records(folder)) == 24
    status = plan_cli(folder, "status", "plan.toml")
    assert "12 done, 12 failed, 0 pending" in status.stdout
    assert "steps: no ratings of its runs yet" in status.stdout
    assert "failed: steps=1, width=128: fake backend: CUDA out of memory" in status.stdout


def test_max_images_stops_cleanly_and_the_next_run_continues(tmp_path: Path) -> None:
    folder = workspace(tmp_path)
    first = plan_cli(folder, "run", "plan.toml", "--max-images", "5")
    assert first.returncode == 0
    assert "stopped: --max-images 5 reached" in first.stderr
    assert len(records(folder)) == 5
    rest = plan_cli(folder, "run", "plan.toml")
    assert "ran 7 cell(s): 7 done" in rest.stdout
    assert Counter(plan_of(r)["cell"] for r in records(folder)).most_common(1)[0][1] == 1


def test_the_plan_budget_counts_the_images_of_earlier_runs(tmp_path: Path) -> None:
    folder = workspace(tmp_path, SMALL_PLAN + "\n[budget]\nmax_images = 7\n")
    plan_cli(folder, "run", "plan.toml", "--max-images", "4")
    second = plan_cli(folder, "run", "plan.toml")
    assert "stopped: budget.max_images 7 reached" in second.stderr
    assert len(records(folder)) == 7


def test_two_runs_of_one_plan_at_once_the_second_exits_1_naming_the_first(tmp_path: Path) -> None:
    folder = workspace(tmp_path, fake_latency=600)  # the first cell cannot end while the test runs
    first = _start(folder)
    try:
        lines = _stderr_lines(first)
        _wait_for(lambda: any(": running" in line for line in lines))
        owner = _wait_for_lock_owner(folder)
        second = plan_cli(folder, "run", "plan.toml")
        assert second.returncode == 1
        assert f"plan 'small' is already running (pid {first.pid} on " in second.stderr
        assert owner["pid"] == first.pid
    finally:
        _stop(first)


def test_ctrl_c_records_the_interrupted_cell_and_the_next_run_completes(tmp_path: Path) -> None:
    folder = workspace(tmp_path, fake_latency=600)  # the first cell is still running when SIGINT comes
    runner = _start(folder)
    try:
        lines = _stderr_lines(runner)
        _wait_for(lambda: any(line.startswith("cell 1/12 ") and ": running" in line for line in lines))
        workspace(tmp_path, fake_latency=0)  # for the next run (this one has read its settings)
        runner.send_signal(signal.SIGINT)
        assert runner.wait(timeout=60) == 130
    finally:
        _stop(runner)
    interrupted = [r for r in records(folder) if r["status"] == "interrupted"]
    assert len(interrupted) == 1
    result = plan_cli(folder, "run", "plan.toml")
    assert result.returncode == 0, result.stderr
    succeeded = Counter(plan_of(r)["cell"] for r in records(folder) if r["status"] == "succeeded")
    assert len(succeeded) == 12
    assert set(succeeded.values()) == {1}
    assert plan_of(interrupted[0])["cell"] in succeeded


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGINT, then SIGKILL if it is still there after 60 s: a runner never outlives its test."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=60)


def _stderr_lines(process: subprocess.Popen[str]) -> list[str]:
    """The lines ``process`` writes on stderr, collected by a thread as they come."""
    lines: list[str] = []

    def collect() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)

    threading.Thread(target=collect, daemon=True).start()
    return lines


def _start(folder: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STABLENEW_")}
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "plan", "run", "plan.toml", "--settings", "settings.toml"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_lock_owner(folder: Path) -> dict[str, object]:
    owners: list[Path] = []
    _wait_for(lambda: bool(owners.extend((folder / "records").glob(".plan-*.lock.owner")) or owners))
    _wait_for(lambda: bool(owners[0].read_text(encoding="utf-8")))
    return json.loads(owners[0].read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _wait_for(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("timed out waiting")
