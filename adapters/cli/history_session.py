"""What the history commands share: the history's use cases from the container, turning expected
errors into one-line messages, and reporting skipped bad lines.

The container, the stores and the domain load only when a command opens a session, not for ``--help``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.common import EXIT_FAILED, EXIT_USAGE, exit_with, load_settings_or_exit, stderr

if TYPE_CHECKING:
    from adapters.container import Container
    from adapters.settings import Settings
    from application.export_runs import ExportRuns
    from application.feedback_recorder import FeedbackRecorder
    from application.history import History
    from application.import_images import ImportImages
    from application.insights import DeriveInsights
    from application.insights_view import PictureInsights
    from application.llm_summary import SummarizeForLlm
    from application.presets import DerivePreset, VerifyPreset
    from application.query_history import QueryHistory
    from application.sync_history import SyncHistory
    from application.watch_imports import WatchImports
    from domain.ports import PresetStore
    from domain.store_health import BadLine

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
OutputFileOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
]


@dataclass
class BadLines:
    """Collects skipped lines per file and reports them as one warning line per file."""

    paths: dict[str, Path]
    seen: dict[str, dict[BadLine, None]] = field(default_factory=dict)  # ordered sets

    def __call__(self, source: str, bad: BadLine) -> None:
        # Two readers of one file (a listing and a recorder) report the same line: it counts once.
        self.seen.setdefault(source, {})[bad] = None

    def report(self) -> None:
        for source, found in self.seen.items():
            lines = list(found)
            reasons = "; ".join(f"line {b.line_number}: {b.reason}" for b in lines[:SHOWN_REASONS])
            more = f"; and {len(lines) - SHOWN_REASONS} more" if len(lines) > SHOWN_REASONS else ""
            hint = " (`stablenew records verify` lists them)" if source == "records" else ""
            stderr.print(
                f"warning: skipped {len(lines)} bad line(s) in {self.paths[source]}: {reasons}{more}{hint}",
            )


@dataclass
class Session:
    """The history's use cases, built by the container; bad lines are reported on close.

    Only the stores a use case was given are closed: building one just to close it would load filelock.
    """

    settings: Settings
    records_path: Path
    feedback_path: Path
    container: Container
    bad_lines: BadLines
    opened: set[str] = field(default_factory=set)

    @property
    def history(self) -> History:
        return self.container.history(index__on_bad_line=self.bad_lines)

    def recorder(self, history: History | None = None) -> FeedbackRecorder:
        """The feedback recorder over ``history`` (default: this session's)."""
        self.opened.add("feedback")
        return self.container.feedback_recorder(history=self.history if history is None else history)

    def exporter(self) -> ExportRuns:
        return self.container.export_runs(history__index__on_bad_line=self.bad_lines)

    def query(self) -> QueryHistory:
        self.opened.add("feedback")
        return self.container.query_history(history__index__on_bad_line=self.bad_lines)

    def insights(self) -> DeriveInsights:
        self.opened.add("feedback")
        return self.container.derive_insights(history__index__on_bad_line=self.bad_lines)

    def picture_insights(self) -> PictureInsights:
        self.opened.add("feedback")
        return self.container.picture_insights(history__index__on_bad_line=self.bad_lines)

    def derive_preset(self) -> DerivePreset:
        self.opened.add("feedback")
        return self.container.derive_preset(insights__history__index__on_bad_line=self.bad_lines)

    def verify_preset(self) -> VerifyPreset:
        self.opened.add("feedback")
        return self.container.verify_preset(insights__history__index__on_bad_line=self.bad_lines)

    def summarize_for_llm(self) -> SummarizeForLlm:
        self.opened.add("feedback")
        return self.container.summarize_for_llm(
            history__index__on_bad_line=self.bad_lines,
            insights__history__index__on_bad_line=self.bad_lines,
        )

    def presets(self) -> PresetStore:
        return self.container.preset_store()

    def sync(self) -> SyncHistory:
        """The sync between the local files and the shared history; exits 2 without a DSN."""
        if not self.settings.postgres.dsn.get_secret_value().strip():
            exit_with(
                "records sync needs the shared history's server: set STABLENEW_POSTGRES__DSN "
                "or [postgres] dsn (docs/scale-out.md)",
                EXIT_USAGE,
            )
        self.opened.update(("records", "feedback"))
        return self.container.sync_history()

    def importer(self) -> ImportImages:
        self.opened.add("records")
        return self.container.import_images()

    def import_watcher(self) -> WatchImports:
        self.opened.add("records")
        return self.container.watch_imports()

    def close(self) -> None:
        if "records" in self.opened:
            self.container.record_store().close()
        if "feedback" in self.opened:
            self.container.feedback_store().close()
        self.bad_lines.report()


@contextmanager
def open_session(
    settings_file: Path | None,
    records: Path | None,
    feedback: Path | None,
    *,
    require_records: bool = True,
    presets_dir: Path | None = None,
) -> Iterator[Session]:
    """The history of the configured (or given) files; expected errors exit with one line."""
    from adapters.container import build_container

    flags = {
        "learning": {"records_path": records},
        "feedback": {"path": feedback},
        "presets": {"dir": presets_dir},
    }
    settings, _layers = load_settings_or_exit(settings_file, flags)
    records_path = settings.learning.records_path
    feedback_path = settings.feedback_path
    if records_path.is_dir():
        exit_with(f"{records_path} is a directory, not a records file", EXIT_USAGE)
    if feedback_path.is_dir():  # refused before `review` or `mcp` starts serving, as the records are
        exit_with(f"{feedback_path} is a directory, not a feedback file", EXIT_USAGE)
    shared = settings.learning.sink == "postgres"  # the history is the database: no local file needed
    if require_records and not shared and not records_path.exists():
        exit_with(
            f"records file {records_path} does not exist: no run has been recorded there yet "
            "(turn learning on with `stablenew run --learning`, or give --records PATH)",
            EXIT_FAILED,
        )
    bad_lines = BadLines({"records": records_path, "feedback": feedback_path})
    session = Session(settings, records_path, feedback_path, build_container(settings), bad_lines)
    try:
        with expected_errors():
            yield session
    finally:
        session.close()


@contextmanager
def expected_errors() -> Iterator[None]:
    """Bad input exits 2, failures exit 1; each with one line and no traceback."""
    from domain.errors import MissingDependency, QueryError, RecordStoreError, UnsupportedSchemaVersion
    from domain.feedback import FeedbackError
    from domain.run_filter import FilterError
    from domain.run_lookup import AmbiguousRunId, RunNotFound

    try:
        yield
    except (FilterError, FeedbackError, RunNotFound, AmbiguousRunId, QueryError) as exc:
        exit_with(str(exc) if not isinstance(exc, QueryError) else f"query failed: {exc}", EXIT_USAGE)
    except (UnsupportedSchemaVersion, RecordStoreError, MissingDependency) as exc:
        exit_with(str(exc), EXIT_FAILED)
    except BrokenPipeError:  # the reader of our output went away (`| head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(0) from None
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        exit_with(f"{where}{exc.strerror or exc}", EXIT_FAILED)
