"""``stablenew submit``: one run, with the flags of ``run``, as a job on the shared queue.

Prints the job id and the run id the record will have (``--json``: one object). Exit codes: 0
queued; 1 the queue cannot be reached; 2 a bad value (one line naming it and where it came from).
"""

from __future__ import annotations

import inspect
from typing import Any

import typer

from adapters.cli import run_cmd
from adapters.cli.common import stdout
from adapters.cli.queue_errors import queue_errors

_NOT_FOR_SUBMIT = ("learning", "output")  # the worker's settings decide where its run goes


def register(app: typer.Typer) -> None:
    app.command("submit")(submit)


def submit(**flags: Any) -> None:
    import orjson

    from adapters.container import build_container

    json_output = flags.pop("json_output")
    loaded, config, _preset = run_cmd.resolve_config(**flags, learning=None, output=None)
    with queue_errors():
        submitted = build_container(loaded).submit_run()(config)
    queue = config.model or "default"
    if json_output:
        data = {"job_id": submitted.job_id, "run_id": submitted.run_id, "queue": queue}
        stdout.print(orjson.dumps(data).decode())
    else:
        stdout.print(f"job {submitted.job_id} queued on {queue}")
        stdout.print(f"run id {submitted.run_id}")


_signature = inspect.signature(run_cmd.run, eval_str=True)
_parameters = [p for name, p in _signature.parameters.items() if name not in _NOT_FOR_SUBMIT]
submit.__signature__ = _signature.replace(parameters=_parameters)  # type: ignore[attr-defined]
submit.__annotations__ = {p.name: p.annotation for p in _parameters}
submit.__doc__ = (
    "Put one run on the shared job queue, with the flags of `run`; a worker that has its model runs "
    "it (before any plan cell). Prints the job id and the run id."
)
