"""The ``stablenew`` command: one Typer app; each command group lives in its own module.

A process imports and builds only the module of the command it runs (the whole app for help, the
version or a name that is no command); each command imports what it uses when it runs, so
``stablenew --help`` loads no settings, container, Pillow or httpx.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from adapters.cli.common import EXIT_INTERRUPTED, EXIT_USAGE
from adapters.cli.narrow import narrowed
from adapters.cli.version import version_text

_type_label = typer.core.TyperOption.display_type_rich


def _no_label_for_flags(option: typer.core.TyperOption, ctx: Any) -> str | None:
    """Typer 0.29 labels on/off flags ``<bool>``, which reads as if they took a value (and
    ``--json true`` is then refused); a flag shows no type, as click and older Typer showed it."""
    return None if option.is_flag else _type_label(option, ctx)


typer.core.TyperOption.display_type_rich = _no_label_for_flags  # type: ignore[method-assign,assignment]

# Each top-level command NAME is registered by adapters/cli/NAME_cmd.py, in this order (the help's);
# the records group's commands by these modules.
COMMANDS = (
    "run", "settings", "backend", "review", "insights", "export",
    "mcp", "preset", "plan", "submit", "worker", "queue",
)  # fmt: skip
RECORDS_MODULES = ("records_store", "records_review", "records_index", "records_sync")


def _print_version(value: bool) -> None:
    if value:
        print(version_text())
        raise typer.Exit()


def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    pass


def build_app(command: str | None = None) -> typer.Typer:
    """The app with every command, or, when ``command`` names one, only the module(s) registering it."""
    app = typer.Typer(
        name="stablenew",
        help="Run Stable Diffusion pipelines and keep a learning history of every run.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        # Subcommands inherit the help option names from this context.
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_options)
    records_app = typer.Typer(
        help="Inspect, verify, rate and query the learning history.", no_args_is_help=True
    )
    app.add_typer(records_app, name="records")
    known = command in COMMANDS or command == "records"
    for name in COMMANDS:
        if not known or name == command:
            importlib.import_module(f"adapters.cli.{name}_cmd").register(app)
    if not known or command == "records":
        for module in RECORDS_MODULES:
            importlib.import_module(f"adapters.cli.{module}").register(records_app)
    _flow_help(app)
    return app


def _flow_help(group: typer.Typer) -> None:
    """Typer 0.29's rich help keeps a docstring's line breaks inside a paragraph (in the command
    list, and in a command's later paragraphs), so a wrapped docstring prints as ragged lines; each
    paragraph becomes one line for the terminal to wrap. A line starting "- " or "* " stays a list item."""
    for command in group.registered_commands:
        text = command.help or inspect.getdoc(command.callback)
        if text:
            command.help = flowed(text)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _flow_help(sub.typer_instance)


def flowed(text: str) -> str:
    """Each paragraph of ``text`` on one line, list items ("- ", "* ") on lines of their own."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not line.startswith(("- ", "* ")):
                lines[-1] = f"{lines[-1]} {line.strip()}"
            else:
                lines.append(line.strip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def app_for(args: Sequence[str]) -> typer.Typer:
    """The app a process with these arguments needs: the modules of the command they name, and of
    those only that command (importing and building every command's module costs every start)."""
    command = args[0] if args and not args[0].startswith("-") else None
    return narrowed(build_app(command), args)


@functools.cache
def _whole_app() -> typer.Typer:
    return build_app()


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole app, built on first use (tests, embedding)
        return _whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors become one line and exit code 2, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = sys.argv[1:] if argv is None else argv
    command = typer.main.get_command(app_for(args))
    try:
        code = command.main(args=args, prog_name="stablenew", standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        print("error: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except typer.TyperException as exc:  # Typer's click errors: bad flags, missing arguments
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":  # Typer has already shown the help
            code = 0
        else:
            where = f" ({ctx.command_path})" if ctx is not None else ""
            print(f"error: {' '.join(exc.format_message().split())}{where}", file=sys.stderr)
            code = getattr(exc, "exit_code", EXIT_USAGE)
    finally:
        if "adapters.container" in sys.modules:  # not imported for --help: nothing was built
            from adapters.container import shutdown_containers

            shutdown_containers()
    sys.exit(code if isinstance(code, int) else 0)
