"""Reading a JSON-lines file in blocks, forwards or backwards, without loading it whole."""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from adapters.jsonl_log.line_format import CHECKSUM_KEY, CRC_HEAD, CRC_SUFFIX_LEN, decode_checked
from domain.store_health import BadLine

READ_BLOCK = 1 << 18  # bigger blocks measured slower (cache misses)
TAIL_BLOCK = 1 << 16


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based from the start, or -1, -2, ... from the end when reading backwards
    offset: int
    data: bytes  # without the newline
    complete: bool


INCOMPLETE = (
    "incomplete last line (a torn write: the next append or `records repair` moves it to the quarantine)"
)


def entries_forward(
    fd: int, size: int, on_bad_line: Callable[[BadLine], None] | None
) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """The hot read loop: good lines are parsed and checksummed once, inline; others go to decode_checked."""
    loads, crc32, head, suffix = orjson.loads, zlib.crc32, CRC_HEAD, CRC_SUFFIX_LEN
    number = offset = position = 0
    pending = b""
    while position < size:
        chunk = os.pread(fd, min(READ_BLOCK, size - position), position)
        if not chunk:
            break  # the file was cut shorter while we read
        position += len(chunk)
        parts = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
        pending = parts.pop()
        for data in parts:
            number += 1
            try:
                payload = loads(data)
            except orjson.JSONDecodeError:
                payload = None
            if type(payload) is dict:
                stored = payload.pop(CHECKSUM_KEY, None)
                if stored is None or (
                    data[-suffix : len(head) - suffix] == head
                    and stored == f"{crc32(b'}', crc32(memoryview(data)[:-suffix])):08x}"
                ):
                    yield number, offset, payload
                    offset += len(data) + 1
                    continue
            good, reason, _checked = decode_checked(data)  # rare: a bad or reformatted line
            if good is not None:
                yield number, offset, good
            elif on_bad_line is not None:
                on_bad_line(BadLine(number, reason, offset))
            offset += len(data) + 1
    if pending and on_bad_line is not None:
        on_bad_line(BadLine(number + 1, INCOMPLETE, offset))


def lines_forward(fd: int, size: int, *, start: int = 0, first_number: int = 1) -> Iterator[Line]:
    """The lines of ``[start, size)``, numbered from ``first_number``; ``start`` begins a line."""
    number, offset, pending = first_number - 1, start, b""
    position = start
    while position < size:
        chunk = os.pread(fd, min(READ_BLOCK, size - position), position)
        if not chunk:
            break  # the file was cut shorter while we read
        position += len(chunk)
        parts = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
        pending = parts.pop()
        for data in parts:
            number += 1
            yield Line(number, offset, data, True)
            offset += len(data) + 1
    if pending:
        yield Line(number + 1, offset, pending, False)


def lines_backward(fd: int, size: int) -> Iterator[Line]:
    end = last_line_start(fd, size)
    number = 0
    if end < size:
        number -= 1
        yield Line(number, end, os.pread(fd, size - end, end), False)
    # [0, end) holds only complete lines. ``carry`` is the start of the region read so far, up to
    # and including its first newline: a line whose beginning is in the next block to read.
    line_end, position, carry = end - 1, end, b""
    while position > 0:
        start = max(0, position - READ_BLOCK)
        buffer = os.pread(fd, position - start, start) + carry
        position = start
        if start > 0:
            cut = buffer.find(b"\n") + 1
            carry, buffer = buffer[:cut], buffer[cut:]
        else:
            carry = b""
        for data in reversed(buffer.split(b"\n")[:-1]):
            number -= 1
            begin = line_end - len(data)
            yield Line(number, begin, data, True)
            line_end = begin - 1


def last_line_start(fd: int, size: int) -> int:
    """Offset just after the last newline before ``size`` (0 if there is none)."""
    position = size
    while position > 0:
        start = max(0, position - TAIL_BLOCK)
        found = os.pread(fd, position - start, start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        position = start
    return 0
