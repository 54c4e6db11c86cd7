"""LearningPlan from a plan file: the issue's example, identity, cells and refusals."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from adapters.plans.plan_file import PlanFileError, load_plan, located, parse_plan
from domain.plan import DesignKind, LearningPlan, PlanError
from domain.plan_cells import model_switches, plan_steps, run_order, variants

EXAMPLE = Path(__file__).with_name("example.toml")


def _example() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def test_the_issue_example_gives_32_runs() -> None:
    plan = load_plan(EXAMPLE)
    steps = plan_steps(plan, {})
    assert len(steps) == 32
    assert [v.label() for v in variants(plan) if v.excluded] == ["sampler=DDIM, steps=40"]
    assert {step.config.steps for step in steps} == {20, 30, 40}
    assert all(step.config.stage_plan == ("txt2img", "upscale") for step in steps)
    assert len({step.cell_id for step in steps}) == 32


def test_plan_id_ignores_key_order_comments_and_how_values_are_written() -> None:
    text = _example()
    reordered = text.replace(
        'schema = 1\nname = "portraits-sampler-steps"\npack = "portraits"',
        '# a comment\npack = "portraits"  # the pack\nname = "portraits-sampler-steps"\nschema = 1',
    ).replace('range = "20-40 (+10)"', "values = [20, 30, 40]")
    assert reordered != text
    assert parse_plan(reordered).plan_id == parse_plan(text).plan_id


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("seeds = [101, 202]", "seeds = [101, 203]"),
        ("max_images = 200", "max_images = 199"),
        ('"DDIM"]', '"DDIM", "Heun"]'),
        ("width = 512", "width = 768"),
        ('on_error = "continue"', 'on_error = "stop"'),
        ('name = "portraits-sampler-steps"', 'name = "portraits-2"'),
    ],
)
def test_plan_id_changes_with_any_value(old: str, new: str) -> None:
    text = _example()
    assert old in text
    assert parse_plan(text.replace(old, new)).plan_id != parse_plan(text).plan_id


def test_a_grown_plan_keeps_the_cell_ids_of_its_old_cells() -> None:
    old = plan_steps(parse_plan(_example()), {})
    grown = plan_steps(parse_plan(_example().replace("seeds = [101, 202]", "seeds = [101, 202, 303]")), {})
    assert {step.cell_id for step in old} < {step.cell_id for step in grown}
    assert len(grown) == 48


def test_canonical_content_reads_back_to_the_same_plan() -> None:
    plan = load_plan(EXAMPLE)
    again = LearningPlan.from_dict(plan.to_dict())
    assert again == plan
    assert again.plan_id == plan.plan_id


def test_one_at_a_time_varies_each_axis_around_the_baseline() -> None:
    text = _example().replace('kind = "grid"', 'kind = "one_at_a_time"\nbaseline = {steps = 30}')
    plan = parse_plan(text)
    assert plan.design.kind is DesignKind.ONE_AT_A_TIME
    labels = [v.label() for v in variants(plan)]
    assert labels == [
        "sampler=Euler a, steps=30",
        "sampler=DPM++ 2M, steps=30",
        "sampler=DDIM, steps=30",
        "sampler=Euler a, steps=20",
        "sampler=Euler a, steps=40",
    ]


def test_run_order_groups_models_and_upscalers() -> None:
    text = _example().replace(
        '[[axes]]\nkey = "sampler"',
        '[[axes]]\nkey = "upscaler"\nvalues = ["Lanczos", "Nearest"]\n\n'
        '[[axes]]\nkey = "model"\nvalues = ["fake-model-v1", "fake-model-xl"]\n\n[[axes]]\nkey = "sampler"',
    )
    steps = plan_steps(parse_plan(text), {})
    assert model_switches(steps) > 1
    ordered = run_order(steps)
    assert model_switches(ordered) == 1
    upscalers = [s.config.stages[1].settings()["upscaler"] for s in ordered]
    assert sum(1 for a, b in itertools.pairwise(upscalers) if a != b) == 3


BAD = [
    ("[budget]", "[budget]\ncolour = 1", ":29: budget.colour: unknown key"),
    ("schema = 1", "lucky = true\nschema = 1", ":1: lucky: unknown key"),
    ("width = 512", 'width = "wide"', ":10: base.width: width takes a whole number"),
    ("seeds = [101, 202]", 'seeds = [101, "two"]', ":5: seeds[1]: must be 0..4294967295"),
    (
        'values = ["Euler a", "DPM++ 2M", "DDIM"]',
        "values = []",
        ":15: axes[0].values: the axis has no values",
    ),
    ('range = "20-40 (+10)"', 'range = "20-40 (-10)"', ":19: axes[1].range: step -10 goes away"),
    ('range = "20-40 (+10)"', 'range = "20-25 (+10)"', ":19: axes[1].range: step +10 jumps past"),
    ("max_images = 200", "max_images = 0", ":29: budget.max_images: must be 1 or more"),
    (
        'key = "steps"',
        'key = "denoising_strength"',
        "axes[1].key: denoising_strength is a setting of the img2img",
    ),
    ("steps = 40", "steps = 50", ":23: exclude[0].steps: 50 is not a value of the steps axis"),
    ('kind = "grid"', 'kind = "random"', ":26: design.kind: must be one of grid"),
    ("max_attempts = 2", "max_attempts = 0", ":32: retry.max_attempts: must be 1..10"),
    ('on_error = "continue"', 'on_error = "ignore"', ":33: retry.on_error"),
    ("schema = 1", "schema = 2", ":1: schema: plan schema 2 is not known"),
    ('pack = "portraits"', "", "pack: missing"),
    ("width = 512", "width = 500", ":10: base.width: width must be a multiple of 8"),
    ("images_per_cell = 1", "images_per_cell = 0", ":6: images_per_cell: must be 1..64"),
    ('name = "portraits-sampler-steps"', "name = [", "not valid TOML"),
    (
        "seeds = [101, 202]",
        "seeds = " + "[" * 5000 + "]" * 5000,
        "not valid TOML: arrays or tables nested too deeply",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), BAD, ids=[row[2] for row in BAD])
def test_a_bad_plan_is_one_line_naming_key_and_line(old: str, new: str, expected: str) -> None:
    text = _example()
    assert old in text
    message = _first_error(text.replace(old, new, 1))
    assert expected in message
    assert "\n" not in message


def _first_error(text: str) -> str:
    try:
        plan_steps(parse_plan(text, "plan.toml"), {})
    except PlanFileError as exc:
        return str(exc)
    except PlanError as exc:
        return located(exc, text, "plan.toml")
    raise AssertionError("the plan was accepted")


def test_a_value_refused_when_cells_are_built_is_blamed_on_its_axis() -> None:
    text = _example().replace('range = "20-40 (+10)"', 'range = "400-600 (+100)"')
    plan = parse_plan(text.replace("steps = 40", "steps = 400"))
    with pytest.raises(PlanError) as caught:
        plan_steps(plan, {})
    assert caught.value.key == "axes[1].values"
    assert "steps" in caught.value.message
