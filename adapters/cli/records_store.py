"""``stablenew records verify`` and ``records repair``: check and mend the learning-record file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from adapters.cli.common import EXIT_FAILED, SettingsOption, exit_with, load_settings_or_exit, stdout
from adapters.jsonl_log import Repair, Verification
from adapters.sinks.jsonl import JsonlRecordSink
from domain.errors import RecordStoreError, UnsupportedSchemaVersion
from domain.ports import BadLine

T = TypeVar("T")

SHOWN_BAD_LINES = 20

PathArgument = Annotated[
    Path | None,
    typer.Argument(
        help="Records file (default: learning.records_path from the settings).", show_default=False
    ),
]


def register(records: typer.Typer) -> None:
    records.command("verify")(verify)
    records.command("repair")(repair)


def verify(path: PathArgument = None, settings: SettingsOption = None) -> None:
    """Count good, bad and quarantined lines; exit 1 if any line is bad (a file open to others: a warning)."""
    target = _records_path(path, settings)
    report = _run(target, lambda sink: sink.verify())
    stdout.print(describe_verification(report), markup=False)
    if report.bad:
        raise typer.Exit(EXIT_FAILED)


def repair(path: PathArgument = None, settings: SettingsOption = None) -> None:
    """Move bad lines to the quarantine file and keep the good ones in order (atomic replace); chmod 0600."""
    target = _records_path(path, settings)
    result = _run(target, lambda sink: sink.repair())
    stdout.print(describe_repair(result), markup=False)


def describe_verification(report: Verification) -> str:
    unchecked = f" ({report.unchecked} written before checksums)" if report.unchecked else ""
    lines = [
        f"{report.path}: {report.good} good{unchecked}, {len(report.bad)} bad, "
        f"{report.quarantined} quarantined (in {report.quarantine_path.name})"
    ]
    lines += _bad_lines(report.bad)
    if report.bad:
        lines.append(f"run `stablenew records repair {report.path}` to move the bad lines to the quarantine")
    if report.open_to_others:
        lines.append(
            f"warning: {report.path} has mode {report.mode:04o}: other users may read or change it; "
            f"`stablenew records repair {report.path}` makes it 0600"
        )
    return "\n".join(lines)


def describe_repair(result: Repair) -> str:
    if not result.moved:
        lines = [f"{result.path}: nothing to repair ({result.kept} good lines)"]
    else:
        lines = [
            f"{result.path}: moved {len(result.moved)} bad lines to {result.quarantine_path}, "
            f"kept {result.kept} good lines in order",
            *_bad_lines(result.moved),
        ]
    if result.mode_before is not None:
        lines.append(f"{result.path}: mode {result.mode_before:04o} changed to 0600")
    return "\n".join(lines)


def _bad_lines(bad: tuple[BadLine, ...]) -> list[str]:
    shown = [
        f"  line {line.line_number} (byte {line.byte_offset}): {line.reason}"
        for line in bad[:SHOWN_BAD_LINES]
    ]
    if len(bad) > SHOWN_BAD_LINES:
        shown.append(f"  ... and {len(bad) - SHOWN_BAD_LINES} more")
    return shown


def _records_path(path: Path | None, settings_file: Path | None) -> Path:
    if path is not None:
        return path
    loaded, _layers = load_settings_or_exit(settings_file)
    return Path(loaded.learning.records_path)


def _run(target: Path, action: Callable[[JsonlRecordSink], T]) -> T:
    sink = JsonlRecordSink(target)
    try:
        return action(sink)
    except UnsupportedSchemaVersion as exc:
        exit_with(f"{target}: {exc}")
    except RecordStoreError as exc:
        exit_with(str(exc))
    except OSError as exc:
        exit_with(f"{target}: {exc.strerror or exc}")
    finally:
        sink.close()
