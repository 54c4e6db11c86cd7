"""How the index knows whether a source file only grew since it last read it.

It remembers, per file, the device and inode, how many bytes it read (always up to a newline),
how many lines those held, the first 4 KiB and last 64 bytes of that part, and the file's size
and modification time when it read it. The file only grew if it is the same inode, at least
that long, still holds those bytes there, and was not modified without growing; anything else
(truncated, repaired, replaced, rotated, an older copy restored, rewritten in place) makes the
index read the file again from its start.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from dataclasses import astuple, dataclass
from pathlib import Path

from domain.errors import RecordStoreError

HEAD_BYTES = 4096
TAIL_BYTES = 64


@dataclass(frozen=True, slots=True)
class FileMark:
    """What the index remembers of one source file (all zero: nothing read yet)."""

    path: str
    dev: int = 0
    ino: int = 0
    size: int = 0
    lines: int = 0
    bad: int = 0
    head: bytes = b""
    tail: bytes = b""
    file_size: int = 0
    mtime: int = 0


class Source:
    """A source file opened for one call: its descriptor and what fstat says now (or missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None
        self.dev = self.ino = self.size = self.mtime = 0
        try:
            self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise RecordStoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
        info = os.fstat(self.fd)
        if stat.S_ISDIR(info.st_mode):
            self.close()
            raise RecordStoreError(f"{path} is a directory, not a history file")
        self.dev, self.ino, self.size, self.mtime = info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns

    def refresh(self) -> None:
        if self.fd is not None:
            info = os.fstat(self.fd)
            self.size, self.mtime = info.st_size, info.st_mtime_ns

    def pread(self, length: int, offset: int) -> bytes:
        if self.fd is None or length <= 0:
            return b""
        return os.pread(self.fd, length, offset)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def continues(self, mark: FileMark) -> bool:
        """True if this file is the one ``mark`` describes, only longer (or nothing was read yet)."""
        if mark.size == 0:
            return True
        return (
            self.fd is not None
            and (self.dev, self.ino) == (mark.dev, mark.ino)
            and self.size >= mark.size
            and (self.size != mark.file_size or self.mtime == mark.mtime)
            and self.pread(len(mark.head), 0) == mark.head
            and self.pread(len(mark.tail), mark.size - len(mark.tail)) == mark.tail
        )

    def mark(self, size: int, lines: int, bad: int, previous: FileMark | None = None) -> FileMark:
        """The mark after reading this file up to ``size`` (``lines`` lines, ``bad`` of them bad)."""
        head = (
            previous.head
            if previous and len(previous.head) == HEAD_BYTES
            else self.pread(min(HEAD_BYTES, size), 0)
        )
        tail = self.pread(min(TAIL_BYTES, size), size - min(TAIL_BYTES, size))
        if size and not tail.endswith(b"\n"):
            raise FileChangedError(f"{self.path} changed while it was read")
        return FileMark(
            str(self.path), self.dev, self.ino, size, lines, bad, head, tail, self.size, self.mtime
        )


class FileChangedError(Exception):
    """A source file changed in a way that was seen only while reading it; read it again."""


def load_mark(db: sqlite3.Connection, source: str, path: Path) -> FileMark:
    row = db.execute(
        "SELECT path, dev, ino, size, lines, bad, head, tail, file_size, mtime FROM files WHERE source = ?",
        (source,),
    ).fetchone()
    if row is None:
        return FileMark(str(path))
    path_text, dev, ino, size, lines, bad, head, tail, file_size, mtime = row
    return FileMark(path_text, dev, ino, size, lines, bad, bytes(head), bytes(tail), file_size, mtime)


def save_mark(db: sqlite3.Connection, source: str, mark: FileMark) -> None:
    db.execute(
        "INSERT OR REPLACE INTO files"
        " (source, path, dev, ino, size, lines, bad, head, tail, file_size, mtime)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (source, *astuple(mark)),
    )
