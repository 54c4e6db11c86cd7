"""The CLI's consoles: stored text is never markup and never a terminal control code; our own styles are."""

from __future__ import annotations

import io

from rich.console import Console

from adapters.cli.common import LazyConsole


def _terminal() -> tuple[LazyConsole, io.StringIO]:
    out = io.StringIO()
    console = LazyConsole(to_stderr=False)
    console.__dict__["console"] = Console(
        file=out,
        force_terminal=True,
        color_system="standard",
        soft_wrap=True,
        highlight=False,
        markup=False,
        emoji=False,
    )
    return console, out


def test_control_characters_in_text_are_written_out() -> None:
    console, out = _terminal()
    console.print("prompt \x1b[31mred\x1b[0m \x9b2J \x00 [red]x[/red]\nnext")
    assert out.getvalue() == "prompt \\x1b[31mred\\x1b[0m \\x9b2J \\x00 [red]x[/red]\nnext\n"


def test_our_own_styles_still_reach_the_terminal() -> None:
    console, out = _terminal()
    console.print("[green]txt2img[/] done \x1b[2J", markup=True)
    assert out.getvalue() == "\x1b[32mtxt2img\x1b[0m done \\x1b[2J\n"


def test_tables_are_cleaned_too() -> None:
    from rich.table import Table
    from rich.text import Text

    console, out = _terminal()
    table = Table(box=None, show_header=False)
    table.add_column("prompt")
    table.add_row(Text("\x1b]0;title\x07x"))
    console.print(table)
    assert "\x1b]" not in out.getvalue()
    assert "\\x1b]0;title" in out.getvalue()
