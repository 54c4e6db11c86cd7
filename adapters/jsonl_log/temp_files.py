"""Repair temp files: ``<records>.repair-<pid>-<random>.tmp``, flocked while their repair runs.

A repair holds an exclusive ``flock`` on its temp file for as long as it lives; the kernel drops it
when the process dies, however it dies. So a temp file whose lock can be taken belongs to a dead
repair and is removed. Creation and removal both happen under the store's lock, so a new temp file
is never seen before its repair has locked it.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

from filelock import lock_descriptor

from adapters.jsonl_log.files import open_file

logger = logging.getLogger(__name__)


def create(path: Path) -> tuple[int, Path]:
    """A new, empty, locked temp file beside ``path`` (mode 0600): its descriptor and its path."""
    while True:
        temp = path.with_name(f"{path.name}.repair-{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            fd = open_file(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            continue
        if lock_descriptor(fd, blocking=False):
            return fd, temp
        os.close(fd)  # cannot happen for a file this call created; be safe anyway


def remove_stale(path: Path) -> list[Path]:
    """Under the store's lock: remove the temp files of repairs of ``path`` that died; the removed ones.

    Lists the directory once. Also removes ``.<records>.repair-<pid>.tmp`` files of earlier
    versions, whose repairs held the store's lock for their whole run.
    """
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    current = re.compile(re.escape(path.name) + r"\.repair-\d+-[0-9a-f]+\.tmp")
    legacy = re.compile(r"\." + re.escape(path.name) + r"\.repair-\d+\.tmp")
    removed = []
    for name in names:
        temp = path.parent / name
        if (current.fullmatch(name) and _unlink_if_unlocked(temp)) or (
            legacy.fullmatch(name) and _unlink(temp)
        ):
            removed.append(temp)
            logger.warning("removed %s, left behind by a repair that was killed", temp)
    return removed


def _unlink_if_unlocked(temp: Path) -> bool:
    try:
        fd = os.open(temp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not lock_descriptor(fd, blocking=False):
            return False  # its repair is running
        held, named = os.fstat(fd), os.lstat(temp)
        return (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino) and _unlink(temp)
    except OSError:
        return False
    finally:
        os.close(fd)


def _unlink(temp: Path) -> bool:
    try:
        temp.unlink()
    except OSError:
        return False
    return True
