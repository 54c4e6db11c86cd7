"""What ``-h`` says: flags that take no value show no type; run flags name their defaults truly."""

from __future__ import annotations

import inspect
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


def help_of(*command: str, columns: int = 200) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": str(columns)})
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


def paragraphs(command: tuple[str, ...]) -> list[str]:
    """The paragraphs of a command's docstring, each as one line of words."""
    group = app
    for name in command[:-1]:
        group = next(g.typer_instance for g in group.registered_groups if g.name == name)
    info = next(c for c in group.registered_commands if c.name == command[-1])
    doc = inspect.getdoc(info.callback) or ""
    return [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]


def lines_of(text: str) -> list[str]:
    return [" ".join(line.replace("│", " ").split()) for line in text.splitlines()]


@pytest.mark.parametrize("command", commands(app), ids=" ".join)
def test_each_paragraph_of_a_command_help_is_one_line_on_a_wide_terminal(command: tuple[str, ...]) -> None:
    own = lines_of(help_of(*command, columns=1000))
    listing = lines_of(help_of(*command[:-1], columns=1000))
    texts = paragraphs(command)

    for paragraph in texts:
        assert any(paragraph in line for line in own), paragraph
    assert any(line.endswith(texts[0]) for line in listing), texts[0]
