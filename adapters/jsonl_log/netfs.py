"""Only local filesystems are supported: detect a network one (Linux mountinfo) and warn once."""

from __future__ import annotations

import logging
from pathlib import Path

NETWORK_FS_TYPES = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph", "glusterfs", "lustre", "gpfs"}
)

logger = logging.getLogger(__name__)

_warned: set[str] = set()


def filesystem_type(path: Path, mountinfo: Path = Path("/proc/self/mountinfo")) -> str | None:
    """The filesystem type holding ``path`` according to mountinfo (Linux), or None if unknown."""
    try:
        text = mountinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    target = str(path.resolve())
    best, best_type = -1, None
    for row in text.splitlines():
        left, sep, right = row.partition(" - ")
        fields = left.split()
        if not sep or len(fields) < 5 or not right:
            continue
        mount_point = fields[4].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) > best:
            best, best_type = len(mount_point), right.split()[0]
    return best_type


def is_network_filesystem(fs_type: str | None) -> bool:
    return fs_type is not None and (fs_type in NETWORK_FS_TYPES or fs_type.startswith("fuse.sshfs"))


def warn_if_network_filesystem(path: Path, mountinfo: Path = Path("/proc/self/mountinfo")) -> bool:
    """Log one warning per directory when ``path`` is on a network filesystem; True if it is."""
    fs_type = filesystem_type(path.parent, mountinfo)
    if not is_network_filesystem(fs_type):
        return False
    key = str(path.parent)
    if key not in _warned:
        _warned.add(key)
        logger.warning(
            "%s is on a network filesystem (%s): only local filesystems are supported; "
            "appends from several machines may interleave or be lost",
            path,
            fs_type,
        )
    return True
