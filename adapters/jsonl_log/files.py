"""Opening the store's files: never through a symbolic link, only regular files, created private.

Every records, feedback, quarantine, lock and temp file is opened with ``O_NOFOLLOW``, so a link
planted at one of those paths is refused atomically instead of followed (as root, a link to
``/etc/passwd`` would otherwise receive a JSON line). Links higher up the path are the user's own
choice and are followed; but a directory on the way that every user may write and that is not
sticky is refused, since anyone could swap a directory or file there for a link between our look
and our open.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from domain.errors import RecordStoreError
from domain.store_health import PRIVATE_MODE

PRIVATE_DIRECTORY_MODE = 0o700
_ALWAYS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # NONBLOCK: a FIFO planted there must not hang us


def open_file(path: Path, flags: int) -> int:
    """A descriptor of the regular file ``path`` (created with mode 0600 if ``flags`` say so).

    Raises RecordStoreError if ``path`` is a symbolic link, a directory or not a regular file,
    and OSError for anything else (ENOENT, EACCES, ENOSPC...).
    """
    try:
        fd = os.open(path, flags | _ALWAYS, PRIVATE_MODE)
    except OSError as exc:
        refusal = refusal_of(path)
        if refusal:
            raise RecordStoreError(refusal) from exc
        raise
    try:
        kind = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(kind):
        os.close(fd)
        raise RecordStoreError(_kind_refusal(path, kind))
    return fd


def refusal_of(path: Path) -> str | None:
    """Why ``path`` cannot be a store file (a link, a directory, not a regular file), or None."""
    try:
        kind = os.lstat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(kind) else _kind_refusal(path, kind)


def link_refusal(path: Path) -> str:
    return f"{path} is a symbolic link: refusing to follow it (use the real path, or link its directory)"


def refuse_shared_directories(directory: Path) -> None:
    """Raise RecordStoreError if ``directory`` or one above it may be written by every user, unsticky.

    Missing directories (about to be created) are skipped; their existing parents are checked.
    """
    real = Path(os.path.realpath(directory))
    for place in (real, *real.parents):
        try:
            mode = os.stat(place).st_mode
        except OSError:
            continue
        if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
            raise RecordStoreError(
                f"refusing to use {directory}: {place} is writable by every user (mode "
                f"{stat.S_IMODE(mode):04o}) and not sticky, so anyone could swap the store's files "
                f"for links; run `chmod o-w {place}` (or `chmod +t`)"
            )


def make_directories(directory: Path) -> None:
    """Create ``directory`` and its missing parents with mode 0700, whatever the umask."""
    missing = []
    for place in (directory, *directory.parents):
        if os.path.isdir(place):
            break
        missing.append(place)
    for place in reversed(missing):
        try:
            os.mkdir(place, PRIVATE_DIRECTORY_MODE)
        except FileExistsError:
            if not os.path.isdir(place):
                raise


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte, continuing after a short write; the error of a later write is raised as is.

    A disk that fills up first writes short, then fails with ENOSPC: the caller sees ENOSPC.
    """
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.EIO, "write returned 0 bytes")
        view = view[written:]


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _kind_refusal(path: Path, kind: int) -> str:
    if stat.S_ISLNK(kind):
        return link_refusal(path)
    if stat.S_ISDIR(kind):
        return f"{path} is a directory, not a records file"
    return f"{path} is not a regular file"


def copy_range(source: int, target: int, offset: int, length: int) -> None:
    """Append ``length`` bytes of ``source`` from ``offset`` at ``target``'s position, in the kernel.

    Falls back to reading and writing 1 MB blocks where copy_file_range is not supported.
    """
    while length > 0:
        try:
            done = os.copy_file_range(source, target, length, offset)
        except OSError as exc:
            if exc.errno not in _NO_COPY_FILE_RANGE:
                raise
            done = _copy_block(source, target, offset, min(length, 1 << 20))
        if done == 0:
            raise OSError(errno.EIO, "the file ended before the bytes to copy")
        offset += done
        length -= done


_NO_COPY_FILE_RANGE = frozenset({errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM})


def _copy_block(source: int, target: int, offset: int, length: int) -> int:
    block = os.pread(source, length, offset)
    write_all(target, block)
    return len(block)
