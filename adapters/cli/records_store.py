"""``stablenew records verify`` and ``records repair``: check and mend the records and feedback files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from adapters.cli.common import EXIT_FAILED, SettingsOption, exit_with, load_settings_or_exit, stdout

if TYPE_CHECKING:
    from domain.ports import MaintainedFile
    from domain.store_health import BadLine, Repair, Verification

T = TypeVar("T")

SHOWN_BAD_LINES = 20

PathArgument = Annotated[
    Path | None,
    typer.Argument(
        help="A records or feedback file, told apart by what it holds (default: the records file "
        "and the feedback file of the settings).",
        show_default=False,
    ),
]


def register(records: typer.Typer) -> None:
    records.command("verify")(verify)
    records.command("repair")(repair)


def verify(path: PathArgument = None, settings: SettingsOption = None) -> None:
    """Count good, bad and quarantined lines; exit 1 if any line is bad (a file open to others: a warning)."""
    bad = False
    for target, open_store in _stores(path, settings):
        report = _run(target, open_store, lambda store: store.verify())
        stdout.print(describe_verification(report))
        bad = bad or bool(report.bad)
    if bad:
        raise typer.Exit(EXIT_FAILED)


def repair(path: PathArgument = None, settings: SettingsOption = None) -> None:
    """Move bad lines to the quarantine file and keep the good ones in order (atomic replace); chmod 0600."""
    for target, open_store in _stores(path, settings):
        result = _run(target, open_store, lambda store: store.repair())
        stdout.print(describe_repair(result))


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


def _stores(path: Path | None, settings_file: Path | None) -> list[tuple[Path, Callable[[], MaintainedFile]]]:
    """The file given (records or feedback, by what it holds), else the configured records file
    and the feedback file beside it if there is one."""
    from adapters.container import build_container, history_file

    if path is not None:
        return [(path, lambda: history_file(path))]
    loaded, _layers = load_settings_or_exit(settings_file)
    container = build_container(loaded)
    stores: list[tuple[Path, Callable[[], MaintainedFile]]] = [
        (loaded.learning.records_path, container.record_store)
    ]
    if loaded.feedback_path.exists():
        stores.append((loaded.feedback_path, container.feedback_store))
    return stores


def _run(target: Path, open_store: Callable[[], MaintainedFile], action: Callable[[MaintainedFile], T]) -> T:
    from domain.errors import RecordStoreError, UnsupportedSchemaVersion

    store: MaintainedFile | None = None
    try:
        store = open_store()
        return action(store)
    except UnsupportedSchemaVersion as exc:
        exit_with(f"{target}: {exc}")
    except RecordStoreError as exc:
        exit_with(str(exc))
    except OSError as exc:
        exit_with(f"{target}: {exc.strerror or exc}")
    finally:
        if store is not None:
            store.close()
