"""The filter options every history command shares, declared once (``@with_run_filter``)."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from adapters.cli.common import EXIT_USAGE, exit_with

if TYPE_CHECKING:
    from domain.run_filter import RunFilter

_F = "Filters"
FILTER_OPTIONS: dict[str, Any] = {
    "pack": Annotated[str | None, typer.Option("--pack", help="Prompt pack id (glob).", rich_help_panel=_F)],
    "prompt_id": Annotated[
        str | None, typer.Option("--prompt-id", help="Prompt id (glob).", rich_help_panel=_F)
    ],
    "model": Annotated[
        str | None, typer.Option("--model", help="Model name (glob, e.g. 'sdxl*').", rich_help_panel=_F)
    ],
    "sampler": Annotated[str | None, typer.Option("--sampler", help="Sampler (glob).", rich_help_panel=_F)],
    "scheduler": Annotated[
        str | None, typer.Option("--scheduler", help="Scheduler (glob).", rich_help_panel=_F)
    ],
    "steps": Annotated[
        str | None, typer.Option("--steps", help="30, 30.., ..40, 20..40, >=30.", rich_help_panel=_F)
    ],
    "cfg": Annotated[
        str | None, typer.Option("--cfg", help="CFG scale range, e.g. 5..8.", rich_help_panel=_F)
    ],
    "stage": Annotated[
        str | None, typer.Option("--stage", help="Runs that executed this stage.", rich_help_panel=_F)
    ],
    "status": Annotated[
        str | None, typer.Option("--status", help="succeeded, failed or interrupted.", rich_help_panel=_F)
    ],
    "source": Annotated[str | None, typer.Option("--source", help="pipeline or import.", rich_help_panel=_F)],
    "rating": Annotated[
        str | None,
        typer.Option("--rating", help="4, 4.., 2..3, or 'none' (unrated).", rich_help_panel=_F),
    ],
    "tag": Annotated[
        list[str] | None,
        typer.Option("--tag", help="Runs carrying this tag (repeat for all of several).", rich_help_panel=_F),
    ],
    "since": Annotated[
        str | None,
        typer.Option(
            "--since", help="2026-11-24, 2026-11-24T09:30, or an age: 30m, 12h, 7d.", rich_help_panel=_F
        ),
    ],
    "until": Annotated[
        str | None,
        typer.Option("--until", help="Same forms; a date includes that whole day.", rich_help_panel=_F),
    ],
}

Command = TypeVar("Command", bound=Callable[..., None])


def build_filter(options: dict[str, Any], now: datetime | None = None) -> RunFilter:
    """A RunFilter from the filter options; a malformed one exits 2 naming the option."""
    from domain.run_filter import FilterError, parse_filter

    try:
        return parse_filter(options, now or datetime.now(UTC))
    except FilterError as exc:
        exit_with(str(exc), EXIT_USAGE)


def with_run_filter(command: Command) -> Command:
    """Gives ``command`` the filter options; it receives them as one ``run_filter: RunFilter``.

    The other parameters' annotations are evaluated here, for Typer; ``run_filter``'s is not, so the
    command's module needs RunFilter (and the domain) only for type checking.
    """
    signature = inspect.signature(command)
    kept = [
        p.replace(annotation=_evaluated(p.annotation, command))
        for p in signature.parameters.values()
        if p.name != "run_filter"
    ]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        for name, annotation in FILTER_OPTIONS.items()
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        options = {name: kwargs.pop(name) for name in FILTER_OPTIONS}
        command(**kwargs, run_filter=build_filter(options))

    parameters = [*kept, *added]
    wrapper.__signature__ = signature.replace(parameters=parameters, return_annotation=None)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    return wrapper  # type: ignore[return-value]


def _evaluated(annotation: Any, command: Callable[..., None]) -> Any:
    """What ``inspect.signature(eval_str=True)`` gives: a postponed annotation, evaluated."""
    if isinstance(annotation, str):
        return eval(annotation, vars(sys.modules[command.__module__]))
    return annotation
