"""``stablenew export llm``: one pack's history as a compact JSON summary for an LLM (docs/llm.md).

Exit codes: 0 written; 1 the history could not be read; 2 a bad request (unknown pack or model,
``--max-chars`` below what the uncuttable sections need).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from adapters.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    SettingsOption,
    exit_with,
    refuse_folder_as_file,
    stderr,
)
from adapters.cli.history_session import FeedbackOption, OutputFileOption, RecordsOption, open_session


def register(app: typer.Typer) -> None:
    export_app = typer.Typer(help="Write the history in forms other tools read.", no_args_is_help=True)
    export_app.command("llm")(llm)
    app.add_typer(export_app, name="export")


def llm(
    pack: Annotated[str, typer.Option("--pack", help="The prompt pack (glob).", show_default=False)],
    model: Annotated[str | None, typer.Option("--model", help="Only runs of this model (glob).")] = None,
    max_chars: Annotated[
        int | None,
        typer.Option("--max-chars", min=1, help="Cut sections (docs/llm.md order) until it fits."),
    ] = None,
    redact_prompts: Annotated[
        bool, typer.Option("--redact-prompts", help="Leave the example runs' prompt texts out.")
    ] = False,
    output: OutputFileOption = None,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Coverage, baseline, effects with verdicts, pairwise scores, presets and whether they hold,
    open questions, stage timings and the best and worst runs of one pack, as one line of JSON
    (the same history gives the same bytes).

    Exit codes: 0 written; 1 unreadable history; 2 unknown pack or model, or --max-chars too small.
    """
    from domain.insights import InsightsError
    from domain.llm_summary import SummaryTooLarge

    refuse_folder_as_file("--output", output, "summary.json")
    with open_session(settings, records, feedback) as session:
        try:
            summary = session.summarize_for_llm()(
                pack=pack, model=model, max_chars=max_chars, redact_prompts=redact_prompts
            )
        except InsightsError as exc:
            exit_with(str(exc), EXIT_USAGE if exc.usage else EXIT_FAILED)
        except SummaryTooLarge as exc:
            exit_with(str(exc), EXIT_USAGE)
        text = summary.to_json() + "\n"
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
            cut = ", ".join(f"{section} -{removed}" for section, removed in summary.cut)
            stderr.print(f"wrote {output} ({len(text) - 1} characters{'; cut ' + cut if cut else ''})")
