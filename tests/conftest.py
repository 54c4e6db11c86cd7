"""Fixtures every test package can use: a real PostgreSQL (tests/postgres_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.postgres_server import PostgresServer, fresh_database, shared_server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The maintenance DSN of the session's PostgreSQL (``$STABLENEW_TEST_POSTGRES_DSN`` or our own)."""
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
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()
