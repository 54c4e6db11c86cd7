"""The ``stablenew`` command: one Typer app; each command group lives in its own module.

Building the app imports only Typer and the command modules; each command imports what it uses
when it runs, so ``stablenew --help`` loads no settings, container, Pillow or httpx.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated, Any

import typer

from adapters.cli import (
    backend_cmd,
    export_cmd,
    insights_cmd,
    mcp_cmd,
    plan_cmd,
    preset_cmd,
    queue_cmd,
    records_index,
    records_review,
    records_store,
    records_sync,
    review_cmd,
    run_cmd,
    settings_cmd,
    submit_cmd,
    worker_cmd,
)
from adapters.cli.common import EXIT_INTERRUPTED, EXIT_USAGE
from adapters.cli.narrow import narrowed
from adapters.cli.version import version_text

_type_label = typer.core.TyperOption.display_type_rich


def _no_label_for_flags(option: typer.core.TyperOption, ctx: Any) -> str | None:
    """Typer 0.29 labels on/off flags ``<bool>``, which reads as if they took a value (and
    ``--json true`` is then refused); a flag shows no type, as click and older Typer showed it."""
    return None if option.is_flag else _type_label(option, ctx)


typer.core.TyperOption.display_type_rich = _no_label_for_flags  # type: ignore[method-assign,assignment]

app = typer.Typer(
    name="stablenew",
    help="Run Stable Diffusion pipelines and keep a learning history of every run.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Subcommands inherit the help option names from this context.
    context_settings={"help_option_names": ["-h", "--help"]},
)
records_app = typer.Typer(help="Inspect, verify, rate and query the learning history.", no_args_is_help=True)
app.add_typer(records_app, name="records")


def _print_version(value: bool) -> None:
    if value:
        print(version_text())
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    pass


run_cmd.register(app)
settings_cmd.register(app)
backend_cmd.register(app)
review_cmd.register(app)
insights_cmd.register(app)
export_cmd.register(app)
mcp_cmd.register(app)
preset_cmd.register(app)
plan_cmd.register(app)
submit_cmd.register(app)
worker_cmd.register(app)
queue_cmd.register(app)
records_store.register(records_app)
records_review.register(records_app)
records_index.register(records_app)
records_sync.register(records_app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors become one line and exit code 2, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = sys.argv[1:] if argv is None else argv
    command = typer.main.get_command(narrowed(app, args))  # only the command that runs is built
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
    sys.exit(code if isinstance(code, int) else 0)
