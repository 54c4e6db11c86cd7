"""Local first, then shared: runs survive a PostgreSQL outage and ``records sync`` completes the database.

End to end with the real command in subprocesses, against a private server that is stopped and
started again; the DSN's password must appear in no output and no file.
"""

from __future__ import annotations

from pathlib import Path

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.postgres.database import PostgresDatabase
from adapters.postgres.feedback_store import PostgresFeedbackStore
from adapters.postgres.record_store import PostgresRecordStore
from adapters.record_store.jsonl import JsonlRecordStore
from tests.integration.cli import run_cli
from tests.postgres_server import PostgresServer

SETTINGS = """
[learning]
enabled = true
sink = "postgres"
records_path = "records/learning_records.jsonl"
[feedback]
store = "postgres"
user = "tester"
[pipeline]
stages = ["txt2img"]
width = 64
height = 64
"""


def _database_run_ids(dsn: str) -> list[str]:
    database = PostgresDatabase(dsn)
    try:
        return [record.run_id for record in PostgresRecordStore(database).iter_records()]
    finally:
        database.close()


def _local_run_ids(path: Path) -> list[str]:
    store = JsonlRecordStore(path)
    try:
        return [record.run_id for record in store.iter_records()]
    finally:
        store.close()


def test_an_outage_never_loses_a_record_and_sync_completes_the_database(
    tmp_path: Path, private_postgres: PostgresServer
) -> None:
    (tmp_path / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    env = {"STABLENEW_POSTGRES__DSN": private_postgres.dsn, "STABLENEW_POSTGRES__CONNECT_TIMEOUT": "3"}
    outputs: list[str] = []

    def cli(*args: str) -> str:
        done = run_cli(*args, cwd=tmp_path, env=env)
        outputs.extend((done.stdout, done.stderr))
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    def run(seed: int) -> str:
        return cli("run", "-p", f"a kite {seed}", "--seed", str(seed))

    for seed in (1, 2):
        assert "warning" not in run(seed)
    records_path = tmp_path / "records" / "learning_records.jsonl"
    assert _database_run_ids(private_postgres.dsn) == _local_run_ids(records_path)

    private_postgres.stop()
    for seed in (3, 4, 5):
        said = run(seed)
        warnings = [line for line in said.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 1, said
        assert "recorded only locally" in warnings[0]
        assert "records sync" in warnings[0]
    local = _local_run_ids(records_path)
    assert len(local) == 5

    private_postgres.start()
    assert len(_database_run_ids(private_postgres.dsn)) == 2
    said = cli("records", "sync")
    assert "records: 3 sent to the database, 2 already there (5 in the local history)" in said
    assert _database_run_ids(private_postgres.dsn) == local  # complete, in the runs' order
    said = cli("records", "sync")
    assert "records: 0 sent to the database, 5 already there" in said
    assert "feedback: 0 sent" in said
    assert len(_database_run_ids(private_postgres.dsn)) == 5

    # The read commands read the shared history; a rating goes local first, then to the database.
    listed = cli("records", "list", "--json")
    assert all(run_id in listed for run_id in local)
    cli("records", "rate", local[0], "4")
    database = PostgresDatabase(private_postgres.dsn)
    assert [e.run_id for e in PostgresFeedbackStore(database).iter_events()] == [local[0]]
    database.close()
    assert [e.run_id for e in JsonlFeedbackStore(tmp_path / "records" / "feedback.jsonl").iter_events()] == [
        local[0]
    ]

    # A machine that has no history of its own takes the shared one for offline analysis.
    offline = tmp_path / "offline" / "records.jsonl"
    said = cli("records", "sync", "--from-db", "--records", str(offline))
    assert "records: 5 sent from the database, 0 already there (5 in the database history)" in said
    assert "feedback: 1 sent from the database" in said
    assert _local_run_ids(offline) == local
    said = cli("records", "sync", "--from-db", "--records", str(offline))
    assert "records: 0 sent from the database, 5 already there" in said

    _assert_secret_nowhere(private_postgres.password, outputs, tmp_path)


def test_a_database_down_from_the_start_never_fails_a_run(
    tmp_path: Path, private_postgres: PostgresServer
) -> None:
    (tmp_path / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    env = {"STABLENEW_POSTGRES__DSN": private_postgres.dsn}
    private_postgres.stop()
    done = run_cli("run", "-p", "offline", "--json", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("warning:") == 1
    assert len(_local_run_ids(tmp_path / "records" / "learning_records.jsonl")) == 1
    failed = run_cli("records", "sync", cwd=tmp_path, env=env)
    assert failed.returncode == 1
    assert failed.stderr.startswith("error: the shared history (PostgreSQL) is unavailable")
    assert len(failed.stderr.strip().splitlines()) == 1
    _assert_secret_nowhere(
        private_postgres.password, [done.stdout, done.stderr, failed.stdout, failed.stderr], tmp_path
    )


def test_sync_without_a_dsn_says_what_to_set(tmp_path: Path) -> None:
    done = run_cli("records", "sync", cwd=tmp_path)
    assert done.returncode == 2
    assert "STABLENEW_POSTGRES__DSN" in done.stderr
    assert not (tmp_path / "records").exists()


def test_the_postgres_sink_without_a_dsn_is_refused_at_load(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    done = run_cli("run", "-p", "x", cwd=tmp_path)
    assert done.returncode == 2
    assert 'learning.sink = "postgres" needs postgres.dsn' in done.stderr
    assert not (tmp_path / "records").exists()


def _assert_secret_nowhere(secret: str, outputs: list[str], folder: Path) -> None:
    assert all(secret not in text for text in outputs)
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), f"the password is in {path}"


def test_a_single_machine_run_never_loads_psycopg(tmp_path: Path) -> None:
    from tests.integration.test_cli_startup import loaded_by

    watched = ["psycopg", "psycopg_pool", "adapters.postgres.database", "adapters.record_store.jsonl"]
    loaded = loaded_by(["run", "-p", "x", "--learning", "--stages", "txt2img"], watched, tmp_path)
    assert loaded == ["adapters.record_store.jsonl"]
