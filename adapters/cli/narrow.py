"""Build only the command a process runs, not every command of the app.

Typer turns every registered command into a click command before it parses the arguments, reading
each function's signature and evaluating its annotations: tens of milliseconds for the whole app,
and more with every command added. One process runs one command, so the app is narrowed to the
command (or group, then its command) its arguments name. Whatever else it is given (nothing, a root
option such as ``--help`` or ``--version``, a name no command has, where click's "No such command"
lists the others) keeps the level whole, so help and errors read as before.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import typer
from typer.main import get_command_name
from typer.models import CommandInfo, TyperInfo


def narrowed(app: typer.Typer, args: Sequence[str]) -> typer.Typer:
    """A copy of ``app`` holding only the command (or group) ``args`` start with, else ``app`` itself."""
    if not args or args[0].startswith("-"):
        return app
    name = args[0]
    for command in app.registered_commands:
        if _command_name(command) == name:
            return _with(app, commands=[command], groups=[])
    for group in app.registered_groups:
        sub_app = group.typer_instance
        if _group_name(group) == name and isinstance(sub_app, typer.Typer):
            narrow_group = copy.copy(group)
            narrow_group.typer_instance = narrowed(sub_app, args[1:])
            return _with(app, commands=[], groups=[narrow_group])
    return app


def _with(app: typer.Typer, *, commands: list[CommandInfo], groups: list[TyperInfo]) -> typer.Typer:
    narrow = copy.copy(app)
    narrow.registered_commands = commands
    narrow.registered_groups = groups
    return narrow


def _command_name(command: CommandInfo) -> str | None:
    if isinstance(command.name, str):
        return command.name
    return get_command_name(command.callback.__name__) if command.callback is not None else None


def _group_name(group: TyperInfo) -> str | None:
    """The name given to ``add_typer`` (or to the sub-app); None when it has none of its own."""
    if isinstance(group.name, str):
        return group.name
    sub_app = group.typer_instance
    info_name = getattr(getattr(sub_app, "info", None), "name", None)
    return info_name if isinstance(info_name, str) else None
