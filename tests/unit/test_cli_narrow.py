"""The app narrowed to the command a process runs (its module alone, then that command alone)
answers exactly as the whole app does."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from adapters.cli import app
from adapters.cli.main import COMMANDS, app_for, build_app
from adapters.cli.narrow import narrowed


def _command_paths(command: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    for name, sub in getattr(command, "commands", {}).items():
        paths += _command_paths(sub, (*path, name))
    return paths


ALL_PATHS = _command_paths(get_command(app))


def _same_answer(args: list[str]) -> str:
    whole = CliRunner().invoke(app, args, terminal_width=200)
    narrow = CliRunner().invoke(narrowed(app, args), args, terminal_width=200)
    alone = CliRunner().invoke(app_for(args), args, terminal_width=200)
    assert (narrow.exit_code, narrow.output) == (whole.exit_code, whole.output)
    assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output)
    return narrow.output


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda path: " ".join(["stablenew", *path]))
def test_every_help_is_the_same_narrowed(path: tuple[str, ...]) -> None:
    output = _same_answer([*path, "--help"])

    assert f"Usage: stablenew {' '.join(path)}".rstrip() in output


def test_a_command_of_a_group_is_built_alone() -> None:
    built = _command_paths(get_command(narrowed(app, ["records", "list", "--limit", "3"])))

    assert built == [(), ("records",), ("records", "list")]
    assert len(ALL_PATHS) > len(built) + 10


def test_a_group_without_its_command_keeps_all_its_commands() -> None:
    built = _command_paths(get_command(narrowed(app, ["records", "--help"])))

    assert sorted(built) == sorted(path for path in ALL_PATHS if path[:1] in ((), ("records",)))


@pytest.mark.parametrize(
    "args", [[], ["--version"], ["-h"], ["no-such-command"], ["--", "run"]], ids=" ".join
)
def test_anything_but_a_command_name_keeps_the_whole_app(args: list[str]) -> None:
    assert narrowed(app, args) is app


@pytest.mark.parametrize(
    "args",
    [
        ["records", "list", "--limit", "0"],
        ["records", "no-such-command"],
        ["records", "lst"],
        ["runn"],
        ["run", "--no-such-option"],
    ],
    ids=" ".join,
)
def test_usage_errors_read_the_same_narrowed(args: list[str]) -> None:
    output = _same_answer(args)

    assert output


def test_the_whole_app_is_left_as_it_was() -> None:
    before = _command_paths(get_command(app))

    narrowed(app, ["records", "list"])
    narrowed(app, ["run"])

    assert _command_paths(get_command(app)) == before


def test_each_command_module_registers_its_command_and_no_other() -> None:
    whole = {path[0] for path in ALL_PATHS if path}

    assert whole == {*COMMANDS, "records"}
    for name in COMMANDS:
        assert {path[0] for path in _command_paths(get_command(build_app(name))) if path} == {"records", name}
