"""How the queue commands report a queue that cannot be reached: one line, exit 1, never the DSN."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from adapters.cli.common import EXIT_FAILED, exit_with


@contextmanager
def queue_errors() -> Iterator[None]:
    from domain.errors import MissingDependency
    from domain.jobs import QueueError

    try:
        yield
    except (QueueError, MissingDependency) as exc:
        exit_with(str(exc), EXIT_FAILED)
