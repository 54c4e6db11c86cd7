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
