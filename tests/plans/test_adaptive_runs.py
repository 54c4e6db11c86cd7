"""Adaptive plans end to end: plan run waits for ratings between rounds, plan status shows the race."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dependency_injector import providers

from adapters.backends.fake import FakeImageBackend
from adapters.container import Container, build_container, plan_file
from adapters.settings import load_settings
from domain.plan_adaptive import RaceState
from tests.plans.workspace import SMALL_PLAN, plan_cli, plan_of, records, workspace

ADAPTIVE_PLAN = (
    SMALL_PLAN.replace("seeds = [1, 2]", "seeds = [1, 2, 3, 4, 5, 6]")
    + '\n[design]\nkind = "adaptive"\nwarmup = 2\nper_round = 2\n'
)
STARS = {1: 1, 2: 5, 3: 4}
"""The stars a rater gives every run of each step count."""


def _container(folder: Path) -> tuple[Container, dict[str, Any]]:
    settings, _layers = load_settings(folder / "settings.toml", environ={})
    container = build_container(settings)
    container.image_backend.override(providers.Object(FakeImageBackend()))
    return container, settings.pipeline.model_dump()


def _rate_all(folder: Path, container: Container) -> int:
    recorder = container.feedback_recorder()
    rated = 0
    for record in records(folder):
        if record["status"] == "succeeded":
            recorder.rate(record["run_id"], STARS[plan_of(record)["variant"]["steps"]])
            rated += 1
    return rated


def test_rounds_wait_for_ratings_run_only_the_arms_still_racing_and_end_with_a_winner(tmp_path: Path) -> None:
    folder = workspace(tmp_path, ADAPTIVE_PLAN)
    container, defaults = _container(folder)
    plan = plan_file(folder / "plan.toml").plan
    warm = container.run_plan()(plan, defaults)
    assert warm.succeeded == 6  # 2 samples x 3 step counts
    assert warm.race is not None
    assert warm.race.state is RaceState.WAITING
    again = container.run_plan()(plan, defaults)
    assert again.ran == ()  # no ratings yet: nothing to run
    assert _rate_all(folder, container) == 6
    for _ in range(10):
        report = container.run_plan()(plan, defaults)
        assert report.race is not None
        if report.race.state in (RaceState.WON, RaceState.SPENT):
            break
        assert report.ran, report.race.state
        _rate_all(folder, container)
    status = container.plan_status()(plan, defaults)
    assert status.race is not None
    assert status.ended
    leader = status.race.race.leader
    assert leader is not None
    assert status.race.label(leader.arm) == "steps=2"
    done = [plan_of(r)["variant"]["steps"] for r in records(folder) if r["status"] == "succeeded"]
    assert len(done) < 36  # fewer runs than the full grid of 3 step counts x 2 prompts x 6 seeds
    assert done.count(1) < done.count(3)  # the 1-star step count left the race first


def test_plan_run_names_the_cells_to_rate_and_plan_status_the_leader_and_the_race(tmp_path: Path) -> None:
    folder = workspace(tmp_path, ADAPTIVE_PLAN)
    run = plan_cli(folder, "run", "plan.toml")
    assert run.returncode == 0, run.stderr
    assert (
        "waiting for ratings: rate the runs of steps=1 (2 run(s)); steps=2 (2 run(s)); steps=3 (2 run(s))"
        in run.stdout
    )
    container, _defaults = _container(folder)
    _rate_all(folder, container)
    status = plan_cli(folder, "status", "plan.toml")
    assert status.returncode == 0, status.stderr
    assert "leader: steps=2, mean " in status.stdout
    assert "still in the race (" in status.stdout
    check = plan_cli(folder, "check", "plan.toml")
    assert check.returncode == 0, check.stderr
    assert "adaptive: a warm-up of 2 of the 12 prompt and seed sample(s) of each combination" in check.stdout
    dry = plan_cli(folder, "run", "plan.toml", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: " in dry.stdout
