"""``stablenew queue status``: the shared queue's jobs per state, queue and worker, and its ETA;
``stablenew queue prune``: delete the jobs that ended long ago."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adapters.cli.common import (
    EXIT_USAGE,
    SettingsOption,
    duration_text,
    exit_with,
    load_settings_or_exit,
    print_json,
    stdout,
)
from adapters.cli.history_session import JsonOption
from adapters.cli.queue_errors import queue_errors, refuse_blank_queues

if TYPE_CHECKING:
    from application.queue_jobs import QueueReport
    from domain.queue_eta import QueueEta

STATES = ("pending", "running", "succeeded", "failed")


def register(app: typer.Typer) -> None:
    queue_app = typer.Typer(help="The shared job queue (docs/scale-out.md).", no_args_is_help=True)
    queue_app.command("status")(status)
    queue_app.command("prune")(prune)
    app.add_typer(queue_app, name="queue")


def status(
    json_output: JsonOption = False,
    records: Annotated[
        Path | None,
        typer.Option("--records", help="Records file whose stage timings give the ETA.", show_default=False),
    ] = None,
    settings: SettingsOption = None,
) -> None:
    """Jobs per state (pending, running, succeeded, failed) for each queue and worker, the live
    workers, why jobs failed, and when the pending ones should be done (from recorded timings)."""
    from adapters.container import build_container

    loaded, _layers = load_settings_or_exit(settings, {"learning": {"records_path": records}})
    with queue_errors():
        report = build_container(loaded).show_queue()()
    if json_output:
        print_json(_json(report))
    else:
        _print(report)


def prune(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than", help="Delete the jobs that ended at least this long ago: 30m, 12h, 7d, 2w."
        ),
    ] = "7d",
    failed: Annotated[
        bool, typer.Option("--failed", help="Failed jobs too (their reasons go with them).")
    ] = False,
    queue: Annotated[
        list[str] | None,
        typer.Option(
            "--queue",
            metavar="NAME",
            help="Only this queue (repeat for more). Default: every queue.",
            show_default=False,
        ),
    ] = None,
    settings: SettingsOption = None,
) -> None:
    """Delete the jobs that ended long ago (succeeded; with --failed, failed too), so that `queue
    status` lists what matters now. Pending and running jobs are never touched; the records of the
    runs stay in the history."""
    refuse_blank_queues(queue)
    from adapters.container import build_container
    from domain.run_filter import FilterError, parse_age

    try:
        age = parse_age("older_than", older_than)
    except FilterError as exc:
        exit_with(str(exc), EXIT_USAGE)
    loaded, _layers = load_settings_or_exit(settings, {})
    with queue_errors():
        deleted = build_container(loaded).prune_queue()(age, failed=failed, queues=queue or None)
    kinds = "succeeded or failed" if failed else "succeeded"
    stdout.print(f"deleted {deleted} {kinds} job(s) that ended over {older_than.strip()} ago")


def eta_text(eta: QueueEta) -> str:
    if eta.seconds is None:
        return "ETA: no timing history for the pending jobs" if eta.untimed else "ETA: nothing pending"
    untimed = f"; {eta.untimed} job(s) without timing history or worker" if eta.untimed else ""
    return f"ETA: {duration_text(eta.seconds)} for {eta.timed} job(s) over the live workers{untimed}"


def _print(report: QueueReport) -> None:
    from rich.table import Table

    from domain.jobs import JobState

    status = report.status
    totals = ", ".join(f"{status.total(JobState(state))} {state}" for state in STATES)
    stdout.print(f"jobs: {totals}")
    table = Table(box=None, pad_edge=False)
    for column in ("queue", "worker", *STATES):
        table.add_column(column, justify="left" if column in ("queue", "worker") else "right")
    rows: dict[tuple[str, str], dict[str, int]] = {}
    for count in status.counts:
        row = rows.setdefault((count.queue, count.worker or "-"), dict.fromkeys(STATES, 0))
        row[str(count.state)] += count.count
    for (queue, who), counts in sorted(rows.items()):
        table.add_row(queue, who, *(str(counts[state]) for state in STATES))
    if rows:
        stdout.print(table)
    for worker in status.workers:
        stdout.print(
            f"worker {worker.name}: {', '.join(worker.queues)} "
            f"(heartbeat {worker.seconds_since_heartbeat:.0f} s ago)"
        )
    for failure in status.failures:
        stdout.print(f"failed: job {failure.job_id} ({failure.queue}): {' '.join(failure.reason.split())}")
    stdout.print(eta_text(report.eta))


def _json(report: QueueReport) -> dict[str, Any]:
    from domain.jobs import JobState

    status = report.status
    return {
        "counts": {state: status.total(JobState(state)) for state in STATES},
        "by_queue": [
            {"queue": c.queue, "worker": c.worker, "state": str(c.state), "count": c.count}
            for c in status.counts
        ],
        "workers": [
            {"name": w.name, "queues": list(w.queues), "seconds_since_heartbeat": w.seconds_since_heartbeat}
            for w in status.workers
        ],
        "failed": [
            {"job_id": f.job_id, "queue": f.queue, "run_id": f.run_id, "reason": f.reason}
            for f in status.failures
        ],
        "eta": {"seconds": report.eta.seconds, "timed": report.eta.timed, "untimed": report.eta.untimed},
    }
