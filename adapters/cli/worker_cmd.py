"""``stablenew worker``: run jobs of the shared queue, one at a time, against this machine's backend.

Ctrl-C (or SIGTERM) once: the job it runs is finished, then it stops (exit 0). Ctrl-C again: that
job is handed back to the queue at once (exit 130). Exit 1: the queue cannot be reached at start;
2: bad settings.
"""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    SettingsOption,
    exit_with,
    load_settings_or_exit,
    stderr,
)
from adapters.cli.queue_errors import queue_errors, refuse_blank_queues

if TYPE_CHECKING:
    from adapters.container import Container
    from application.worker import JobOutcome
    from domain.jobs import Job, QueueError


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(
    queue: Annotated[
        list[str] | None,
        typer.Option(
            "--queue",
            help="A queue to take jobs from (repeat for more). Default: the queues of the models the "
            "backend has, and the default queue.",
            show_default=False,
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="This worker's name (default: queue.worker_name, else host-pid)."),
    ] = None,
    max_jobs: Annotated[
        int | None, typer.Option("--max-jobs", min=1, help="Stop after this many jobs.", show_default=False)
    ] = None,
    records: Annotated[
        Path | None, typer.Option("--records", help="Records file (default: learning.records_path).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Folder for the images (default: output.dir).")
    ] = None,
    settings: SettingsOption = None,
) -> None:
    """Take jobs off the shared queue and run them here, one at a time, recording each run."""
    refuse_blank_queues(queue)
    from adapters.container import build_container
    from domain.errors import BackendError

    loaded, _layers = load_settings_or_exit(
        settings, {"learning": {"records_path": records}, "output": {"dir": output}}
    )
    if loaded.learning.sink == "null":
        exit_with("a worker records every run it makes, but learning.sink is null", EXIT_USAGE)
    container = build_container(loaded)
    worker_name = name or loaded.queue.worker_name or f"{socket.gethostname()}-{os.getpid()}"
    if queue:
        queues = tuple(dict.fromkeys(queue))
    else:
        try:
            queues = container.worker_queues()
        except BackendError as exc:
            exit_with(f"cannot read the backend's models: {exc}", EXIT_FAILED)
    if loaded.learning.sink == "postgres":
        _sync_at_start(container)
    stop = _Stop()
    with queue_errors():
        use_case = container.run_worker()
        try:
            report = use_case(worker_name, queues, stop=stop, max_jobs=max_jobs, observer=_Lines(stop))
        except KeyboardInterrupt:
            stderr.print("interrupted: the job was handed back to the queue")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        finally:
            stop.restore()
    done = sum(1 for outcome in report.outcomes if outcome.status in ("succeeded", "duplicate"))
    stderr.print(f"worker {worker_name} stopped after {len(report.outcomes)} job(s), {done} succeeded")
    if any(outcome.status == "handed_back" for outcome in report.outcomes):
        stderr.print("interrupted: the job was handed back to the queue")
        raise typer.Exit(EXIT_INTERRUPTED)


def _sync_at_start(container: Container) -> None:
    """``records sync``: what this machine's file holds and the shared history lacks goes there first
    (records a database outage left only in the local file). An outage now is no reason not to work."""
    from adapters.cli.records_sync import describe
    from domain.errors import RecordStoreError

    try:
        report = container.sync_history().push()
    except RecordStoreError as exc:
        stderr.print(f"records sync at start skipped: {exc}")
        return
    stderr.print(" ".join(describe(report).split("\n")))


class _Stop:
    """True once Ctrl-C or SIGTERM came; a second Ctrl-C raises KeyboardInterrupt (hand the job back)."""

    def __init__(self) -> None:
        self._asked = False
        self._previous = {
            signal.SIGINT: signal.signal(signal.SIGINT, self._on_signal),
            signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_signal),
        }

    def __call__(self) -> bool:
        return self._asked

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        if self._asked and number == signal.SIGINT:
            raise KeyboardInterrupt
        self._asked = True
        stderr.print("stopping after the current job (Ctrl-C again hands it back to the queue)")

    def restore(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)


class _Lines:
    """One line per job on stderr; user text (prompts, reasons) is never read as markup."""

    def __init__(self, stop: _Stop) -> None:
        self._stop = stop
        self._unavailable = False

    def listening(self, name: str, queues: tuple[str, ...]) -> None:
        stderr.print(f"worker {name} listening to: {', '.join(queues)}")

    def job_started(self, job: Job) -> None:
        self._unavailable = False
        stderr.print(f"job {job.job_id} ({job.queue}) run {job.run_id}: started")

    def job_finished(self, outcome: JobOutcome) -> None:
        reason = f": {' '.join(outcome.reason.split())}" if outcome.reason else ""
        stderr.print(f"job {outcome.job.job_id} run {outcome.job.run_id}: {outcome.status}{reason}")

    def queue_unavailable(self, error: QueueError) -> None:
        if not self._unavailable:  # once per outage, not once per retry
            stderr.print(f"the queue is unreachable, retrying: {error}")
        self._unavailable = True
