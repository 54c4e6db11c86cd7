"""plan grid: the contact sheet along two axes, and the plan it carries read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


def test_the_writer_draws_a_missing_image_as_a_note_and_replaces_the_file_whole(tmp_path: Path) -> None:
    from adapters.plans.contact_sheet import PillowContactSheet, read_sheet_plan
    from domain.plan_grid import GridSheet, GridSquare

    picture = tmp_path / "a.png"
    Image.new("RGB", (300, 200), (200, 30, 30)).save(picture)
    squares = {
        (0, 0): GridSquare("steps=1", "a.png", 4.5, 2),
        (1, 0): GridSquare("steps=2", "gone.png", None, 0),
        (2, 0): GridSquare("steps=3", None, None, 0, "failed"),
    }
    sheet = GridSheet("p (id)", "steps", (1, 2, 3), None, (), squares)
    target = tmp_path / "sheet.png"
    target.write_bytes(b"old")
    PillowContactSheet(tmp_path).write(sheet, str(target), '{"name": "p"}')
    assert read_sheet_plan(target) == {"name": "p"}
    with Image.open(target) as image:
        red = image.convert("RGB").getpixel((140 + 96, 56 + 60))
    assert red == (200, 30, 30)  # the readable image is drawn in its square
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []  # no temp left


@pytest.mark.parametrize(("given", "shown"), [("/", "/"), ("", "."), ("sheets", "sheets")])
def test_an_output_that_is_a_folder_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, shown: str
) -> None:
    from typer.testing import CliRunner

    from adapters.cli.main import app

    folder = workspace(tmp_path)
    (folder / "sheets").mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("STABLENEW_SETTINGS", str(folder / "settings.toml"))
    result = CliRunner().invoke(app, ["plan", "grid", "plan.toml", "--x", "sampler", "-o", given])
    assert result.exit_code == 2, result.output
    assert result.output.splitlines() == [
        f"error: --output: {shown} is a folder; give a file name such as {Path(shown) / 'grid.png'}"
    ]
