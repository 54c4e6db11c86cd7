"""``stablenew records sync [--from-db]``: the local files and the shared history, made to agree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.common import SettingsOption, stderr, stdout
from adapters.cli.history_session import FeedbackOption, RecordsOption, open_session

if TYPE_CHECKING:
    from application.sync_history import SyncReport


def register(records: typer.Typer) -> None:
    records.command("sync")(sync)


def sync(
    from_db: Annotated[
        bool,
        typer.Option("--from-db", help="Bring the shared history into the local files instead."),
    ] = False,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Send the shared history (PostgreSQL at postgres.dsn) what the local files have and it lacks.

    Idempotent: a second sync sends nothing. With --from-db, append to the local files what they
    lack of the shared history (for offline analysis). Prints what was sent (docs/scale-out.md).
    """
    with open_session(settings, records, feedback, require_records=False) as session:
        syncing = session.sync()
        report = syncing.pull(session.bad_lines) if from_db else syncing.push(session.bad_lines)
        stdout.print(describe(report))
        for refused in report.refused:
            stderr.print(f"warning: not sent, the database cannot hold it: {refused}")


def describe(report: SyncReport) -> str:
    where = "local" if report.direction == "to the database" else "database"
    return (
        f"records: {report.records_sent} sent {report.direction}, {report.records_held} already there "
        f"({report.records_seen} in the {where} history)\n"
        f"feedback: {report.events_sent} sent {report.direction}, {report.events_held} already there "
        f"({report.events_seen} in the {where} history)"
    )
