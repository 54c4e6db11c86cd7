"""``stablenew records list|show|rate|tag|note|prefer|stats|export|query``: review the history.

``records import`` lives in records_import.py.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from adapters.cli import records_import
from adapters.cli.common import (
    EXIT_USAGE,
    SettingsOption,
    exit_with,
    print_json,
    refuse_folder_as_file,
    stderr,
    stdout,
)
from adapters.cli.filter_options import with_run_filter
from adapters.cli.history_session import (
    FeedbackOption,
    JsonOption,
    OutputFileOption,
    RecordsOption,
    open_session,
)
from adapters.cli.times import UtcOption, shown_time, zone_name

if TYPE_CHECKING:
    from rich.table import Table

    from application.history import RunDetail
    from domain.feedback import FeedbackEvent
    from domain.run_filter import RunFilter
    from domain.run_row import RunRow


def register(records: typer.Typer) -> None:
    records.command("list")(list_runs)
    records.command("show")(show)
    records.command("rate")(rate)
    records.command("tag")(tag)
    records.command("note")(note)
    records.command("prefer")(prefer)
    records.command("stats")(stats)
    records.command("export")(export)
    records.command("query")(query)
    records.command("import")(records_import.import_images)


@with_run_filter
def list_runs(
    run_filter: RunFilter,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs (newest first).")] = 20,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            help="Words the prompt or negative prompt must all contain ('light*' matches a word's start).",
        ),
    ] = None,
    json_output: JsonOption = False,
    utc: UtcOption = False,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Recent runs, newest first, from the history index (kept up to date with the files).

    Times are local (``--utc`` for UTC); ``--json`` always gives the stored UTC times."""
    with open_session(settings, records, feedback) as session:
        rows = session.history.recent(limit, run_filter, search)
        if json_output:
            print_json([row.to_dict() for row in rows])
            return
        if not rows:
            stdout.print("no runs match")
            return
        stdout.print(runs_table(rows, utc=utc))


def runs_table(rows: list[RunRow], *, utc: bool = False) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    # Fixed-width facts never shrink; names give way (with an ellipsis) on a narrow terminal.
    when = f"time ({zone_name(utc=utc)})"
    fixed = {when: 16, "run": 8, "size": 9}
    columns = [
        when,
        "run",
        "status",
        "pack",
        "model",
        "sampler",
        "steps",
        "cfg",
        "size",
        "duration",
        "rating",
    ]
    for name in columns:
        table.add_column(name, no_wrap=True, overflow="ellipsis", min_width=fixed.get(name, len(name)))
    table.add_column("prompt", no_wrap=True, overflow="ellipsis", max_width=48)
    table.add_column("tags", overflow="fold")
    for row in rows:
        cells = (
            shown_time(row.timestamp, utc=utc),
            row.run_id[:8],
            row.status,
            row.pack or "",
            row.model,
            row.sampler,
            "" if row.steps is None else str(row.steps),
            "" if row.cfg_scale is None else f"{row.cfg_scale:g}",
            row.size,
            f"{row.duration_ms / 1000:.1f}s",
            "" if row.rating is None else f"{row.rating}/5",
            " ".join(row.prompt.split()),
            ", ".join(row.tags),
        )
        table.add_row(*(Text(cell) for cell in cells))  # stored text is never read as markup
    return table


def show(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix of it.")],
    json_output: JsonOption = False,
    utc: UtcOption = False,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Everything about one run: settings, stages, images and the feedback history."""
    with open_session(settings, records, feedback) as session:
        detail = session.history.detail(run_id)
        if json_output:
            print_json(detail_dict(detail))
        else:
            stdout.print(describe_detail(detail, utc=utc))


def detail_dict(detail: RunDetail) -> dict[str, Any]:
    return {
        "record": detail.record.to_dict(),
        "feedback": detail.feedback.to_dict(),
        "images": [
            {**output.to_dict(), "exists": Path(output.path).is_file()} for output in detail.record.outputs
        ],
    }


def describe_detail(detail: RunDetail, *, utc: bool = False) -> str:
    row, record, fb = detail.row, detail.record, detail.feedback
    lines = [
        f"run        {row.run_id}",
        f"time       {shown_time(row.timestamp, utc=utc, seconds=True)}",
        f"status     {row.status} (source: {row.source})",
        f"pack       {row.pack or '-'}  prompt id: {row.prompt_id or '-'}",
        f"prompt     {_clipped(row.prompt)}",
        f"negative   {_clipped(row.negative_prompt) or '-'}",
        f"model      {row.model or '-'}" + (f" [{row.model_hash}]" if row.model_hash else ""),
        f"sampler    {row.sampler or '-'}  scheduler: {row.scheduler or '-'}",
        f"steps      {_shown(row.steps)}  cfg: {_shown(row.cfg_scale)}  size: {row.size or '-'}"
        f"  seed: {_shown(row.seed)}",
        f"duration   {row.duration_ms / 1000:.2f}s  images: {row.image_count}",
    ]
    if row.plan_id:
        lines.append(f"plan       {row.plan_id} variant {row.variant_index}")
    imported = record.metadata.get("import")
    if isinstance(imported, Mapping) and imported.get("tool"):
        source = f"{imported['tool']} ({imported.get('format', '?')})"
        lines.append(f"imported   from {source} at {imported.get('path', '-')}")
    lines.append("stages")
    for event in record.stage_events:
        took = "" if event.duration_ms is None else f" {event.duration_ms} ms"
        error = f" error: {event.error}" if event.error else ""
        lines.append(f"  {event.stage:<8} {event.status}{took}, {event.image_count} image(s){error}")
    lines.append("images")
    for output in record.outputs:
        missing = "" if Path(output.path).is_file() else "  (missing)"
        lines.append(
            f"  {output.stage}[{output.index}] {output.width}x{output.height} {output.path}{missing}"
        )
    rated_at = shown_time(fb.rated_at or "", utc=utc, seconds=True)
    rating = f"{fb.rating}/5 by {fb.rated_by} at {rated_at}" if fb.rating else "not rated"
    lines.append(f"rating     {rating}")
    lines.append(f"tags       {', '.join(fb.tags) or '-'}")
    if fb.wins or fb.losses:
        lines.append(f"choices    preferred {fb.wins} time(s), passed over {fb.losses} time(s)")
    lines.append("feedback history" if fb.events else "feedback history: none")
    lines += [f"  {describe_event(event, row.run_id, utc=utc)}" for event in fb.events]
    return "\n".join(lines)


def describe_stored(event: FeedbackEvent) -> str:
    """What one more event of a command stored, in a few words."""
    if event.kind == "tags":
        return f"tagged {_tag_changes(event)}"
    if event.kind == "note":
        return f"noted {event.note!r}"
    return event.kind


def _tag_changes(event: FeedbackEvent) -> str:
    return " ".join([f"+{t}" for t in event.tags_added] + [f"-{t}" for t in event.tags_removed])


def describe_event(event: FeedbackEvent, run_id: str, *, utc: bool = False) -> str:
    head = f"{shown_time(event.timestamp, utc=utc, seconds=True)} {event.by}"
    if event.kind == "rating":
        return f"{head} rated {event.rating}/5"
    if event.kind == "tags":
        return f"{head} tagged {_tag_changes(event)}"
    if event.kind == "note":
        return f"{head} noted: {_clipped(event.note or '')}"
    if event.run_id == run_id:
        return f"{head} preferred it over {event.worse_run_id}"
    return f"{head} preferred {event.run_id} over it"


def rate(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix of it.")],
    rating: Annotated[int, typer.Argument(help="1 (worst) to 5 (best).")],
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Also add this tag (repeatable).")] = None,
    note_text: Annotated[str | None, typer.Option("--note", help="Also add a note.")] = None,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Rate a run 1-5 (the latest rating counts; earlier ones stay in the history)."""
    with open_session(settings, records, feedback) as session:
        events = session.recorder().rate(run_id, rating, tag or (), note_text)
        first = events[0]
        also = [describe_stored(event) for event in events[1:]]
        extra = f", {', '.join(also)}" if also else ""
        stdout.print(f"rated {first.run_id[:8]} {first.rating}/5 as {first.by}{extra}")


def tag(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix of it.")],
    tags: Annotated[list[str] | None, typer.Argument(help="Tags to add.")] = None,
    remove: Annotated[list[str] | None, typer.Option("--remove", help="Tag to remove (repeatable).")] = None,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Add tags to a run (or remove them with --remove)."""
    with open_session(settings, records, feedback) as session:
        event = session.recorder().tag(run_id, tags or (), remove or ())
        stdout.print(f"tagged {event.run_id[:8]} {_tag_changes(event)} as {event.by}")


def note(
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix of it.")],
    text: Annotated[str, typer.Argument(help="The note.")],
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Add a note to a run."""
    with open_session(settings, records, feedback) as session:
        event = session.recorder().note(run_id, text)
        stdout.print(f"noted on {event.run_id[:8]} as {event.by}")


def prefer(
    better: Annotated[str, typer.Argument(help="The better run (id or unique prefix).")],
    worse: Annotated[str, typer.Argument(help="The run it beats.")],
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Record a pairwise choice: BETTER is better than WORSE."""
    with open_session(settings, records, feedback) as session:
        event = session.recorder().choose(better, worse)
        stdout.print(f"preferred {event.run_id[:8]} over {(event.worse_run_id or '')[:8]}")


@with_run_filter
def stats(
    run_filter: RunFilter,
    json_output: JsonOption = False,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Runs per model and sampler, stage durations (p50/p95) and the rating distribution."""
    with open_session(settings, records, feedback) as session:
        result = session.history.stats(run_filter)
        if json_output:
            print_json(result.to_dict())
            return
        lines = [f"runs: {result.runs}"]
        for title, counts in (
            ("model", result.by_model),
            ("sampler", result.by_sampler),
            ("status", result.by_status),
        ):
            lines.append(f"by {title}:")
            lines += [f"  {name:<24} {count}" for name, count in counts]
        lines.append("stage durations:")
        lines += [
            f"  {s.stage:<10} p50 {s.p50_ms / 1000:.2f}s  p95 {s.p95_ms / 1000:.2f}s  ({s.count} runs)"
            for s in result.stages
        ]
        lines.append("ratings:")
        top = max([count for _, count in result.ratings] + [result.unrated, 1])
        for value, count in result.ratings:
            lines.append(f"  {value}  {'#' * round(30 * count / top):<30} {count}")
        lines.append(f"  -  {'#' * round(30 * result.unrated / top):<30} {result.unrated} unrated")
        stdout.print("\n".join(lines))


@with_run_filter
def export(
    run_filter: RunFilter,
    format_name: Annotated[
        Literal["csv", "jsonl", "parquet"], typer.Option("--format", help="csv, jsonl or parquet.")
    ] = "csv",
    output: OutputFileOption = None,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """One flat row per run (newest first) with its current rating and tags."""
    if format_name == "parquet" and output is None:
        exit_with("--format parquet needs --output FILE (it is binary)", EXIT_USAGE)
    refuse_folder_as_file("--output", output, f"runs.{format_name}")
    with open_session(settings, records, feedback) as session:
        count = session.exporter()(run_filter, format_name, sys.stdout if output is None else output)
        if output is not None:
            stderr.print(f"wrote {count} run(s) to {output}")


def query(
    sql: Annotated[str, typer.Argument(help="SQL over tables runs, stages and feedback.")],
    json_output: JsonOption = False,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Ask the history anything in SQL (DuckDB, an optional extra: uv sync --extra query).

    Tables: runs (one flat row per run, as `records export`), stages (run_id, stage,
    duration_ms) and feedback (every event). Example: SELECT model, avg(rating) FROM runs GROUP BY model
    """
    from rich.table import Table
    from rich.text import Text

    with open_session(settings, records, feedback) as session:
        columns, result = session.query()(sql)
        if json_output:
            print_json([dict(zip(columns, values, strict=True)) for values in result])
            return
        if len(columns) > WIDE_RESULT:  # a row per block, as psql's expanded display: nothing squeezed
            width = max(len(column) for column in columns)
            for number, values in enumerate(result, 1):
                stdout.print(f"-[ row {number} ]" + "-" * 20)
                for column, value in zip(columns, values, strict=True):
                    stdout.print(f"{column:<{width}} | {'' if value is None else value}")
        else:
            table = Table(box=None, pad_edge=False, header_style="bold")
            for column in columns:
                table.add_column(column, overflow="fold")
            for values in result:
                table.add_row(*(Text("" if value is None else str(value)) for value in values))
            stdout.print(table)
        stderr.print(f"{len(result)} row(s)")


SHOWN_CHARACTERS = 2000
WIDE_RESULT = 8  # columns: more are shown one row per block


def _clipped(text: str) -> str:
    """A long text cut for a person; ``--json`` gives it whole."""
    if len(text) <= SHOWN_CHARACTERS:
        return text
    return f"{text[:SHOWN_CHARACTERS]}... ({len(text) - SHOWN_CHARACTERS} more characters: --json shows all)"


def _shown(value: object) -> str:
    """A value for a person: '-' where the record holds none."""
    return "-" if value is None else str(value)
