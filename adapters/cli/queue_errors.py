"""How the queue commands report a queue that cannot be used: one line, never the DSN; exit 2 when
none is set up (no DSN, no postgres extra), 1 when it cannot be reached."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from adapters.cli.common import EXIT_FAILED, EXIT_USAGE, exit_with


@contextmanager
def queue_errors() -> Iterator[None]:
    from domain.errors import MissingDependency
    from domain.jobs import QueueError, QueueNotConfigured

    try:
        yield
    except (QueueNotConfigured, MissingDependency) as exc:
        exit_with(str(exc), EXIT_USAGE)
    except QueueError as exc:
        exit_with(str(exc), EXIT_FAILED)


def refuse_blank_queues(queues: list[str] | None) -> None:
    """Exit 2 for a ``--queue ""``: no job is ever put on a queue without a name (a run without a
    model goes to the default queue), so a worker would wait on it for ever."""
    if queues and any(not name.strip() for name in queues):
        exit_with(
            '--queue: a queue name must not be empty (jobs without a model are on "default")', EXIT_USAGE
        )
