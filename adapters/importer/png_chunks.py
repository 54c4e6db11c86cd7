"""PNG text chunks (tEXt, zTXt, iTXt) read with struct and zlib, anywhere in the file; pixels never decoded.

A chunk is length (4 bytes, big-endian), type (4), data, CRC (4). IDAT data is skipped unread.
A compressed text is inflated with a cap, so a zip bomb costs at most the cap; a text over
``MAX_TEXT_CHARACTERS`` is left out with a note. A file cut short keeps the texts before the cut.
"""

from __future__ import annotations

import struct
import zlib

from adapters.importer.image_texts import MAX_TEXT_CHARACTERS, ImageTexts, NotAnImage

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT_TYPES = (b"tEXt", b"zTXt", b"iTXt")


def read_png_texts(data: bytes) -> ImageTexts:
    """Size from IHDR and every text chunk of a PNG's bytes; raises NotAnImage without an IHDR."""
    position = len(SIGNATURE)
    size: tuple[int, int] | None = None
    texts: dict[str, str] = {}
    problems: list[str] = []
    ended = False
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        start = position + 8
        end = start + length
        if end > len(data):
            problems.append(f"file cut short inside a {_name(kind)} chunk")
            break
        body = data[start:end]
        if kind == b"IHDR" and length >= 8:
            size = struct.unpack_from(">II", body)
        elif kind in _TEXT_TYPES:
            _add_text(kind, body, texts, problems)
        elif kind == b"IEND":
            ended = True
            break
        position = end + 4
    if size is None:
        raise NotAnImage("a PNG without its header chunk (truncated or damaged)")
    if not ended and not problems:
        problems.append("file cut short (no end chunk)")
    return ImageTexts("png", size, texts, tuple(problems))


def _add_text(kind: bytes, body: bytes, texts: dict[str, str], problems: list[str]) -> None:
    keyword_bytes, separator, rest = body.partition(b"\0")
    if not separator:
        problems.append(f"a {_name(kind)} chunk without a keyword")
        return
    keyword = keyword_bytes.decode("latin-1")
    try:
        text = _text_of(kind, rest)
    except (ValueError, zlib.error) as exc:
        problems.append(f"text chunk {keyword!r} unreadable ({exc})")
        return
    if text is None:
        problems.append(f"text chunk {keyword!r} is over {MAX_TEXT_CHARACTERS:,} characters: left out")
        return
    texts.setdefault(keyword, text)


def _text_of(kind: bytes, rest: bytes) -> str | None:
    """The chunk's text, or None when it is too long; raises ValueError or zlib.error when damaged."""
    if kind == b"tEXt":
        return rest.decode("latin-1") if len(rest) <= MAX_TEXT_CHARACTERS else None
    if kind == b"zTXt":
        raw = _inflate(rest[1:])
        return None if raw is None else raw.decode("latin-1")
    if len(rest) < 2:
        raise ValueError("iTXt header cut short")
    compressed, method = rest[0], rest[1]
    _language, _, after = rest[2:].partition(b"\0")
    _translated, _, text = after.partition(b"\0")
    if compressed:
        if method != 0:
            raise ValueError(f"unknown compression method {method}")
        inflated = _inflate(text)
        if inflated is None:
            return None
        text = inflated
    elif len(text) > MAX_TEXT_CHARACTERS:
        return None
    return text.decode("utf-8", errors="replace")


def _inflate(data: bytes) -> bytes | None:
    """``data`` inflated, or None when it would exceed the cap."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, MAX_TEXT_CHARACTERS + 1)
    return None if len(out) > MAX_TEXT_CHARACTERS else out


def _name(kind: bytes) -> str:
    return kind.decode("latin-1", errors="replace")
