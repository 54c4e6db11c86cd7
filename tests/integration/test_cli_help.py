"""What ``-h`` says: flags that take no value show no type; run flags name their defaults truly."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from adapters.cli.main import app
from adapters.settings import Settings


def commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [(*prefix, str(info.name)) for info in group.registered_commands]
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        found += commands(sub.typer_instance, (*prefix, str(sub.name)))
    return found


def help_of(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [(), *commands(app)], ids=lambda c: " ".join(c) or "stablenew")
def test_no_help_labels_a_flag_as_taking_a_value(command: tuple[str, ...]) -> None:
    text = help_of(*command)

    assert "<bool>" not in text
    assert "--help" in text


def test_run_flags_that_take_a_value_still_show_its_type() -> None:
    text = help_of("run")

    assert re.search(r"--steps\s+<int>", text)
    assert re.search(r"--json\s+Print the result", text)


@pytest.mark.parametrize(
    ("flag", "setting"),
    [
        ("--steps", "pipeline.steps"),
        ("--cfg-scale", "pipeline.cfg_scale"),
        ("--sampler", "pipeline.sampler"),
        ("--width", "pipeline.width"),
        ("--denoising-strength", "pipeline.denoising_strength"),
        ("--upscaler", "pipeline.upscaler"),
        ("--upscale-factor", "pipeline.upscale_factor"),
        ("--records", "learning.records_path"),
        ("--output", "output.dir"),
    ],
)
def test_run_help_names_the_setting_and_its_real_built_in_default(flag: str, setting: str) -> None:
    section, name = setting.split(".")
    built_in = getattr(getattr(Settings.model_construct(), section), name)
    words = " ".join(help_of("run").replace("│", " ").split())
    after_flag = words.split(f" {flag} ", 1)[1]

    assert after_flag.split(" --", 1)[0].endswith(f"Default: the {setting} setting, else {built_in}.")
