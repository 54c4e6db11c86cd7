"""Telling a reader whether the unterminated last line it saw is an append still being written.

A reader reads the file up to the size it saw when it began. A big append is not one atomic
event for readers: the size grows while the kernel copies, so that size can end inside a line
that is being written. Such a line is no damage and must not be reported; a line left torn by a
killed writer must be.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from filelock import lock_descriptor

from adapters.jsonl_log.files import open_file
from domain.errors import RecordStoreError


def torn_at_rest(path: Path, fd: int, size: int) -> bool:
    """True if the line ending at ``size`` of ``fd`` (the file at ``path``) is torn, not in progress.

    Writers hold ``<path>.lock`` for the whole append. If it is held now, the line may be one
    being written. If it is free (we hold it for a moment), every append that was running when
    the reader looked is over: had one been writing that line, the file would now be longer
    (an append also moves a torn tail away before it writes). Without a lock file to look at,
    only the size can tell.
    """
    try:
        lock_fd = open_file(Path(f"{path}.lock"), os.O_RDONLY)
    except (OSError, RecordStoreError):
        return _unchanged(fd, size)
    try:
        if not lock_descriptor(lock_fd, blocking=False):
            return False
        return _unchanged(fd, size)
    finally:
        os.close(lock_fd)  # closing the descriptor releases its lock


def _unchanged(fd: int, size: int) -> bool:
    with contextlib.suppress(OSError):
        return os.fstat(fd).st_size == size
    return False
