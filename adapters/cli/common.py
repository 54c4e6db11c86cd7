"""What every command shares: one-line errors, exit codes, and loading the settings.

Kept cheap to import: every command module imports it, and so does ``stablenew --help``.
"""

from __future__ import annotations

import re
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from adapters.settings import PresetLayer, Settings, SettingsLayers

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class LazyConsole:
    """A rich Console made on its first ``print``, so commands that print nothing never load rich.

    Text is printed as it is: no markup and no ``:emoji:`` codes, since prompts, tags and notes use
    brackets and colons (``[cat:dog:0.5]``). A line of our own that wants style says ``markup=True``
    and escapes every value in it. Control characters in the text (an escape sequence in a recorded
    or imported prompt) are shown as ``\x1b``, never sent to the terminal to act on.
    """

    def __init__(self, *, to_stderr: bool) -> None:
        self._to_stderr = to_stderr

    @cached_property
    def console(self) -> Console:
        from rich.console import Console

        if self._to_stderr:
            return Console(stderr=True, soft_wrap=True, highlight=False, markup=False, emoji=False)
        # Piped output is not cut to 80 columns: tables stay whole for grep and files.
        width = None if sys.stdout.isatty() else 200
        return Console(soft_wrap=True, highlight=False, markup=False, emoji=False, width=width)

    def print(self, *objects: Any, markup: bool = False) -> None:
        console = self.console
        if all(isinstance(item, str) for item in objects):
            objects = (console.render_str(" ".join(objects), markup=markup),)
        console.print(*(_Visible(item) for item in objects))


class _Visible:
    """Renders ``inner`` with every control character of its text written out (``\x1b``); the
    terminal codes rich adds for its own styles are separate segments and pass unchanged."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __rich_console__(self, console: Console, options: Any) -> Any:
        from rich.segment import Segment

        for segment in console.render(self._inner, options):
            if segment.control or not _CONTROL.search(segment.text):
                yield segment
            else:
                yield Segment(_CONTROL.sub(_written_out, segment.text), segment.style)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all C0 and C1 but tab and newline


def _written_out(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


stdout = LazyConsole(to_stderr=False)
stderr = LazyConsole(to_stderr=True)

SettingsOption = Annotated[
    Path | None,
    typer.Option(
        "--settings",
        help="Settings file (default: $STABLENEW_SETTINGS, else ./settings.toml if present).",
        show_default=False,
    ),
]


def duration_text(seconds: float) -> str:
    """An estimate as a person reads it: ``1 h 5 min``, ``3 min 20 s`` or ``12.5 s``."""
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout, one document (what ``--json`` prints)."""
    import orjson

    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def refuse_folder_as_file(option: str, path: Path | None, example: str) -> None:
    """Exit 2 when the file ``option`` names is a folder (``-o /``, ``-o .``, ``-o ""``), before any work."""
    if path is not None and (path.is_dir() or not path.name):
        exit_with(f"{option}: {path} is a folder; give a file name such as {path / example}", EXIT_USAGE)


def exit_with(message: str, code: int = EXIT_FAILED) -> NoReturn:
    """Print ``error: message`` as one line on stderr and leave with ``code``."""
    one_line = " ".join(str(message).split())
    stderr.print(f"error: {one_line}")
    raise typer.Exit(code)


def load_settings_or_exit(
    settings_file: Path | None, flags: dict[str, Any] | None = None, preset: PresetLayer | None = None
) -> tuple[Settings, SettingsLayers]:
    """The effective settings, or exit 2 with one line naming the bad key and where it came from."""
    from adapters.settings import SettingsError, load_settings  # pydantic-settings: only when needed

    try:
        return load_settings(settings_file, _drop_unset(flags or {}), preset=preset)
    except SettingsError as exc:
        exit_with(str(exc), EXIT_USAGE)


def _drop_unset(flags: dict[str, Any]) -> dict[str, Any]:
    """Flags the user did not give are None; they must not hide lower layers."""
    cleaned: dict[str, Any] = {}
    for key, value in flags.items():
        if isinstance(value, dict):
            nested = _drop_unset(value)
            if nested:
                cleaned[key] = nested
        elif value is not None:
            cleaned[key] = value
    return cleaned
