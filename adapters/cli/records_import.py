"""``stablenew records import PATH... [--recursive] [--dry-run] [--json]``: other front-ends' images.

One line per file (imported with its format, skipped or failed with why), a summary per metadata
format, exit 0 when every file was imported or skipped (already there, or holding no generation
metadata), 1 when some file could not be read or held metadata that could not be. A progress bar
shows on a terminal (stderr) while a folder is read.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adapters.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    SettingsOption,
    exit_with,
    print_json,
    stderr,
    stdout,
)
from adapters.cli.history_session import RecordsOption, open_session

if TYPE_CHECKING:
    from domain.import_plan import ImportPlan

_BAR_FROM = 20  # files: fewer are read too fast for a bar to help


def import_images(
    paths: Annotated[
        list[Path], typer.Argument(help="Image files (PNG, JPEG, WEBP) or folders holding them.")
    ],
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Also look in sub-folders.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would be imported.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the per-file report as JSON.")] = False,
    reparse: Annotated[
        bool,
        typer.Option(
            "--reparse",
            help="Read again files imported by an older importer; the new record supersedes the old.",
        ),
    ] = False,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep importing new images appearing under PATH... until Ctrl-C.")
    ] = False,
    records: RecordsOption = None,
    settings: SettingsOption = None,
) -> None:
    """Import images made by other front-ends as records marked source=import (--watch: keep at it).

    Reads A1111 / Forge / SD.Next infotext, ComfyUI graphs, InvokeAI, NovelAI, Fooocus and SwarmUI
    metadata (docs/import.md), chosen by what each file holds, never by its name. Images already
    in the history (same sha256) are skipped, so importing a folder again adds nothing; with
    --reparse, those an older version of the importer read are read again, and each new record
    supersedes the old one (same run, ratings and tags kept). Exit 1
    when a file could not be read or held metadata that could not be; a value out of range is
    left out of its record with a 'note:' line, which does not change the exit code.
    """
    missing = [path for path in paths if not path.exists()]
    if missing:
        exit_with(f"{missing[0]} does not exist", EXIT_USAGE)
    if watch:
        if dry_run or json_output or reparse:
            exit_with("--watch cannot be combined with --dry-run, --json or --reparse", EXIT_USAGE)
        _watch(paths, recursive=recursive, records=records, settings=settings)
        return
    with open_session(settings, records, None, require_records=False) as session, _Bar() as bar:
        plan = session.importer()(
            paths,
            recursive=recursive,
            dry_run=dry_run,
            on_start=bar.start,
            progress=bar.update,
            reparse=reparse,
        )
        records_path = str(session.records_path)
    if json_output:
        _print_json(plan, records_path, dry_run)
    else:
        _print_report(plan, records_path, dry_run)
    if plan.problems:
        raise typer.Exit(EXIT_FAILED)


def _watch(paths: list[Path], *, recursive: bool, records: Path | None, settings: Path | None) -> None:
    """Import what appears under ``paths`` until Ctrl-C; exit 1 if some file failed meanwhile."""
    failed = 0

    def report(plan: ImportPlan) -> None:
        nonlocal failed
        failed += len(plan.problems)
        _print_lines(plan, "imported")

    with open_session(settings, records, None, require_records=False) as session:
        stderr.print(f"watching {', '.join(str(path) for path in paths)} (Ctrl-C stops)")
        try:
            session.import_watcher()(paths, recursive=recursive, on_plan=report)
        except KeyboardInterrupt:
            stderr.print(f"stopped watching ({failed} file(s) failed)")
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _print_lines(plan: ImportPlan, verb: str, *, skipped_known: bool = False) -> None:
    """One line per file: imported ones on stdout, skipped and failed ones and notes on stderr."""
    reread = "would read again" if verb.startswith("would") else "read again"
    if plan.imported:
        stdout.print(
            "\n".join(
                f"{reread if item.reparsed else verb} {item.path} ({item.format}, {item.tool})"
                for item in plan.imported
            )
        )
    problems = [
        f"{'failed' if skipped.problem else 'skipped'} {skipped.path}: {skipped.reason}"
        for skipped in plan.skipped
        if skipped_known or not skipped.known
    ]
    problems += [f"note: {note.path}: {note.text}" for note in plan.notes]
    if problems:
        stderr.print("\n".join(problems))


def _print_report(plan: ImportPlan, records_path: str, dry_run: bool) -> None:
    verb = "would import" if dry_run else "imported"
    # One print per stream: a line per file for 10,000 files stays quick.
    _print_lines(plan, verb, skipped_known=True)
    already = sum(1 for item in plan.skipped if item.known)
    without = sum(1 for item in plan.skipped if not item.problem) - already
    for format_name, counts in plan.by_format().items():
        failed = f", {counts['failed']} failed" if counts["failed"] else ""
        stdout.print(f"  {format_name}: {counts['imported']} {verb}{failed}")
    reparsed = sum(1 for item in plan.imported if item.reparsed)
    again = f" ({reparsed} read again)" if reparsed else ""
    stdout.print(
        f"{verb} {len(plan.records)} image(s){again} into {records_path}"
        f" ({already} already there, {without} without metadata, {len(plan.problems)} failed)"
    )


def _print_json(plan: ImportPlan, records_path: str, dry_run: bool) -> None:
    files: list[dict[str, Any]] = [
        {
            "path": str(item.path),
            "outcome": "reparsed" if item.reparsed else "imported",
            "format": item.format,
            "tool": item.tool,
            "run_id": item.run_id,
        }
        for item in plan.imported
    ]
    files += [
        {
            "path": str(item.path),
            "outcome": "failed" if item.problem else "skipped",
            "format": item.format or None,
            "reason": item.reason,
        }
        for item in plan.skipped
    ]
    report = {
        "records_path": records_path,
        "dry_run": dry_run,
        "files": files,
        "notes": [{"path": str(note.path), "note": note.text} for note in plan.notes],
        "by_format": plan.by_format(),
        "imported": len(plan.records),
        "skipped": len(plan.skipped) - len(plan.problems),
        "failed": len(plan.problems),
    }
    print_json(report)


class _Bar:
    """A transient progress bar on stderr while files are read, when stderr is a terminal."""

    def __init__(self) -> None:
        self._progress: Any = None

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start(self, total: int) -> None:
        if total < _BAR_FROM or not sys.stderr.isatty():
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        self._progress = Progress(*columns, console=stderr.console, transient=True)
        self._progress.start()
        self._progress.add_task("import", total=total)

    def update(self, done: int) -> None:
        if self._progress is not None:
            self._progress.update(0, completed=done)
