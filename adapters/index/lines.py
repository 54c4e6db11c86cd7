"""Reading the complete lines of a byte range of a JSON-lines file, parsed, in big blocks.

Lines are judged exactly as the JSONL reader judges them (adapters/jsonl_log/scan.py): a line
that is not a JSON object, or whose ``_crc`` does not match, is bad. Only whole lines are read:
the caller passes an ``end`` just after a newline, so an append in progress is never seen.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from adapters.index.files import FileChangedError
from adapters.jsonl_log.line_format import CHECKSUM_KEY, CRC_HEAD, CRC_SUFFIX_LEN, decode_checked
from domain.store_health import BadLine

READ_BLOCK = 1 << 20


class LineCursor:
    """Where reading stopped: the byte offset after the last line read and that line's number."""

    __slots__ = ("number", "offset")

    def __init__(self, offset: int, number: int) -> None:
        self.offset = offset
        self.number = number


def entries(
    fd: int, cursor: LineCursor, end: int, on_bad: Callable[[BadLine], None]
) -> Iterator[tuple[int, int, int, dict[str, Any]]]:
    """``(line_number, offset, length, payload)`` of each good line in ``[cursor.offset, end)``.

    ``end`` must be 0 or just after a newline. Bad lines go to ``on_bad``. ``cursor`` advances
    past each line as it is read (after the loop it points at ``end``).
    """
    loads, crc32, head, suffix = orjson.loads, zlib.crc32, CRC_HEAD, CRC_SUFFIX_LEN
    decode_error = orjson.JSONDecodeError
    position = offset = cursor.offset
    number = cursor.number
    pending = b""
    while position < end:
        chunk = os.pread(fd, min(READ_BLOCK, end - position), position)
        if not chunk:
            raise FileChangedError(
                f"the file ended at byte {position}, before byte {end} it had a moment ago"
            )
        position += len(chunk)
        parts = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
        pending = parts.pop()
        for data in parts:
            number += 1
            length = len(data) + 1
            try:
                payload = loads(data)
            except decode_error:
                payload = None
            if type(payload) is dict:
                stored = payload.pop(CHECKSUM_KEY, None)
                if stored is None or (
                    data[-suffix : len(head) - suffix] == head
                    and stored == f"{crc32(b'}', crc32(memoryview(data)[:-suffix])):08x}"
                ):
                    cursor.number, cursor.offset = number, offset + length
                    yield number, offset, length, payload
                    offset += length
                    continue
            good, reason, _checked = decode_checked(data)  # rare: a bad or reformatted line
            cursor.number, cursor.offset = number, offset + length
            if good is not None:
                yield number, offset, length, good
            else:
                on_bad(BadLine(number, reason, offset))
            offset += length
    if pending:
        raise FileChangedError(f"byte {end - 1} is no longer the end of a line")


def read_line(fd: int, offset: int, length: int) -> dict[str, Any] | None:
    """The payload of the line stored at ``offset`` (``length`` bytes with its newline), or None
    when those bytes are no longer one good line."""
    data = os.pread(fd, length, offset)
    if len(data) != length or not data.endswith(b"\n") or b"\n" in data[:-1]:
        return None
    payload, _reason, _checked = decode_checked(data[:-1])
    return payload


def last_line_end(fd: int, start: int, size: int) -> int:
    """The offset just after the last newline in ``[start, size)``, or ``start`` if there is none."""
    position = size
    while position > start:
        begin = max(start, position - (1 << 16))
        found = os.pread(fd, position - begin, begin).rfind(b"\n")
        if found >= 0:
            return begin + found + 1
        position = begin
    return start
