"""plan grid: the contact sheet along two axes, and the plan it carries read back."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from adapters.container import build_container, plan_file, sheet_plan
from adapters.settings import load_settings
from domain.plan import LearningPlan
from tests.plans.workspace import SMALL_PLAN, plan_cli, workspace

TWO_AXES = SMALL_PLAN.replace(
    "[retry]", '[[axes]]\nkey = "sampler"\nvalues = ["Euler a", "DDIM"]\n\n[retry]'
).replace("seeds = [1, 2]", "seeds = [1]")


def test_the_sheet_has_a_square_per_pair_and_carries_the_plan(tmp_path: Path) -> None:
    folder = workspace(tmp_path, TWO_AXES)
    settings, _layers = load_settings(folder / "settings.toml", environ={})
    container = build_container(settings)
    defaults = settings.pipeline.model_dump()
    plan = plan_file(folder / "plan.toml").plan
    container.run_plan()(plan, defaults, max_images=4)  # 4 of the 12 cells: some squares stay empty
    target = tmp_path / "grid.png"
    sheet = container.plan_grid()(plan, defaults, "sampler", "steps", str(target))
    assert len(sheet.squares) == 6  # 2 samplers x 3 step counts
    assert 0 < sum(1 for square in sheet.squares.values() if square.image) < 6
    assert {square.note for square in sheet.squares.values() if not square.image} == {"not run yet"}
    with Image.open(target) as image:
        assert image.format == "PNG"
        assert image.width > 2 * 192
    carried = sheet_plan(target)
    assert carried == json.loads(json.dumps(plan.to_dict()))
    assert LearningPlan.from_dict(carried).plan_id == plan.plan_id


def test_a_bad_axis_is_one_line_exit_2_and_no_file(tmp_path: Path) -> None:
    folder = workspace(tmp_path, TWO_AXES)
    result = plan_cli(folder, "grid", "plan.toml", "--x", "sampler", "--y", "cfg_scale", "-o", "grid.png")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "--y: 'cfg_scale' is not an axis of plan small (its axes: steps, sampler)" in result.stderr
    assert not (folder / "grid.png").exists()
    ok = plan_cli(folder, "grid", "plan.toml", "--x", "sampler", "--y", "steps", "-o", "grid.png")
    assert ok.returncode == 0, ok.stderr
    status = plan_cli(folder, "status", "grid.png")  # the plan read back from the sheet
    assert status.returncode == 0, status.stderr
    assert "plan small (id " in status.stdout
