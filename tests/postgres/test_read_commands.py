"""Another machine, with no history file of its own, reads the shared history with the usual commands."""

from __future__ import annotations

import json
from pathlib import Path

from adapters.postgres.database import PostgresDatabase
from adapters.postgres.feedback_store import PostgresFeedbackStore
from adapters.postgres.record_store import PostgresRecordStore
from domain.feedback import FeedbackAuthor, FeedbackEvent
from tests.factories import make_record
from tests.integration.cli import run_cli

SETTINGS = '[learning]\nsink = "postgres"\n[feedback]\nstore = "postgres"\nuser = "bob"\n'


def test_list_show_stats_and_rate_read_and_write_the_shared_history(
    tmp_path: Path, postgres_dsn: str
) -> None:
    database = PostgresDatabase(postgres_dsn)
    records = PostgresRecordStore(database)
    feedback = PostgresFeedbackStore(database)
    records.add_records([make_record("aaaa1111"), make_record("bbbb2222", status="failed")])
    alice = FeedbackAuthor.person("alice")
    feedback.add_events([FeedbackEvent("e1", "aaaa1111", "2026-11-24T10:00:00Z", alice, "rating", rating=5)])
    (tmp_path / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    env = {"STABLENEW_POSTGRES__DSN": postgres_dsn}

    listed = run_cli("records", "list", "--json", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [(row["run_id"], row["rating"]) for row in rows] == [("bbbb2222", None), ("aaaa1111", 5)]

    shown = run_cli("records", "show", "aaaa", cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "aaaa1111" in shown.stdout

    stats = run_cli("records", "stats", "--json", cwd=tmp_path, env=env)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["runs"] == 2

    rated = run_cli("records", "rate", "bbbb", "2", cwd=tmp_path, env=env)
    assert rated.returncode == 0, rated.stderr
    events = list(feedback.iter_events())
    assert [(e.run_id, e.rating, e.by.name) for e in events][-1] == ("bbbb2222", 2, "bob")
    assert not (tmp_path / "records" / "learning_records.jsonl").exists()  # this machine ran nothing

    index = run_cli("records", "index", "--rebuild", cwd=tmp_path, env=env)
    assert index.returncode == 0, index.stderr
    assert "shared-history" in index.stdout  # the index of the local copy of the shared history
    assert "runs: 2, feedback events: 2" in index.stdout  # the rating above and the one rated here
    assert postgres_dsn not in index.stdout + index.stderr
    database.close()


def test_shared_records_with_this_machines_own_feedback_file(tmp_path: Path, postgres_dsn: str) -> None:
    database = PostgresDatabase(postgres_dsn)
    PostgresRecordStore(database).add_records([make_record("aaaa1111"), make_record("bbbb2222")])
    database.close()
    (tmp_path / "settings.toml").write_text('[learning]\nsink = "postgres"\n', encoding="utf-8")
    env = {"STABLENEW_POSTGRES__DSN": postgres_dsn}

    rated = run_cli("records", "rate", "aaaa", "4", cwd=tmp_path, env=env)
    assert rated.returncode == 0, rated.stderr
    assert (tmp_path / "records" / "feedback.jsonl").exists()  # the rating stays on this machine
    listed = run_cli("records", "list", "--json", cwd=tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    assert [(row["run_id"], row["rating"]) for row in json.loads(listed.stdout)] == [
        ("bbbb2222", None),
        ("aaaa1111", 4),
    ]
