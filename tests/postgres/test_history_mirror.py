"""The local copy of the shared history: incremental, and copied again whenever it cannot be trusted.

Every test compares what the index over the copy lists with what a full read of the tables gives
(PostgresRecordStore / PostgresFeedbackStore, seq order).
"""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.index.sqlite_index import SqliteRunIndex
from adapters.postgres.database import PostgresDatabase
from adapters.postgres.feedback_store import PostgresFeedbackStore
from adapters.postgres.mirror import PostgresHistoryMirror, mirror_folder
from adapters.postgres.record_store import PostgresRecordStore
from adapters.postgres.schema import RECORDS, SCHEMA
from application.mirrored_index import MirroredRunIndex
from domain.errors import SharedStoreUnavailable
from domain.feedback import FeedbackAuthor, FeedbackEvent
from tests.factories import make_record
from tests.postgres_server import PostgresServer

ALICE = FeedbackAuthor.person("alice")


@pytest.fixture
def database(postgres_dsn: str) -> Iterator[PostgresDatabase]:
    database = PostgresDatabase(postgres_dsn)
    yield database
    database.close()


@pytest.fixture
def mirror(database: PostgresDatabase, tmp_path: Path) -> PostgresHistoryMirror:
    return PostgresHistoryMirror(database, tmp_path / "copy")


@pytest.fixture
def index(mirror: PostgresHistoryMirror) -> Iterator[MirroredRunIndex]:
    inner = SqliteRunIndex(mirror.records_path, mirror.feedback_path)
    yield MirroredRunIndex(mirror, inner)
    inner.close()


def add(database: PostgresDatabase, *run_ids: str) -> None:
    PostgresRecordStore(database).add_records([make_record(run_id) for run_id in run_ids])


def listed(index: MirroredRunIndex) -> list[tuple[str, int | None]]:
    return [(row.run_id, row.rating) for row in index.rows()]


def scanned(database: PostgresDatabase) -> list[tuple[str, int | None]]:
    """What a full read of both tables says, newest first."""
    ratings: dict[str, int | None] = {}
    for event in PostgresFeedbackStore(database).iter_events():
        if event.kind == "rating":
            ratings[event.run_id] = event.rating
    records = PostgresRecordStore(database).iter_records(newest_first=True)
    return [(record.run_id, ratings.get(record.run_id)) for record in records]


def test_a_refresh_appends_only_the_new_rows(
    database: PostgresDatabase, mirror: PostgresHistoryMirror, index: MirroredRunIndex
) -> None:
    add(database, "run00001", "run00002")
    assert listed(index) == scanned(database) == [("run00002", None), ("run00001", None)]
    before = mirror.records_path.stat()
    first_lines = mirror.records_path.read_bytes()
    add(database, "run00003")
    PostgresFeedbackStore(database).add_events(
        [FeedbackEvent("e1", "run00001", "2026-11-24T10:00:00Z", ALICE, "rating", rating=4)]
    )
    assert listed(index) == scanned(database)
    after = mirror.records_path.stat()
    assert after.st_ino == before.st_ino  # appended to, not copied again
    assert mirror.records_path.read_bytes().startswith(first_lines)
    assert len(mirror.records_path.read_bytes().splitlines()) == 3


def test_a_repeated_run_id_is_no_new_line(
    database: PostgresDatabase, mirror: PostgresHistoryMirror, index: MirroredRunIndex
) -> None:
    add(database, "run00001")
    listed(index)
    add(database, "run00001", "run00002")
    assert listed(index) == scanned(database)
    assert len(mirror.records_path.read_bytes().splitlines()) == 2


@pytest.mark.parametrize(
    "change",
    [
        "DELETE FROM stablenew_records WHERE run_id = 'run00001'",
        # a row that committed after a later seq was copied (seqs are taken before commit)
        "INSERT INTO stablenew_records (seq, run_id, document) OVERRIDING SYSTEM VALUE"
        " SELECT 2, 'late0001', document || '{\"run_id\": \"late0001\"}' FROM stablenew_records LIMIT 1",
        f"DROP TABLE {RECORDS}; {SCHEMA}; INSERT INTO {RECORDS} (run_id, document)"
        " SELECT 'anew0001', document || '{\"run_id\": \"anew0001\"}' FROM stablenew_feedback LIMIT 0",
    ],
    ids=["rows deleted", "a late commit below the copied seq", "table recreated"],
)
def test_the_copy_starts_over_when_the_table_changed_below_what_it_copied(
    database: PostgresDatabase, mirror: PostgresHistoryMirror, index: MirroredRunIndex, change: str
) -> None:
    add(database, "run00001")
    add(database, "run00001")  # a repeat: no row, but it takes seq 2
    add(database, "run00002")
    listed(index)
    inode = mirror.records_path.stat().st_ino
    database.run(lambda c: c.execute(change))
    assert listed(index) == scanned(database)
    assert mirror.records_path.stat().st_ino != inode  # copied again, into a new file


@pytest.mark.parametrize(
    "damage",
    ["copy grew", "copy deleted", "state deleted", "state garbage"],
)
def test_a_copy_or_state_that_does_not_match_is_copied_again(
    database: PostgresDatabase, mirror: PostgresHistoryMirror, index: MirroredRunIndex, damage: str
) -> None:
    add(database, "run00001", "run00002")
    listed(index)
    state = mirror.records_path.with_name(f"{mirror.records_path.name}.state")
    if damage == "copy grew":  # a crash after the rows were written, before the state was
        with mirror.records_path.open("ab") as copy:
            copy.write(b'{"run_id": "ghost001"')
    elif damage == "copy deleted":
        mirror.records_path.unlink()
    elif damage == "state deleted":
        state.unlink()
    else:
        state.write_bytes(b"\x00not json")
    add(database, "run00003")
    assert listed(index) == scanned(database)
    assert b"ghost001" not in mirror.records_path.read_bytes()


def test_rebuild_copies_everything_again(
    database: PostgresDatabase, mirror: PostgresHistoryMirror, index: MirroredRunIndex
) -> None:
    add(database, "run00001")
    listed(index)
    inode = mirror.records_path.stat().st_ino
    status = index.rebuild()
    assert status.runs == 1
    assert status.fresh
    assert mirror.records_path.stat().st_ino != inode


def test_several_readers_refreshing_at_once_copy_each_row_once(postgres_dsn: str, tmp_path: Path) -> None:
    writer = PostgresDatabase(postgres_dsn)
    add(writer, *(f"run{number:05d}" for number in range(300)))
    results: list[list[tuple[str, int | None]]] = []
    errors: list[BaseException] = []

    def read() -> None:
        database = PostgresDatabase(postgres_dsn)
        mirror = PostgresHistoryMirror(database, tmp_path / "copy")
        inner = SqliteRunIndex(mirror.records_path, mirror.feedback_path)
        try:
            results.append(listed(MirroredRunIndex(mirror, inner)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            inner.close()
            database.close()

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    add(writer, "late0001")
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    expected = scanned(writer)
    assert all(result in (expected, expected[1:]) for result in results)
    lines = (tmp_path / "copy" / "learning_records.jsonl").read_bytes().splitlines()
    assert len(lines) == len(set(lines)) <= 301
    writer.close()


def test_the_copy_is_named_by_server_database_and_user_never_the_password(tmp_path: Path) -> None:
    one = mirror_folder(tmp_path, "postgresql://alice:s3cret@db.example:5432/history")
    assert one == mirror_folder(tmp_path, "postgresql://alice:other@db.example:5432/history")
    assert one != mirror_folder(tmp_path, "postgresql://alice:s3cret@db.example:5432/elsewhere")
    assert one != mirror_folder(tmp_path, "postgresql://bob:s3cret@db.example:5432/history")
    assert one.parent == tmp_path / "shared-history"
    assert "s3cret" not in str(one)


def test_an_unreachable_server_raises_and_leaves_the_copy_as_it_was(
    private_postgres: PostgresServer, tmp_path: Path
) -> None:
    database = PostgresDatabase(private_postgres.dsn, connect_timeout=2)
    mirror = PostgresHistoryMirror(database, tmp_path / "copy")
    add(database, "run00001")
    mirror.refresh()
    copied = mirror.records_path.read_bytes()
    private_postgres.stop()
    with pytest.raises(SharedStoreUnavailable) as raised:
        mirror.refresh()
    assert private_postgres.password not in str(raised.value)
    assert mirror.records_path.read_bytes() == copied
    database.close()


def test_the_copy_is_private_to_its_user(database: PostgresDatabase, mirror: PostgresHistoryMirror) -> None:
    add(database, "run00001")
    mirror.refresh()
    folder = mirror.records_path.parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()} == {0o600}
