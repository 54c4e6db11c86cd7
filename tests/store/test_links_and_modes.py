"""The store never follows a symbolic link, refuses a directory anyone may write, and keeps files 0600."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.jsonl_log import encode_line
from adapters.record_store.jsonl import JsonlRecordStore
from domain import RecordStoreError
from domain.feedback import FeedbackAuthor, FeedbackEvent
from tests.integration.cli import run_cli
from tests.store.helpers import ids, quarantine_of, record

PRECIOUS = b"root:x:0:0:root:/root:/bin/bash\n"


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "elsewhere" / "passwd"
    victim.parent.mkdir()
    victim.write_bytes(PRECIOUS)
    return victim


def _leftovers(directory: Path, name: str) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(name) and p.name != name)


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "dangling"])
def test_run_learning_refuses_a_records_path_that_is_a_link(tmp_path: Path, dangling: bool) -> None:
    victim = _victim(tmp_path)
    if dangling:
        victim.unlink()
    link = tmp_path / "records.jsonl"
    link.symlink_to(victim)
    done = run_cli("run", "-p", "x", "--learning", "--records", str(link), cwd=tmp_path)
    assert "Traceback" not in done.stderr
    # A record never fails the run it describes: the run succeeds and says why nothing was stored.
    assert done.returncode == 0, done.stderr
    warning = next(line for line in done.stdout.splitlines() if "NOT stored" in line)
    assert f"learning record NOT stored in {link}: {link} is a symbolic link" in warning
    assert link.is_symlink()
    assert os.readlink(link) == str(victim)
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_bytes() == PRECIOUS
    assert _leftovers(tmp_path, "records.jsonl") == []  # not even a lock file beside the link


@pytest.mark.parametrize("command", ["repair", "verify"])
def test_repair_and_verify_refuse_a_link_and_leave_it_alone(tmp_path: Path, command: str) -> None:
    real = tmp_path / "real.jsonl"
    real.write_bytes(encode_line(record("r0").to_dict()) + b"garbage\n")
    before = real.read_bytes()
    link = tmp_path / "records.jsonl"
    link.symlink_to(real)
    done = run_cli("records", command, str(link), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: {link} is a symbolic link: refusing to follow it (use the real path, or link its directory)"
    ]
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert real.read_bytes() == before
    assert _leftovers(tmp_path, "records.jsonl") == []
    assert _leftovers(tmp_path, "real.jsonl") == []


@pytest.mark.parametrize("which", ["lock", "quarantine"])
def test_a_lock_or_quarantine_path_that_is_a_link_is_refused(tmp_path: Path, which: str) -> None:
    victim = _victim(tmp_path)
    path = tmp_path / "r.jsonl"
    path.write_bytes(encode_line(record("r0").to_dict()) + b'{"torn')  # the append must quarantine
    before = path.read_bytes()
    Path(f"{path}.{which}").symlink_to(victim)
    with pytest.raises(RecordStoreError, match=f"{path}.{which} is a symbolic link"):
        JsonlRecordStore(path).append_record(record("r1"))
    assert victim.read_bytes() == PRECIOUS
    assert path.read_bytes() == before


def test_feedback_and_readers_refuse_a_link(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    link = tmp_path / "feedback.jsonl"
    link.symlink_to(victim)
    event = FeedbackEvent(
        "e1", "run-1", "2026-11-24T09:00:00.000Z", FeedbackAuthor.person("a"), "rating", rating=5
    )
    with pytest.raises(RecordStoreError, match="is a symbolic link"):
        JsonlFeedbackStore(link).append([event])
    with pytest.raises(RecordStoreError, match="is a symbolic link"):
        list(JsonlRecordStore(link).iter_records())
    assert victim.read_bytes() == PRECIOUS


def test_a_linked_directory_is_fine(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "records").symlink_to(real)
    sink = JsonlRecordStore(tmp_path / "records" / "r.jsonl")
    sink.append_record(record("r0"))
    assert ids(JsonlRecordStore(real / "r.jsonl").iter_records()) == ["r0"]


def test_a_directory_anyone_may_write_is_refused_unless_sticky(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    sink = JsonlRecordStore(shared / "records" / "r.jsonl")
    with pytest.raises(RecordStoreError, match=f"{shared} is writable by every user"):
        sink.append_record(record("r0"))
    assert not (shared / "records" / "r.jsonl").exists()
    shared.chmod(0o1777)  # like /tmp: others cannot rename or remove our files
    sink.append_record(record("r0"))
    assert ids(sink.iter_records()) == ["r0"]


def test_new_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(encode_line(record("r0").to_dict()) + b'{"torn')
    path.chmod(0o600)
    sink = JsonlRecordStore(path)
    sink.append_record(record("r1"))
    for made in (Path(f"{path}.lock"), quarantine_of(path)):
        assert made.stat().st_mode & 0o777 == 0o600, made


def test_verify_warns_about_an_open_file_and_repair_makes_it_private(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    JsonlRecordStore(path).append_records([record("r0"), record("r1")])
    path.chmod(0o644)
    done = run_cli("records", "verify", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr  # the records are intact: a warning, not a failure
    assert done.stdout.splitlines()[-1] == (
        f"warning: {path} has mode 0644: other users may read or change it; "
        f"`stablenew records repair {path}` makes it 0600"
    )
    done = run_cli("records", "repair", str(path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    assert f"{path}: mode 0644 changed to 0600" in done.stdout
    assert "warning" not in run_cli("records", "verify", str(path), cwd=tmp_path).stdout


def test_directories_the_store_creates_are_private_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "r.jsonl"
    old = os.umask(0)
    try:
        JsonlRecordStore(path).append_record(record("r0"))
    finally:
        os.umask(old)
    assert [d.stat().st_mode & 0o777 for d in (path.parent.parent, path.parent)] == [0o700, 0o700]
    assert path.stat().st_mode & 0o777 == 0o600
    JsonlRecordStore(path).append_record(record("r1"))  # a later process does not refuse them
    assert ids(JsonlRecordStore(path).iter_records()) == ["r0", "r1"]


def test_a_fifo_at_the_records_path_is_refused_without_hanging(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    os.mkfifo(path)
    sink = JsonlRecordStore(path)
    for action in (lambda: sink.append_record(record("r0")), lambda: list(sink.iter_records()), sink.verify):
        with pytest.raises(RecordStoreError, match=f"{path} is not a regular file"):
            action()


def test_a_records_path_that_is_a_directory_leaves_no_lock_file_beside_it(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    folder.mkdir()
    with pytest.raises(RecordStoreError, match="is a directory"):
        JsonlRecordStore(folder).append_record(record("r1"))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["records"]
    done = run_cli(
        "run", "-p", "x", "--stages", "txt2img", "--learning", "--records", str(folder), cwd=tmp_path
    )
    assert "is a directory" in done.stdout + done.stderr
    assert not (tmp_path / "records.lock").exists()


def test_verify_reads_a_store_in_a_folder_it_cannot_write(tmp_path: Path) -> None:
    """No lock file can be made in a read-only folder: verifying is a read and works without one."""
    import shutil
    import tempfile

    from tests.unprivileged import as_nobody

    folder = Path(tempfile.mkdtemp(dir="/tmp", prefix="stablenew-ro-"))
    try:
        store = JsonlRecordStore(folder / "records.jsonl")
        store.append_records([record("r0"), record("r1")])
        store.close()
        Path(f"{store.records_path}.lock").unlink()
        store.records_path.chmod(0o644)
        folder.chmod(0o555)

        def verify() -> list[int]:
            report = JsonlRecordStore(folder / "records.jsonl").verify()
            return [report.good, len(report.bad)]

        assert as_nobody(verify) == [2, 0]
        assert sorted(path.name for path in folder.iterdir()) == ["records.jsonl"]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)
