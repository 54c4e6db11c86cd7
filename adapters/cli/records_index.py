"""``stablenew records index [--rebuild] [--check]``: the derived history index's state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.common import EXIT_FAILED, SettingsOption, print_json, stdout
from adapters.cli.history_session import FeedbackOption, JsonOption, RecordsOption, open_session

if TYPE_CHECKING:
    from domain.index_state import IndexCheck, IndexedFile, IndexStatus

SHOWN_DIFFERENCES = 20


def register(records: typer.Typer) -> None:
    records.command("index")(index)


def index(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Start the index over from the files first.")
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Compare every answer with a full scan of the files; exit 1 if any differs."
        ),
    ] = False,
    json_output: JsonOption = False,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Where the history index is, how far it has read each file, and (--check) whether it agrees with them.

    The index is derived from the records and feedback files and kept up to date by every read
    command; deleting it loses nothing.
    """
    with open_session(settings, records, feedback, require_records=False) as session:
        history = session.history
        if rebuild:
            history.rebuild_index()
        checked = history.check_index() if check else None  # catches up first: the state below is after it
        status = history.index_status()
        if json_output:
            payload: dict[str, object] = {"status": _status_dict(status)}
            if checked is not None:
                payload["check"] = {
                    "ok": checked.ok,
                    "runs": checked.runs,
                    "scanned_runs": checked.scanned_runs,
                    "differences": list(checked.differences),
                }
            print_json(payload)
        else:
            stdout.print(describe_status(status, rebuilt=rebuild))
            if checked is not None:
                stdout.print(describe_check(checked))
    if checked is not None and not checked.ok:
        raise typer.Exit(EXIT_FAILED)


def describe_status(status: IndexStatus, *, rebuilt: bool = False) -> str:
    lines = [
        f"index: {status.location} (format {status.version}){' rebuilt' if rebuilt else ''}",
        f"runs: {status.runs}, feedback events: {status.events}",
        _file_line("records", status.records),
        _file_line("feedback", status.feedback),
        "up to date with the files" if status.fresh else "behind the files: the next read catches up",
    ]
    if status.note:
        lines.append(f"note: {status.note}")
    return "\n".join(lines)


def describe_check(checked: IndexCheck) -> str:
    if checked.ok:
        return f"check: the index agrees with a full scan of the files ({checked.scanned_runs} runs)"
    lines = [
        f"check: {len(checked.differences)} difference(s) from a full scan ({checked.scanned_runs} runs):"
    ]
    lines += [f"  {difference}" for difference in checked.differences[:SHOWN_DIFFERENCES]]
    if len(checked.differences) > SHOWN_DIFFERENCES:
        lines.append(f"  ... and {len(checked.differences) - SHOWN_DIFFERENCES} more")
    lines.append("`stablenew records index --rebuild` starts it over from the files")
    return "\n".join(lines)


def _file_line(name: str, indexed: IndexedFile) -> str:
    bad = f", {indexed.bad_lines} bad line(s) skipped" if indexed.bad_lines else ""
    return f"{name}: {indexed.path}: {indexed.indexed_bytes} of {indexed.size} bytes read{bad}"


def _status_dict(status: IndexStatus) -> dict[str, object]:
    def file(indexed: IndexedFile) -> dict[str, object]:
        return {
            "path": indexed.path,
            "size": indexed.size,
            "indexed_bytes": indexed.indexed_bytes,
            "bad_lines": indexed.bad_lines,
            "caught_up": indexed.caught_up,
        }

    return {
        "location": status.location,
        "version": status.version,
        "runs": status.runs,
        "events": status.events,
        "records": file(status.records),
        "feedback": file(status.feedback),
        "fresh": status.fresh,
        "note": status.note,
    }
