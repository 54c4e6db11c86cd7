"""``JsonlLog.repair``: move bad lines to the quarantine and keep the good ones, in bounded memory.

Three steps, so that writers wait only for the last, short one:

1. ``start``, under the store's lock: remove temp files of killed repairs, open the records file,
   note ``limit``, the end of its last complete line, and create a locked temp file beside it.
2. ``copy``, without the lock (appends and reads go on): judge every line of ``[0, limit)``. A bad
   one becomes a quarantine entry in an anonymous staging file; once a first bad line shows that a
   new file is needed, the runs of good lines are copied to the temp file in the kernel
   (copy_file_range). Nothing below ``limit`` changes meanwhile: appends only add bytes and only
   ever cut back what they added, and a torn tail lies above ``limit``.
3. ``finish``, under the lock: give up if the path no longer names the file copied (another repair
   replaced it). Judge the lines appended since ``limit`` the same way. Then: nothing was bad; or
   only a torn last line was, which is quarantined and cut in place as an append would; or the
   staged entries are appended to the quarantine (fsynced), the temp file is completed and
   fsynced, renamed over the records file, and the directory fsynced. Writers compare the path's
   inode with their kept descriptor's under the lock, so their next append goes to the new file.

Memory holds one read block, one line and a ``BadLine`` per bad line, whatever the file's size.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from adapters.jsonl_log import quarantine, temp_files
from adapters.jsonl_log.files import copy_range, fsync_dir, open_file
from adapters.jsonl_log.scan import Line, last_line_start, lines_forward
from domain.errors import RecordStoreError
from domain.store_health import PRIVATE_MODE, BadLine, Repair, open_to_others

if TYPE_CHECKING:
    from adapters.jsonl_log.log import JsonlLog

Check = Callable[[dict[str, Any]], str | None]

TORN = "torn tail: the last line has no newline"
FLUSH_BYTES = 8 << 20  # good lines are copied in runs of at most this size
_STAGED_BLOCK = 1 << 20


class RepairJob:
    """One run of ``JsonlLog.repair``: ``start`` and ``finish`` hold the store's lock, ``copy`` does not."""

    def __init__(self, log: JsonlLog, check: Check | None) -> None:
        self.log = log
        self.path = log.path
        self.check = check
        self.source = -1
        self.held: os.stat_result | None = None
        self.limit = 0
        self.temp_fd = -1
        self.temp: Path | None = None
        self.staging: IO[bytes] | None = None
        self.copying = False  # a bad line was seen: the temp file gets every good line
        self.copied = 0  # bytes of the records file before this offset are copied or moved
        self.next_number = 1
        self.kept = 0
        self.moved: list[BadLine] = []
        self.torn: Line | None = None
        self.replaced = False

    def run(self) -> Repair:
        try:
            self.start()
            self.copy()
            return self.finish()
        except OSError as exc:
            raise RecordStoreError(f"cannot repair {self.path}: {exc.strerror or exc}") from exc
        finally:
            self.close()

    def start(self) -> None:
        with self.log._locked():
            temp_files.remove_stale(self.path)
            self.source = open_file(self.path, os.O_RDONLY)
            self.held = os.fstat(self.source)
            self.limit = last_line_start(self.source, self.held.st_size)
            self.temp_fd, self.temp = temp_files.create(self.path)

    def copy(self) -> None:
        self._scan(0, self.limit)
        if self.copying:
            self._copy_good(self.limit)
            os.fsync(self.temp_fd)  # the bulk reaches the disk before writers have to wait

    def finish(self) -> Repair:
        with self.log._locked():
            self._require_same_file()
            end = os.fstat(self.source).st_size
            if end < self.limit:  # appends never cut below it: another program truncated the file
                raise RecordStoreError(
                    f"{self.path} shrank while this repair copied it: this one changed nothing"
                )
            self._scan(self.limit, end)
            if self.copying:
                self._replace(end)
            elif self.torn is not None:
                self._cut_torn_tail_in_place(self.torn)
            mode_before = self._make_private()
        return Repair(self.path, self.kept, tuple(self.moved), self.log.quarantine_path, mode_before)

    def close(self) -> None:
        if self.staging is not None:
            self.staging.close()
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
        for fd in (self.temp_fd, self.source):
            if fd >= 0:
                os.close(fd)  # closing the temp file also drops its flock
        self.temp_fd = self.source = -1

    # -- steps ------------------------------------------------------------------------------------

    def _scan(self, start: int, end: int) -> None:
        for line in lines_forward(self.source, end, start=start, first_number=self.next_number):
            self.next_number = line.number + 1
            if not line.complete:
                self.torn = line  # only ever the last line
                break
            reason = self.log._judge(line, self.check)
            if reason:
                self._move(line.offset, line.number, line.data + b"\n", reason)
                continue
            self.kept += 1
            line_end = line.offset + len(line.data) + 1
            if self.copying and line_end - self.copied >= FLUSH_BYTES:
                self._copy_good(line_end)

    def _move(self, offset: int, number: int, raw: bytes, reason: str) -> None:
        self.copying = True
        self._copy_good(offset)
        if self.staging is None:
            # Anonymous (O_TMPFILE): gone if we die. Closed by close().
            self.staging = tempfile.TemporaryFile(dir=self.path.parent)  # noqa: SIM115
        self.staging.write(quarantine.entry(self.path.name, offset, number, raw, reason))
        self.moved.append(BadLine(number, reason, offset))
        self.copied = offset + len(raw)

    def _copy_good(self, upto: int) -> None:
        copy_range(self.source, self.temp_fd, self.copied, upto - self.copied)
        self.copied = upto

    def _replace(self, end: int) -> None:
        if self.torn is not None:
            self._move(self.torn.offset, self.torn.number, self.torn.data, TORN)
        self._copy_good(end)
        self._keep_owner()
        os.fsync(self.temp_fd)
        self.log._write_quarantine(self._staged(), fsync=True)  # before the bad lines leave the file
        self._require_same_file()
        assert self.temp is not None
        os.replace(self.temp, self.path)
        self.temp, self.replaced = None, True
        fsync_dir(self.path.parent)
        self.log._fds.close_records()

    def _cut_torn_tail_in_place(self, torn: Line) -> None:
        """Only the last line is bad and torn: cut it like an append would, without a copy."""
        self.moved.append(BadLine(torn.number, TORN, torn.offset))
        fd, _size = self.log._records_fd()
        self.log._cut_tail_locked(fd, torn.offset, torn.data, torn.number, TORN)

    def _make_private(self) -> int | None:
        assert self.held is not None
        if not open_to_others(self.held.st_mode):
            return None
        if not self.replaced:  # a replacing file was created 0600
            os.fchmod(self.source, self.held.st_mode & PRIVATE_MODE)
        return self.held.st_mode & 0o7777

    # -- helpers ----------------------------------------------------------------------------------

    def _require_same_file(self) -> None:
        assert self.held is not None
        try:
            named = os.lstat(self.path)
        except FileNotFoundError:
            named = None
        if named is None or (named.st_dev, named.st_ino) != (self.held.st_dev, self.held.st_ino):
            raise RecordStoreError(
                f"{self.path} was replaced while this repair copied it (by another repair?): "
                "this one changed nothing; run it again if `verify` still finds bad lines"
            )

    def _keep_owner(self) -> None:
        """The repaired file keeps the records file's owner when we may set it (as root)."""
        assert self.held is not None
        ours = os.fstat(self.temp_fd)
        if (ours.st_uid, ours.st_gid) != (self.held.st_uid, self.held.st_gid):
            with contextlib.suppress(PermissionError):  # not root: it becomes ours, as any rewrite would
                os.fchown(self.temp_fd, self.held.st_uid, self.held.st_gid)

    def _staged(self) -> Iterator[bytes]:
        assert self.staging is not None
        self.staging.flush()
        self.staging.seek(0)
        while block := self.staging.read(_STAGED_BLOCK):
            yield block
