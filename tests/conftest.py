"""Fixtures for every test package: a real PostgreSQL (tests/postgres_server.py); Ctrl-C reaches children."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.postgres_server import PostgresServer, fresh_database, require_postgres, shared_server

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    # A suite started in the background (`cmd &` in a script) or in a pytest-xdist worker ignores
    # SIGINT, and a child inherits an ignored signal: its Python never raises KeyboardInterrupt, so
    # every Ctrl-C test would time out. A handler is reset to the default on exec.
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The maintenance DSN of the session's PostgreSQL (``$TEST_POSTGRES_DSN`` or our own)."""
    require_postgres()
    with shared_server() as dsn:
        yield dsn


@pytest.fixture
def postgres_dsn(postgres_server: str) -> Iterator[str]:
    """A DSN of a fresh, empty database of its own for this test (dropped afterwards)."""
    with fresh_database(postgres_server) as dsn:
        yield dsn


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    """A started server of this test's own, to ``stop()`` and ``start()`` again (outages);
    ``.dsn`` keeps working across restarts, ``.password`` is the secret to look for in outputs."""
    require_postgres()
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()
