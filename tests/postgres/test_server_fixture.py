from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.postgres_server import PostgresServer, require_postgres


def test_each_test_gets_an_empty_database_of_its_own(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("CREATE TABLE t (x int)")
        conn.execute("INSERT INTO t VALUES (1)")
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (1,)


def test_a_private_server_stops_and_comes_back_on_the_same_dsn(private_postgres: PostgresServer) -> None:
    dsn = private_postgres.dsn
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE kept (x int)")
        conn.execute("INSERT INTO kept VALUES (7)")
    private_postgres.stop()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=5)
    private_postgres.start()
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT x FROM kept").fetchone() == (7,)


def test_a_removed_server_leaves_nothing_behind() -> None:
    require_postgres()
    server = PostgresServer()
    server.start()
    root = server.root
    server.remove()
    assert not Path(root).exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(server.dsn, connect_timeout=5)
