"""An append-only JSON-lines file that several processes can share safely.

The append protocol (see docs/learning-records.md): serialize first, then under a cross-process
lock issue one os.write of whole lines on an O_APPEND descriptor, fsync, and on any failure cut
the file back to its size before the append.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import orjson
from filelock import FileLock

from domain.errors import RecordSerializationError, RecordStoreError
from domain.ports import BadLine

Durability = Literal["fsync", "none"]


def encode_line(payload: Mapping[str, Any]) -> bytes:
    """One JSON object and a newline; values JSON cannot represent raise before anything is written."""
    try:
        return orjson.dumps(payload, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError as exc:
        raise RecordSerializationError(f"record cannot be stored as JSON: {exc}") from exc


class JsonlLog:
    """A JSON-lines file appended to under ``<path>.lock``; the file is created with mode 0600."""

    def __init__(
        self, path: Path | str, *, durability: Durability = "fsync", lock_timeout: float = 60.0
    ) -> None:
        self.path = Path(path)
        self.durability = durability
        self._lock = FileLock(f"{self.path}.lock", timeout=lock_timeout, poll_interval=0.001)

    def append(self, payloads: Sequence[Mapping[str, Any]]) -> None:
        """Store all ``payloads`` (one line each) or none of them."""
        data = b"".join(encode_line(p) for p in payloads)
        if not data:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                self._append_locked(data)
        except RecordStoreError:
            raise
        except OSError as exc:
            raise RecordStoreError(f"cannot append to {self.path}: {exc.strerror or exc}") from exc

    def _append_locked(self, data: bytes) -> None:
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if created:
                _fsync_dir(self.path.parent)
            size = os.fstat(fd).st_size
            try:
                written = os.write(fd, data)
                if written != len(data):
                    raise OSError(errno.EIO, f"short write ({written} of {len(data)} bytes)")
                if self.durability == "fsync":
                    os.fsync(fd)
            except OSError:
                os.ftruncate(fd, size)
                raise
        finally:
            os.close(fd)

    def iter_payloads(
        self, *, newest_first: bool = False, on_bad_line: Callable[[BadLine], None] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every stored JSON object; lines that are not one are skipped and reported."""
        lines = self.iter_lines()
        for number, line in reversed(list(lines)) if newest_first else lines:
            try:
                payload = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                payload, reason = None, f"not JSON: {exc}"
            else:
                reason = "not a JSON object"
            if isinstance(payload, dict):
                yield payload
            elif on_bad_line:
                on_bad_line(BadLine(number, reason))

    def iter_lines(self) -> Iterator[tuple[int, bytes]]:
        """Every line with its 1-based number, oldest first; nothing if the file does not exist."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            yield from enumerate(handle, start=1)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
