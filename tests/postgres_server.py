"""A real PostgreSQL for the tests: Debian's server binaries, started in a temp dir on a free loopback port.

PostgreSQL refuses to run as root (which CI is): as root, every server command runs as the
``postgres`` user through ``runuser`` and the temp dir is handed to that user. With
``TEST_POSTGRES_DSN`` set, ``shared_server`` uses that server instead and starts none;
``PostgresServer`` itself (the private servers of outage tests) always starts its own.

The superuser has a password (``server.password``) so that tests can check it leaks nowhere.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.missing_part import missing

EXTERNAL_DSN_ENV = "TEST_POSTGRES_DSN"
BIN_DIR_ENV = "TEST_POSTGRES_BIN"
_USER = "stablenew"
_START_TIMEOUT = 120  # seconds; a loaded machine can take long to start a server
_RUN_AS = "postgres"


def bin_dir() -> Path:
    if os.environ.get(BIN_DIR_ENV):
        chosen = Path(os.environ[BIN_DIR_ENV])
        if (chosen / "initdb").exists():
            return chosen
        raise RuntimeError(f"PostgreSQL server binaries not found in {BIN_DIR_ENV}={chosen}")
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True
    )
    for folder in versions:
        if (folder / "initdb").exists():
            return folder
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: install Debian's postgresql package, "
        f"set {BIN_DIR_ENV}, or point {EXTERNAL_DSN_ENV} at a server"
    )


def require_postgres() -> None:
    """A test that needs PostgreSQL: ``missing`` where none is installed (and no server is given)."""
    if os.environ.get(EXTERNAL_DSN_ENV):
        return
    try:
        bin_dir()
    except RuntimeError as absent:
        missing(str(absent))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def with_database(dsn: str, dbname: str) -> str:
    """``dsn`` pointing at database ``dbname`` instead (URL or key=value form)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return make_conninfo(**{key: str(value) for key, value in params.items() if value is not None})


def password_of(dsn: str) -> str | None:
    from psycopg.conninfo import conninfo_to_dict

    value = conninfo_to_dict(dsn).get("password")
    return str(value) if value else None


class PostgresServer:
    """One PostgreSQL cluster of our own: ``start``, ``stop`` (an outage), ``start`` again, ``remove``."""

    def __init__(self, *, fsync: bool = False) -> None:
        self._bin = bin_dir()
        self._as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="stablenew-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.password = secrets.token_hex(12)
        self.port = 0
        self._fsync = fsync
        self._running = False
        if self._as_root:
            shutil.chown(self.root, _RUN_AS, _RUN_AS)
        atexit.register(self.remove)
        self._initdb()

    @property
    def dsn(self) -> str:
        """The maintenance database ``postgres`` as the superuser, with the password."""
        return f"postgresql://{_USER}:{self.password}@127.0.0.1:{self.port}/postgres"

    @property
    def running(self) -> bool:
        return self._running

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", _RUN_AS, "--", *args] if self._as_root else list(args)

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            self._command(*args), capture_output=True, text=True, timeout=_START_TIMEOUT, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        if self._as_root:
            shutil.chown(pwfile, _RUN_AS, _RUN_AS)
        try:
            self._run(
                str(self._bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                _USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def start(self) -> None:
        """Start (again); the first start picks a free port, a restart keeps it so DSNs stay valid."""
        if self._running:
            return
        for attempt in range(5):
            if not self.port or attempt:
                self.port = _free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
                f"-c fsync={'on' if self._fsync else 'off'} -c shared_buffers=32MB -c max_connections=200"
            )
            try:
                self._run(
                    str(self._bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(_START_TIMEOUT),
                    "start",
                )
            except RuntimeError:
                # Most likely another process took the port between the probe and the start.
                with contextlib.suppress(RuntimeError):
                    self._run(str(self._bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
                if attempt == 4:
                    raise
                continue
            self._running = True
            return

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are cut, as in an outage)."""
        if not self._running:
            return
        self._run(str(self._bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        self._running = False

    def remove(self) -> None:
        """Stop the server and delete its files; safe to call twice."""
        if self.data.exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired, FileNotFoundError):
                self._run(str(self._bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self._running = False
        shutil.rmtree(self.root, ignore_errors=True)
        atexit.unregister(self.remove)


@contextlib.contextmanager
def shared_server() -> Iterator[str]:
    """The maintenance DSN of the session's server: ``$TEST_POSTGRES_DSN`` or one started here."""
    external = os.environ.get(EXTERNAL_DSN_ENV)
    if external:
        yield external
        return
    server = PostgresServer()
    try:
        server.start()
        yield server.dsn
    finally:
        server.remove()


@contextlib.contextmanager
def fresh_database(admin_dsn: str) -> Iterator[str]:
    """A new empty database on the server of ``admin_dsn``, dropped afterwards; yields its DSN."""
    import psycopg

    name = f"test_{secrets.token_hex(6)}"
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=30) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(admin_dsn, name)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=30) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
