"""The quarantine file: bytes moved out of a store, one checksummed JSON object per line.

Entries are appended under the store's lock. A failed append (ENOSPC, EIO, a failed fsync) is cut
back to the size before, so a partial entry never stays to be glued to the next one; if even
that fails, the next append starts with a newline.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from adapters.jsonl_log.files import fsync_dir, open_file, write_all
from adapters.jsonl_log.line_format import encode_line
from adapters.jsonl_log.scan import READ_BLOCK


def entry(source: str, offset: int, number: int | None, raw: bytes, reason: str) -> bytes:
    """One quarantine line for the bytes ``raw`` found at ``offset`` (line ``number``) of ``source``."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return encode_line(
        {
            "quarantined_at": now,
            "reason": reason,
            "source": source,
            "byte_offset": offset,
            "line_number": number,
            "length": len(raw),
            "data_b64": base64.b64encode(raw).decode("ascii"),
            "text": raw.decode("utf-8", errors="replace"),
        }
    )


def append(path: Path, chunks: Iterable[bytes], *, fsync: bool) -> None:
    """Append ``chunks`` (whole entries once joined) to the quarantine ``path``, or nothing.

    Raises OSError (the file is then as before; removed if this call created it) or
    RecordStoreError if ``path`` is a link or not a regular file.
    """
    created = not os.path.lexists(path)
    fd = open_file(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
    try:
        size = os.fstat(fd).st_size
        try:
            if size and os.pread(fd, 1, size - 1) != b"\n":
                write_all(fd, b"\n")  # an earlier failed write could not be cut back: never glue to it
            for chunk in chunks:
                write_all(fd, chunk)
            if fsync:
                os.fsync(fd)
        except OSError:
            _cut_back(fd, size, path if created else None)
            raise
    finally:
        os.close(fd)
    if created and fsync:
        fsync_dir(path.parent)


def count_entries(path: Path) -> int:
    """How many entries the quarantine ``path`` holds (0 if there is none)."""
    try:
        fd = open_file(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0
    try:
        count, position = 0, 0
        while chunk := os.pread(fd, READ_BLOCK, position):
            count += chunk.count(b"\n")
            position += len(chunk)
        return count
    finally:
        os.close(fd)


def _cut_back(fd: int, size: int, created: Path | None) -> None:
    try:
        os.ftruncate(fd, size)
        if created is not None:  # we hold the store's lock: nobody else writes the quarantine
            created.unlink(missing_ok=True)
    except OSError:
        pass  # the next append starts with a newline
