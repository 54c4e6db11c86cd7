"""What the history commands share: opening records and feedback from the settings, the filter
options, turning expected errors into one-line messages, and reporting skipped bad lines."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from adapters.cli.common import EXIT_FAILED, EXIT_USAGE, exit_with, load_settings_or_exit, stderr
from adapters.clock import SystemClock
from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.query.duckdb_history import DuckDbMissing, QueryError
from adapters.settings import Settings
from adapters.sinks.jsonl import JsonlRecordSink
from application.feedback_recorder import FeedbackRecorder
from application.history import History
from domain.errors import RecordStoreError, UnsupportedSchemaVersion
from domain.feedback import FeedbackAuthor, FeedbackError
from domain.ports import BadLine
from domain.run_filter import FilterError, RunFilter, parse_filter
from domain.run_lookup import AmbiguousRunId, RunNotFound

SHOWN_REASONS = 3

RecordsOption = Annotated[
    Path | None,
    typer.Option("--records", help="Records file (default: learning.records_path).", show_default=False),
]
FeedbackOption = Annotated[
    Path | None,
    typer.Option(
        "--feedback",
        help="Feedback file (default: feedback.path, else feedback.jsonl next to the records).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

_F = "Filters"
PackOption = Annotated[str | None, typer.Option("--pack", help="Prompt pack id (glob).", rich_help_panel=_F)]
PromptIdOption = Annotated[
    str | None, typer.Option("--prompt-id", help="Prompt id (glob).", rich_help_panel=_F)
]
ModelOption = Annotated[
    str | None, typer.Option("--model", help="Model name (glob, e.g. 'sdxl*').", rich_help_panel=_F)
]
SamplerOption = Annotated[str | None, typer.Option("--sampler", help="Sampler (glob).", rich_help_panel=_F)]
SchedulerOption = Annotated[
    str | None, typer.Option("--scheduler", help="Scheduler (glob).", rich_help_panel=_F)
]
StepsOption = Annotated[
    str | None, typer.Option("--steps", help="30, 30.., ..40, 20..40, >=30.", rich_help_panel=_F)
]
CfgOption = Annotated[
    str | None, typer.Option("--cfg", help="CFG scale range, e.g. 5..8.", rich_help_panel=_F)
]
StageOption = Annotated[
    str | None, typer.Option("--stage", help="Runs that executed this stage.", rich_help_panel=_F)
]
StatusOption = Annotated[
    str | None, typer.Option("--status", help="succeeded, failed or interrupted.", rich_help_panel=_F)
]
SourceOption = Annotated[str | None, typer.Option("--source", help="pipeline or import.", rich_help_panel=_F)]
RatingOption = Annotated[
    str | None, typer.Option("--rating", help="4, 4.., 2..3, or 'none' (unrated).", rich_help_panel=_F)
]
TagOption = Annotated[
    list[str] | None,
    typer.Option("--tag", help="Runs carrying this tag (repeat for all of several).", rich_help_panel=_F),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since", help="2026-11-24, 2026-11-24T09:30, or an age: 30m, 12h, 7d.", rich_help_panel=_F
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option("--until", help="Same forms; a date includes that whole day.", rich_help_panel=_F),
]


def build_filter(now: datetime | None = None, **options: str | list[str] | None) -> RunFilter:
    """A RunFilter from the filter options; a malformed one exits 2 naming the option."""
    try:
        return parse_filter(options, now or datetime.now(UTC))
    except FilterError as exc:
        exit_with(str(exc), EXIT_USAGE)


@dataclass
class BadLines:
    """Collects skipped lines per file and reports them as one warning line per file."""

    paths: dict[str, Path]
    seen: dict[str, list[BadLine]] = field(default_factory=dict)

    def __call__(self, source: str, bad: BadLine) -> None:
        self.seen.setdefault(source, []).append(bad)

    def report(self) -> None:
        for source, lines in self.seen.items():
            reasons = "; ".join(f"line {b.line_number}: {b.reason}" for b in lines[:SHOWN_REASONS])
            more = f"; and {len(lines) - SHOWN_REASONS} more" if len(lines) > SHOWN_REASONS else ""
            hint = " (`stablenew records verify` lists them)" if source == "records" else ""
            stderr.print(
                f"warning: skipped {len(lines)} bad line(s) in {self.paths[source]}: {reasons}{more}{hint}",
                markup=False,
            )


@dataclass
class Session:
    settings: Settings
    records_path: Path
    feedback_path: Path
    records: JsonlRecordSink
    feedback: JsonlFeedbackStore
    history: History
    bad_lines: BadLines

    def recorder(self) -> FeedbackRecorder:
        return FeedbackRecorder(self.history, self.feedback, author_from(self.settings), SystemClock())

    def close(self) -> None:
        self.records.close()
        self.feedback.close()
        self.bad_lines.report()


def author_from(settings: Settings) -> FeedbackAuthor:
    """``feedback.user`` from the settings, else the operating-system user."""
    name = settings.feedback.user.strip()
    if not name:
        try:
            name = getpass.getuser()
        except (OSError, KeyError):  # no user name in the environment or the password database
            name = f"uid-{os.getuid()}"
    return FeedbackAuthor.person(name)


@contextmanager
def open_session(
    settings_file: Path | None,
    records: Path | None,
    feedback: Path | None,
    *,
    require_records: bool = True,
) -> Iterator[Session]:
    """The history of the configured (or given) files; expected errors exit with one line."""
    settings, layers = load_settings_or_exit(
        settings_file, {"learning": {"records_path": records}, "feedback": {"path": feedback}}
    )
    records_path = Path(settings.learning.records_path)
    feedback_path = Path(settings.feedback.path)
    if layers.source_of("feedback.path") == "default":
        feedback_path = records_path.parent / "feedback.jsonl"
    if records_path.is_dir():
        exit_with(f"{records_path} is a directory, not a records file", EXIT_USAGE)
    if require_records and not records_path.exists():
        exit_with(
            f"records file {records_path} does not exist: no run has been recorded there yet "
            "(turn learning on with `stablenew run --learning`, or give --records PATH)",
            EXIT_FAILED,
        )
    sink = JsonlRecordSink(records_path)
    store = JsonlFeedbackStore(feedback_path)
    bad_lines = BadLines({"records": records_path, "feedback": feedback_path})
    session = Session(
        settings, records_path, feedback_path, sink, store, History(sink, store, bad_lines), bad_lines
    )
    try:
        with expected_errors():
            yield session
    finally:
        session.close()


@contextmanager
def expected_errors() -> Iterator[None]:
    """Bad input exits 2, failures exit 1; each with one line and no traceback."""
    try:
        yield
    except (FilterError, FeedbackError, RunNotFound, AmbiguousRunId, QueryError) as exc:
        exit_with(str(exc) if not isinstance(exc, QueryError) else f"query failed: {exc}", EXIT_USAGE)
    except (UnsupportedSchemaVersion, RecordStoreError, DuckDbMissing) as exc:
        exit_with(str(exc), EXIT_FAILED)
    except BrokenPipeError:  # the reader of our output went away (`| head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(0) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        exit_with(f"{where}{exc.strerror or exc}", EXIT_FAILED)
