"""Image files made in the tests, byte by byte: PNG text chunks anywhere, JPEG/WEBP EXIF, ComfyUI WEBP.

Pillow makes the pixels; the metadata is written by hand so each variant a front-end writes
(zTXt, iTXt, a chunk after IDAT, UTF-16 in either byte order) can be produced exactly.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def text_chunk(keyword: str, text: str, kind: str = "tEXt") -> bytes:
    key = keyword.encode("latin-1") + b"\0"
    if kind == "tEXt":
        return chunk(b"tEXt", key + text.encode("latin-1"))
    if kind == "zTXt":
        return chunk(b"zTXt", key + b"\0" + zlib.compress(text.encode("latin-1")))
    compressed = kind == "iTXt-z"
    body = text.encode("utf-8")
    if compressed:
        body = zlib.compress(body)
    return chunk(b"iTXt", key + bytes([int(compressed), 0]) + b"en\0" + b"\0" + body)


def png_bytes(
    texts: Sequence[tuple[str, str, str]] = (), *, size: tuple[int, int] = (8, 8), after_idat: bool = False
) -> bytes:
    """A PNG whose text chunks ``(keyword, text, kind)`` come before IDAT, or after it."""
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    plain = buffer.getvalue()
    iend = plain.rindex(b"IEND") - 4
    idat = plain.index(b"IDAT") - 4
    chunks = b"".join(text_chunk(*item) for item in texts)
    if after_idat:
        return plain[:iend] + chunks + plain[iend:]
    return plain[:idat] + chunks + plain[idat:]


def tiff_exif(
    user_comment: bytes | None = None, *, strings: dict[int, bytes] | None = None, little: bool = False
) -> bytes:
    """A TIFF-shaped EXIF block: IFD0 with ``strings`` (ASCII tags) and a pointer to an Exif IFD."""
    order = "<" if little else ">"
    head = (b"II*\0" if little else b"MM\0*") + struct.pack(order + "I", 8)
    ifd0_tags = sorted((strings or {}).items())
    entries0 = len(ifd0_tags) + (1 if user_comment is not None else 0)
    ifd0_size = 2 + 12 * entries0 + 4
    data_at = 8 + ifd0_size
    entries = b""
    data = b""
    for tag, string in ifd0_tags:
        value = string + b"\0"
        entries += struct.pack(order + "HHII", tag, 2, len(value), data_at + len(data))
        data += value + (b"\0" if len(value) & 1 else b"")
    exif_ifd = b""
    if user_comment is not None:
        exif_at = data_at + len(data)
        entries += struct.pack(order + "HHII", 0x8769, 4, 1, exif_at)
        comment_at = exif_at + 2 + 12 + 4
        exif_ifd = (
            struct.pack(order + "H", 1)
            + struct.pack(order + "HHII", 0x9286, 7, len(user_comment), comment_at)
            + struct.pack(order + "I", 0)
            + user_comment
        )
    ifd0 = struct.pack(order + "H", entries0) + entries + struct.pack(order + "I", 0)
    return head + ifd0 + data + exif_ifd


def unicode_comment(text: str, *, little: bool = False) -> bytes:
    return b"UNICODE\0" + text.encode("utf-16-le" if little else "utf-16-be")


def jpeg_bytes(
    exif: bytes | None = None, *, comment: bytes | None = None, size: tuple[int, int] = (8, 8)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="JPEG")
    plain = buffer.getvalue()
    segments = b""
    if exif is not None:
        body = b"Exif\0\0" + exif
        segments += b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    if comment is not None:
        segments += b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return plain[:2] + segments + plain[2:]


def webp_bytes(exif: bytes | None = None, *, size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, "blue")
    if exif is None:
        image.save(buffer, format="WEBP")
    else:
        image.save(buffer, format="WEBP", exif=b"Exif\0\0" + exif)
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
