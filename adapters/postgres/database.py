"""PostgresDatabase: one lazily opened connection to the shared history, reopened after an outage."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from adapters.postgres.schema import SCHEMA
from adapters.urls import MASK, dsn_secrets
from domain.errors import RecordSerializationError, SharedStoreUnavailable

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")
_SCHEMA_LOCK = 0x5AB1E  # advisory lock id: several machines may create the tables at once


class PostgresDatabase:
    """The connection string and one connection, opened on first use.

    ``run(work)`` calls ``work(connection)`` inside a transaction. A connection that broke (the
    server restarted) is dropped and the work tried once more on a new one; a server that cannot
    be reached raises ``SharedStoreUnavailable`` with a one-line reason that never holds the DSN's
    credentials. Safe to share between the adapters of one process (calls are serialised).
    """

    def __init__(self, dsn: str, *, connect_timeout: float = 5.0) -> None:
        if not dsn.strip():
            raise SharedStoreUnavailable("postgres.dsn is not set (needed by the shared history)")
        self._dsn = dsn
        self._connect_timeout = max(1, round(connect_timeout))
        self._connection: psycopg.Connection[Any] | None = None
        self._lock = threading.RLock()
        self._secrets = dsn_secrets(dsn)  # longest first: no part of a longer one is left showing

    def run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        import psycopg

        with self._lock:
            for attempt in (1, 2):
                connection = self._open()
                try:
                    with connection.transaction():
                        return work(connection)
                except (psycopg.DataError, psycopg.errors.UntranslatableCharacter) as exc:
                    raise RecordSerializationError(
                        f"PostgreSQL refused the document: {self._clean(exc)}"
                    ) from None
                except psycopg.OperationalError as exc:
                    self.close()
                    if attempt == 2 or not connection.broken:
                        raise self._unavailable(exc) from None
                except psycopg.Error as exc:
                    raise SharedStoreUnavailable(f"PostgreSQL error: {self._clean(exc)}") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _open(self) -> psycopg.Connection[Any]:
        import psycopg

        if self._connection is not None and not self._connection.closed and not self._connection.broken:
            return self._connection
        self._connection = None
        try:
            connection = psycopg.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=self._connect_timeout,
                application_name="stablenew",
            )
        except psycopg.Error as exc:
            raise self._unavailable(exc) from None
        except Exception as exc:  # a malformed DSN: psycopg.ProgrammingError or ValueError
            raise SharedStoreUnavailable(f"postgres.dsn cannot be used: {type(exc).__name__}") from None
        try:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                connection.execute(SCHEMA)
        except psycopg.Error as exc:
            connection.close()
            raise self._unavailable(exc) from None
        self._connection = connection
        return connection

    def _unavailable(self, exc: BaseException) -> SharedStoreUnavailable:
        return SharedStoreUnavailable(f"the shared history (PostgreSQL) is unavailable: {self._clean(exc)}")

    def _clean(self, exc: BaseException) -> str:
        """The first line of the error, with anything of the DSN's credentials masked."""
        text = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text
