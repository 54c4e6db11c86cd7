"""Local filesystems only: a records file on a network filesystem is detected and warned about once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from adapters.jsonl_log import filesystem_type, is_network_filesystem, log, netfs, warn_if_network_filesystem
from adapters.record_store.jsonl import JsonlRecordStore
from tests.store.helpers import record

MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
30 22 0:40 / /mnt/share rw,relatime shared:7 - nfs4 server:/export rw,vers=4.2
31 30 0:41 / /mnt/share/local rw shared:8 - tmpfs tmpfs rw
32 22 0:42 / /mnt/my\\040box rw - fuse.sshfs me@host:/ rw
"""


@pytest.fixture
def mountinfo(tmp_path: Path) -> Path:
    path = tmp_path / "mountinfo"
    path.write_text(MOUNTINFO)
    return path


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("/home/me/records", "ext4"),
        ("/mnt/share/records", "nfs4"),
        ("/mnt/shared/records", "ext4"),
        ("/mnt/share/local/records", "tmpfs"),
        ("/mnt/my box/records", "fuse.sshfs"),
    ],
)
def test_longest_mount_point_decides(mountinfo: Path, where: str, expected: str) -> None:
    assert filesystem_type(Path(where), mountinfo) == expected


def test_network_types() -> None:
    assert is_network_filesystem("nfs4")
    assert is_network_filesystem("cifs")
    assert is_network_filesystem("fuse.sshfs")
    assert not is_network_filesystem("ext4")
    assert not is_network_filesystem(None)


def test_warns_once_per_directory(
    mountinfo: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(netfs, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="adapters.jsonl_log"):
        assert warn_if_network_filesystem(Path("/mnt/share/a/r.jsonl"), mountinfo)
        assert warn_if_network_filesystem(Path("/mnt/share/a/r.jsonl"), mountinfo)
        assert not warn_if_network_filesystem(Path("/home/me/r.jsonl"), mountinfo)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "network filesystem (nfs4)" in warnings[0]
    assert "only local filesystems are supported" in warnings[0]


def test_unreadable_mountinfo_means_unknown(tmp_path: Path) -> None:
    assert filesystem_type(Path("/"), tmp_path / "missing") is None


def test_creating_the_store_checks_the_filesystem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[Path] = []
    monkeypatch.setattr(log, "warn_if_network_filesystem", lambda path: checked.append(path) or False)
    sink = JsonlRecordStore(tmp_path / "r.jsonl")
    sink.append_record(record("r1"))
    sink.append_record(record("r2"))
    assert checked == [sink.records_path]
    assert filesystem_type(tmp_path) not in (None, "nfs", "nfs4")
