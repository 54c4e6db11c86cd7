"""The line format: one JSON object per line whose last key ``_crc`` is the CRC-32 of the rest."""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping
from typing import Any

import orjson

from domain.errors import RecordSerializationError

CHECKSUM_KEY = "_crc"
CRC_HEAD = b',"_crc":"'  # canonical lines end with ,"_crc":"xxxxxxxx"}
CRC_SUFFIX_LEN = len(CRC_HEAD) + 8 + 2
BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark some editors put at the start of a file
_DUMP_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def encode_line(payload: Mapping[str, Any]) -> bytes:
    """One JSON object with its ``_crc`` checksum and a newline.

    Values JSON cannot represent (a Path, a set, a datetime, NaN or infinity, non-text keys)
    raise RecordSerializationError naming where they are, before anything is written.
    """
    if CHECKSUM_KEY in payload:
        raise RecordSerializationError(f"key {CHECKSUM_KEY!r} is reserved for the line checksum")
    body = encode_json(payload)
    crc = b"%08x" % zlib.crc32(body)
    if body == b"{}":
        return b'{"' + CHECKSUM_KEY.encode() + b'":"' + crc + b'"}\n'
    return body[:-1] + CRC_HEAD + crc + b'"}\n'


def encode_json(payload: Mapping[str, Any]) -> bytes:
    """``payload`` as compact JSON (the body of a line, and what other stores keep).

    Values JSON cannot represent raise RecordSerializationError naming where they are.
    """
    try:
        body = orjson.dumps(payload if type(payload) is dict else dict(payload), option=_DUMP_OPTIONS)
    except TypeError as exc:
        where = _find_unrepresentable(payload, "") or str(exc)
        raise RecordSerializationError(f"record cannot be stored as JSON: {where}") from exc
    if b"null" in body:  # orjson writes NaN and infinity as null: find them before they are lost
        non_finite = _find_non_finite(payload)
        if non_finite is not None:
            raise RecordSerializationError(f"record cannot be stored as JSON: {non_finite}")
    return body


def decode_line(line: bytes) -> tuple[dict[str, Any] | None, str]:
    """``(payload, "")`` for a valid line (checksum removed), else ``(None, why it is bad)``.

    ``line`` is given without its newline. A line without ``_crc`` (written before checksums)
    is accepted as it parses; so is a leading UTF-8 byte-order mark (an editor saved the file).
    """
    payload, reason, _checked = decode_checked(line)
    return payload, reason


def decode_checked(line: bytes) -> tuple[dict[str, Any] | None, str, bool]:
    if line.startswith(BOM):
        line = line[len(BOM) :]
    try:
        payload = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return None, f"not JSON ({exc})" if line.strip() else "empty line", False
    if type(payload) is not dict:
        return None, f"not a JSON object (a {type(payload).__name__})", False
    stored = payload.pop(CHECKSUM_KEY, None)
    if stored is None:
        return payload, "", False
    if line[-CRC_SUFFIX_LEN : -CRC_SUFFIX_LEN + len(CRC_HEAD)] == CRC_HEAD:
        crc = zlib.crc32(b"}", zlib.crc32(memoryview(line)[:-CRC_SUFFIX_LEN]))
        if stored == f"{crc:08x}":
            return payload, "", True
    # Not in the canonical form we write (or the bytes changed): check the content itself.
    if stored == f"{zlib.crc32(orjson.dumps(payload)):08x}":
        return payload, "", True
    return None, f"checksum mismatch (stored {stored!r}): the line changed after it was written", False


def _find_non_finite(value: Any) -> str | None:
    """Where a NaN or infinity hides in ``value`` (a fast scan first; paths only once one is found)."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            extend(item.values())
        elif kind is list or kind is tuple:
            extend(item)
        elif kind is str or kind is int or item is None or kind is bool:
            continue
        elif isinstance(item, float) and item - item != 0.0:
            return _path_to_non_finite(value, "")
    return None


def _path_to_non_finite(value: Any, path: str) -> str | None:
    if isinstance(value, dict):
        items: Any = ((f"{path}.{key}" if path else str(key), item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    elif isinstance(value, float) and value - value != 0.0:
        return f"{path or 'value'} is {value!r}, which JSON cannot represent"
    else:
        return None
    for where, item in items:
        found = _path_to_non_finite(item, where)
        if found:
            return found
    return None


def _find_unrepresentable(value: Any, path: str) -> str | None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"{path or 'record'} has a key {key!r} that is not text"
            found = _find_unrepresentable(item, f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _find_unrepresentable(item, f"{path}[{index}]")
            if found:
                return found
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return None
    hint = " (store str(path) instead)" if isinstance(value, os.PathLike) else ""
    return f"{path or 'value'} is a {type(value).__name__}, which JSON cannot represent{hint}"
