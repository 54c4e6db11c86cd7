"""JsonlLog: an append-only JSON-lines file that several processes can share safely.

Format, append protocol, quarantine and recovery are described in docs/record-store.md. In short:
an append serializes first, then under ``<path>.lock`` moves any torn tail to
``<path>.quarantine``, issues one ``os.write`` of whole lines on an O_APPEND descriptor (continued
if the kernel writes short) and fsyncs; on any failure the file is cut back to its size before the
append. No file of the store is ever opened through a symbolic link (see files.py).
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from filelock import Timeout, lock_descriptor, unlock_descriptor

from adapters.jsonl_log import quarantine, temp_files
from adapters.jsonl_log.files import (
    fsync_dir,
    make_directories,
    open_file,
    refusal_of,
    refuse_shared_directories,
    write_all,
)
from adapters.jsonl_log.in_progress import torn_at_rest
from adapters.jsonl_log.line_format import decode_checked, decode_line, encode_line
from adapters.jsonl_log.netfs import warn_if_network_filesystem
from adapters.jsonl_log.repair import TORN, RepairJob
from adapters.jsonl_log.scan import (
    INCOMPLETE,
    Line,
    entries_forward,
    last_line_start,
    lines_backward,
    lines_forward,
)
from domain.errors import RecordStoreError
from domain.store_health import BadLine, Repair, Verification

Durability = Literal["fsync", "none"]
DURABILITIES: tuple[Durability, ...] = ("fsync", "none")

logger = logging.getLogger(__name__)


class JsonlLog:
    """A JSON-lines file appended to under ``<path>.lock``; the file is created with mode 0600.

    One instance may be shared by threads; each process (also after fork) opens its own
    descriptors. The lock and records descriptors are kept open between appends, so an append
    costs one flock, one stat, one pread of the last byte, one write and one fsync.
    """

    def __init__(
        self, path: Path | str, *, durability: Durability = "fsync", lock_timeout: float = 60.0
    ) -> None:
        if durability not in DURABILITIES:
            raise ValueError(f"durability must be one of {', '.join(DURABILITIES)}, got {durability!r}")
        self.path = Path(path)
        self.durability = durability
        self.lock_timeout = lock_timeout
        self.lock_path = Path(f"{self.path}.lock")
        self.quarantine_path = Path(f"{self.path}.quarantine")
        self._fds = _Descriptors()
        self._thread_lock = threading.Lock()
        self._finalizer = weakref.finalize(self, self._fds.close)

    # -- writing --------------------------------------------------------------------------------

    def append(self, payloads: Sequence[Mapping[str, Any]]) -> None:
        """Store all ``payloads`` (one line each) with one write and one fsync, or none of them.

        Raises RecordSerializationError before anything is written, or RecordStoreError naming
        the file when the append failed; the file is then as it was before the call.
        """
        data = b"".join([encode_line(p) for p in payloads])
        if not data:
            return
        with self._locked():
            try:
                self._append_locked(data)
            except OSError as exc:
                self._fds.close_records()
                raise RecordStoreError(f"cannot append to {self.path}: {exc.strerror or exc}") from exc

    def recover_tail(self) -> int:
        """Under the lock, quarantine a torn last line (if any) and cut it off; returns its length."""
        if not os.path.lexists(self.path):
            return 0
        with self._locked():
            try:
                fd, size = self._records_fd()
                return self._recover_tail_locked(fd, size)
            except OSError as exc:
                self._fds.close_records()
                why = exc.strerror or exc
                raise RecordStoreError(f"cannot check the tail of {self.path}: {why}") from exc

    def close(self) -> None:
        """Close the kept descriptors; the log reopens them on the next append."""
        with self._thread_lock:
            self._fds.close()

    def __enter__(self) -> JsonlLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _append_locked(self, data: bytes) -> None:
        created = self._fds.records is None and not os.path.lexists(self.path)
        fd, size = self._records_fd()
        size -= self._recover_tail_locked(fd, size)
        try:
            write_all(fd, data)  # a short write is continued: a full disk then says ENOSPC
            if self.durability == "fsync":
                os.fsync(fd)
        except OSError as exc:
            self._undo(fd, size, exc, created=created)

    def _undo(self, fd: int, size: int, exc: OSError, *, created: bool) -> None:
        what = f"cannot append to {self.path}: {exc.strerror or exc}"
        try:
            os.ftruncate(fd, size)
            if created:  # this append made the file: leave no empty file behind (we hold the lock)
                self.path.unlink(missing_ok=True)
        except OSError as cut:
            self._fds.close_records()
            raise RecordStoreError(
                f"{what}; cutting the file back also failed ({cut.strerror or cut}): "
                "the next append moves any partial line to the quarantine"
            ) from exc
        # After a failed fsync the kernel may already have dropped the pages: never trust this
        # descriptor again, and never report success for the bytes we just removed.
        self._fds.close_records()
        raise RecordStoreError(f"{what} (nothing was stored)") from exc

    def _recover_tail_locked(self, fd: int, size: int) -> int:
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return 0
        start = last_line_start(fd, size)
        torn = os.pread(fd, size - start, start)
        self._cut_tail_locked(fd, start, torn, None, f"{TORN} (a writer died)")
        return size - start

    def _cut_tail_locked(self, fd: int, start: int, torn: bytes, number: int | None, reason: str) -> None:
        """Quarantine the ``torn`` bytes at ``start`` (the file's end), then cut the file there."""
        entry = quarantine.entry(self.path.name, start, number, torn, reason)
        self._write_quarantine([entry], fsync=self.durability == "fsync")
        try:
            os.ftruncate(fd, start)
            if self.durability == "fsync":
                os.fsync(fd)
        except OSError as exc:
            self._fds.close_records()
            raise RecordStoreError(f"cannot cut the torn tail of {self.path}: {exc.strerror or exc}") from exc
        logger.warning(
            "%s: moved a torn last line (%d bytes) to %s", self.path, len(torn), self.quarantine_path
        )

    def _write_quarantine(self, chunks: Iterable[bytes], *, fsync: bool) -> None:
        """Append whole entries to the quarantine file, or nothing (a failed write is cut back).

        With ``fsync`` they are on disk before the records file is cut.
        """
        try:
            quarantine.append(self.quarantine_path, chunks, fsync=fsync)
        except OSError as exc:
            raise RecordStoreError(
                f"cannot write the quarantine file {self.quarantine_path}: {exc.strerror or exc}; "
                f"{self.path} was left unchanged"
            ) from exc

    # -- locking and descriptors --------------------------------------------------------------

    def _locked(self) -> _Held:
        return _Held(self)

    def _acquire(self) -> None:
        if not self._thread_lock.acquire(timeout=self.lock_timeout):
            raise RecordStoreError(f"timed out after {self.lock_timeout:g} s waiting to use {self.path}")
        try:
            self._fds.for_this_process()
            if self._fds.lock is None:  # no lock file beside a path that can never be the store
                refusal = refusal_of(self.path)
                if refusal:
                    raise RecordStoreError(refusal)
            deadline = time.monotonic() + self.lock_timeout
            pause = 0.00005
            while True:
                lock_fd = self._fds.lock_fd(self.lock_path)
                if lock_descriptor(lock_fd, blocking=False):
                    if os.fstat(lock_fd).st_nlink > 0:
                        return
                    unlock_descriptor(lock_fd)  # someone deleted the lock file: lock the new one
                    self._fds.close_lock()
                    continue
                if time.monotonic() >= deadline:
                    raise Timeout(str(self.lock_path))
                time.sleep(pause)
                pause = min(pause * 2, 0.002)
        except Timeout as exc:
            self._thread_lock.release()
            raise RecordStoreError(
                f"timed out after {self.lock_timeout:g} s waiting for {self.lock_path} to use {self.path}"
            ) from exc
        except OSError as exc:
            self._thread_lock.release()
            raise RecordStoreError(f"cannot lock {self.lock_path}: {exc.strerror or exc}") from exc
        except BaseException:
            self._thread_lock.release()
            raise

    def _release(self) -> None:
        try:
            if self._fds.lock is not None:
                unlock_descriptor(self._fds.lock)
        finally:
            self._thread_lock.release()

    def _records_fd(self) -> tuple[int, int]:
        """The kept descriptor of the file now at ``path`` (reopened if it was replaced) and its size."""
        fd = self._fds.records
        if fd is not None:
            try:
                on_disk = os.lstat(self.path)
            except FileNotFoundError:
                on_disk = None
            held = os.fstat(fd)
            if on_disk is not None and (on_disk.st_ino, on_disk.st_dev) == (held.st_ino, held.st_dev):
                return fd, held.st_size
            self._fds.close_records()
        fd = self._open_records()
        self._fds.records = fd
        # The first append of a process, or the first after a repair: cheap enough to look here.
        temp_files.remove_stale(self.path)
        return fd, os.fstat(fd).st_size

    def _open_records(self) -> int:
        flags = os.O_RDWR | os.O_APPEND
        try:
            return open_file(self.path, flags)
        except FileNotFoundError:
            pass
        make_directories(self.path.parent)
        fd = open_file(self.path, flags | os.O_CREAT | os.O_EXCL)
        try:
            fsync_dir(self.path.parent)
        except OSError:
            os.close(fd)
            self.path.unlink(missing_ok=True)  # still empty: we hold the lock
            raise
        warn_if_network_filesystem(self.path)
        return fd

    # -- reading ----------------------------------------------------------------------------------

    def iter_payloads(
        self, *, newest_first: bool = False, on_bad_line: Callable[[BadLine], None] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every stored JSON object (checksum removed); bad lines are skipped and reported."""
        entries = self.iter_entries(newest_first=newest_first, on_bad_line=on_bad_line)
        for _number, _offset, payload in entries:
            yield payload

    def iter_entries(
        self, *, newest_first: bool = False, on_bad_line: Callable[[BadLine], None] | None = None
    ) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """``(line_number, byte_offset, payload)`` of every good line; see :meth:`iter_payloads`.

        Reads the file as it was when iteration started; ``newest_first`` reads blocks from the
        end. Line numbers count from 1 at the start, or from -1 at the end when ``newest_first``.
        """
        with self._open_for_reading() as handle:
            if handle is None:
                return
            fd = handle.fileno()
            size = os.fstat(fd).st_size
            on_bad_line = self._unless_in_progress(on_bad_line, fd, size)
            if not newest_first:
                yield from entries_forward(fd, size, on_bad_line)
                return
            for line in lines_backward(fd, size):
                if line.complete:
                    payload, reason = decode_line(line.data)
                else:
                    payload, reason = None, INCOMPLETE
                if payload is not None:
                    yield line.number, line.offset, payload
                elif on_bad_line is not None:
                    on_bad_line(BadLine(line.number, reason, line.offset))

    def _unless_in_progress(
        self, on_bad_line: Callable[[BadLine], None] | None, fd: int, size: int
    ) -> Callable[[BadLine], None] | None:
        """``on_bad_line``, except for an unterminated last line that is an append in progress."""
        if on_bad_line is None:
            return None
        report = on_bad_line

        def judged(bad: BadLine) -> None:
            if bad.reason != INCOMPLETE or torn_at_rest(self.path, fd, size):
                report(bad)

        return judged

    def iter_lines(self) -> Iterator[tuple[int, bytes]]:
        """Every line with its 1-based number and its newline (if any), oldest first."""
        for line in self._iter_raw(newest_first=False):
            yield line.number, line.data + b"\n" if line.complete else line.data

    def _iter_raw(self, *, newest_first: bool) -> Iterator[Line]:
        with self._open_for_reading() as handle:
            if handle is None:
                return
            fd = handle.fileno()
            size = os.fstat(fd).st_size
            yield from (lines_backward if newest_first else lines_forward)(fd, size)

    def _open_for_reading(self) -> contextlib.AbstractContextManager[io.FileIO | None]:
        try:
            return io.FileIO(open_file(self.path, os.O_RDONLY), "rb")
        except FileNotFoundError:
            return contextlib.nullcontext()
        except OSError as exc:
            raise RecordStoreError(f"cannot read {self.path}: {exc.strerror or exc}") from exc

    # -- checking and repairing -------------------------------------------------------------------

    def verify(self, check: Callable[[dict[str, Any]], str | None] | None = None) -> Verification:
        """Count good and bad lines of the file as it was at a moment no append was running.

        ``check`` may reject a parsed payload by returning why; exceptions it raises propagate.
        """
        self._require_file()
        try:
            with self._locked():  # only to see the file between two appends: open it, note its size
                fd, seen = self._open_snapshot()
        except RecordStoreError as exc:
            if not _cannot_write_here(exc):
                raise
            # A read-only disk or a folder we may not write: no lock file can be made there. Verifying
            # is a read, so read the file as it is (nobody can append through this process here).
            fd, seen = self._open_snapshot()
        try:
            good = unchecked = 0
            bad: list[BadLine] = []
            for line in lines_forward(fd, seen.st_size):
                reason = self._judge(line, check)
                if reason:
                    bad.append(BadLine(line.number, reason, line.offset))
                else:
                    good += 1
                    unchecked += not decode_checked(line.data)[2]
        finally:
            os.close(fd)
        quarantined = self.count_quarantined()
        mode = seen.st_mode & 0o7777
        return Verification(self.path, good, unchecked, tuple(bad), quarantined, self.quarantine_path, mode)

    def _open_snapshot(self) -> tuple[int, os.stat_result]:
        """A descriptor of the file at the path now and its size: a repair may replace the path
        later, so the caller reads this file, to this size."""
        fd = open_file(self.path, os.O_RDONLY)
        try:
            return fd, os.fstat(fd)
        except OSError:
            os.close(fd)
            raise

    def repair(self, check: Callable[[dict[str, Any]], str | None] | None = None) -> Repair:
        """Move bad lines to the quarantine and atomically keep the good ones in order; make it 0600.

        Streams in bounded memory and holds the lock only at the start and for the end: lines
        appended while it copies are judged under the lock and kept, in order. Writes a temp file
        beside the records, fsyncs it, appends the bad lines to the quarantine (fsynced), renames
        the temp file over the records and fsyncs the directory, so a crash never loses a line.
        A file whose only bad line is a torn last line is cut in place instead. If ``check``
        raises, nothing is changed. See repair.py.
        """
        self._require_file()
        return RepairJob(self, check).run()

    def count_quarantined(self) -> int:
        """How many entries the quarantine file holds (0 if there is none)."""
        return quarantine.count_entries(self.quarantine_path)

    @staticmethod
    def _judge(line: Line, check: Callable[[dict[str, Any]], str | None] | None) -> str:
        if not line.complete:
            return TORN
        payload, reason = decode_line(line.data)
        if payload is None:
            return reason
        return (check(payload) or "") if check else ""

    def _require_file(self) -> None:
        if not os.path.lexists(self.path):
            raise RecordStoreError(f"{self.path} does not exist")
        refusal = refusal_of(self.path)
        if refusal:
            raise RecordStoreError(refusal)
        if not os.access(self.path, os.R_OK):
            raise RecordStoreError(f"{self.path} is not readable (permission denied)")


def _cannot_write_here(exc: RecordStoreError) -> bool:
    """True if ``exc`` says the lock file could not be made because the folder is not writable."""
    cause = exc.__cause__
    return isinstance(cause, OSError) and cause.errno in (errno.EROFS, errno.EACCES, errno.EPERM)


class _Held:
    """Context manager holding the log's in-process and cross-process locks."""

    __slots__ = ("_log",)

    def __init__(self, log: JsonlLog) -> None:
        self._log = log

    def __enter__(self) -> None:
        self._log._acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._log._release()


class _Descriptors:
    """The kept lock and records descriptors of one process."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock: int | None = None
        self.records: int | None = None

    def for_this_process(self) -> None:
        if self.pid != os.getpid():  # after fork: the inherited descriptors share the parent's flock
            self.close()
            self.pid = os.getpid()

    def lock_fd(self, lock_path: Path) -> int:
        if self.lock is None:
            # Every append, verify and repair locks first: one place to check the directories.
            refuse_shared_directories(lock_path.parent)
            make_directories(lock_path.parent)
            self.lock = open_file(lock_path, os.O_RDWR | os.O_CREAT)
        return self.lock

    def close_lock(self) -> None:
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None

    def close_records(self) -> None:
        if self.records is not None:
            with contextlib.suppress(OSError):
                os.close(self.records)
            self.records = None

    def close(self) -> None:
        self.close_records()
        self.close_lock()
