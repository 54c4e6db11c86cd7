"""``stablenew mcp``: serve the history to AI assistants over stdio (docs/llm.md).

Exit codes: 0 the client closed the connection; 1 the history could not be read;
2 a bad request, or the MCP SDK (the ``mcp`` extra) is not installed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from adapters.cli.common import EXIT_USAGE, SettingsOption, exit_with
from adapters.cli.history_session import FeedbackOption, RecordsOption, open_session


def register(app: typer.Typer) -> None:
    app.command("mcp")(mcp)


def mcp(
    allow_write: Annotated[
        bool, typer.Option("--allow-write", help="Also offer the rate_run and tag_run tools.")
    ] = False,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Serve the history over stdio with the Model Context Protocol: packs, summary, insights,
    search_runs, run and presets (read-only); rate_run and tag_run with --allow-write.

    Exit codes: 0 the client closed; 1 unreadable history; 2 bad settings or the mcp extra missing.
    """
    from adapters.mcp import INSTALL_HINT, sdk_installed

    if not sdk_installed():
        exit_with(INSTALL_HINT, EXIT_USAGE)
    from adapters.mcp.server import serve
    from adapters.mcp.tools import HistoryTools

    with open_session(settings, records, feedback) as session:
        session.opened.add("feedback")
        serve(HistoryTools(session.container, session.bad_lines), allow_write=allow_write)
