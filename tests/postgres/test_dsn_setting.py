"""``[postgres] dsn`` is a secret: never shown by ``settings show`` nor quoted by an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.settings import SettingsError, load_settings
from tests.integration.cli import run_cli

SECRET = "s3cr3t-Pa55"
DSNS = [
    f"postgresql://team:{SECRET}@db.example:5432/history",
    f"host=db.example port=5432 user=team password={SECRET} dbname=history",
]


@pytest.mark.parametrize("dsn", DSNS)
def test_settings_show_masks_the_dsn_from_the_environment(tmp_path: Path, dsn: str) -> None:
    result = run_cli("settings", "show", cwd=tmp_path, env={"STABLENEW_POSTGRES__DSN": dsn})
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "db.example" not in result.stdout
    assert 'dsn = "********"  # environment STABLENEW_POSTGRES__DSN' in result.stdout


@pytest.mark.parametrize("dsn", DSNS)
def test_the_dsn_from_a_file_is_masked_too(tmp_path: Path, dsn: str) -> None:
    (tmp_path / "settings.toml").write_text(f"[postgres]\ndsn = '{dsn}'\n", encoding="utf-8")
    result = run_cli("settings", "show", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert 'dsn = "********"' in result.stdout


def test_an_unset_dsn_shows_empty_and_single_machine_settings_need_none(tmp_path: Path) -> None:
    settings, layers = load_settings(None, environ={})
    assert settings.postgres.dsn.get_secret_value() == ""
    assert layers.source_of("postgres.dsn") == "default"


def test_a_dsn_of_the_wrong_type_is_refused_without_quoting_it(tmp_path: Path) -> None:
    file = tmp_path / "s.toml"
    file.write_text(f"[postgres]\ndsn = ['{DSNS[0]}']\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(file, environ={})
    assert "postgres.dsn" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_connect_timeout_must_be_positive() -> None:
    with pytest.raises(
        SettingsError, match=r"postgres\.connect_timeout.*STABLENEW_POSTGRES__CONNECT_TIMEOUT"
    ):
        load_settings(None, environ={"STABLENEW_POSTGRES__CONNECT_TIMEOUT": "0"})


def test_the_postgres_sink_without_psycopg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "psycopg" else real(name, *a)
    )
    env = {"STABLENEW_LEARNING__SINK": "postgres", "STABLENEW_POSTGRES__DSN": DSNS[0]}
    with pytest.raises(SettingsError, match=r"needs psycopg: uv sync --extra postgres") as caught:
        load_settings(None, environ=env)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://team:s3cr3t%zzPa55@127.0.0.1:1/history",
        "postgresql://team@127.0.0.1:1/history?password=s3cr3t%zzPa55",
    ],
)
def test_a_dsn_libpq_cannot_parse_is_refused_without_quoting_its_password(dsn: str) -> None:
    # libpq's own message quotes the bad percent-encoded token, which here is the password.
    from adapters.job_queue.procrastinate_queue import ProcrastinateJobQueue
    from adapters.postgres.database import PostgresDatabase
    from domain.errors import SharedStoreUnavailable
    from domain.jobs import QueueError

    with pytest.raises(SharedStoreUnavailable) as unavailable:
        PostgresDatabase(dsn, connect_timeout=1).run(lambda connection: None)
    assert "percent-encoded" in str(unavailable.value)
    with pytest.raises(QueueError) as refused:
        ProcrastinateJobQueue(dsn, connect_timeout=1).status()
    assert "postgres.dsn cannot be used: invalid percent-encoded token" in str(refused.value)
    for message in (str(unavailable.value), str(refused.value)):
        assert "s3cr3t" not in message
        assert "zzPa55" not in message
