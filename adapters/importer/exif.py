"""JPEG and WEBP metadata: EXIF (UserComment, ImageDescription, Make) and JPEG comments, no pixels decoded.

A JPEG is walked marker by marker up to the start of scan; a WEBP chunk by chunk (RIFF). The
EXIF block is a small TIFF: IFD0, then the Exif IFD it points to. Every offset is bounds-checked,
so a damaged block gives fewer texts and a note, never an exception.

UserComment starts with an 8-byte character code. ``UNICODE`` is UTF-16 whose byte order EXIF
leaves open: A1111 (through piexif) writes big-endian, other writers little-endian, so a BOM
decides, else the side the zero bytes fall on (ASCII-range text), else the TIFF byte order.
``ASCII``, ``JIS`` and the undefined code (8 zero bytes) are read as UTF-8 / Shift-JIS / UTF-8.
ComfyUI's WEBP writes ``Prompt:{...}`` and ``Workflow:{...}`` into Make / ImageDescription: those
become the texts ``prompt`` and ``workflow``, as in its PNGs.
"""

from __future__ import annotations

import struct

from adapters.importer.image_texts import MAX_TEXT_CHARACTERS, ImageTexts, NotAnImage

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_STRING_TAGS = {0x010E: "ImageDescription", 0x010F: "Make", 0x0110: "Model", 0x0131: "Software"}
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286
_XP_COMMENT = 0x9C9C
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}
_MAX_ENTRIES = 512


def read_jpeg_texts(data: bytes) -> ImageTexts:
    """Size (from the frame header) and texts of a JPEG; raises NotAnImage when cut before any frame."""
    position = 2
    size: tuple[int, int] | None = None
    texts: dict[str, str] = {}
    problems: list[str] = []
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            problems.append("damaged JPEG marker sequence")
            break
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):
            position += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no metadata follows
            break
        (length,) = struct.unpack_from(">H", data, position + 2)
        body = data[position + 4 : position + 2 + length]
        if length < 2 or position + 2 + length > len(data):
            problems.append("file cut short inside a JPEG segment")
            break
        if marker in _SOF and len(body) >= 5:
            height, width = struct.unpack_from(">HH", body, 1)
            size = (width, height)
        elif marker == 0xE1 and body.startswith(b"Exif\0\0"):
            _read_tiff(body[6:], texts, problems)
        elif marker == 0xFE:
            texts.setdefault("Comment", _utf8(body.rstrip(b"\0")))
        position += 2 + length
    if size is None and not texts:
        raise NotAnImage("a JPEG without a frame header (truncated or damaged)")
    return ImageTexts("jpeg", size, texts, tuple(problems))


def read_webp_texts(data: bytes) -> ImageTexts:
    """Canvas size and EXIF texts of a WEBP (RIFF chunks)."""
    position = 12
    size: tuple[int, int] | None = None
    texts: dict[str, str] = {}
    problems: list[str] = []
    end_of_riff = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    while position + 8 <= end_of_riff:
        fourcc = data[position : position + 4]
        (length,) = struct.unpack_from("<I", data, position + 4)
        body = data[position + 8 : position + 8 + length]
        if len(body) < length:
            problems.append("file cut short inside a WEBP chunk")
            break
        if fourcc == b"VP8X" and len(body) >= 10:
            size = (int.from_bytes(body[4:7], "little") + 1, int.from_bytes(body[7:10], "little") + 1)
        elif fourcc == b"VP8 " and size is None and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
            width, height = struct.unpack_from("<HH", body, 6)
            size = (width & 0x3FFF, height & 0x3FFF)
        elif fourcc == b"VP8L" and size is None and len(body) >= 5 and body[0] == 0x2F:
            bits = int.from_bytes(body[1:5], "little")
            size = ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        elif fourcc == b"EXIF":
            _read_tiff(body.removeprefix(b"Exif\0\0"), texts, problems)
        position += 8 + length + (length & 1)
    if size is None and not texts:
        raise NotAnImage("a WEBP without an image chunk (truncated or damaged)")
    return ImageTexts("webp", size, texts, tuple(problems))


def _read_tiff(tiff: bytes, texts: dict[str, str], problems: list[str]) -> None:
    """Add the EXIF block's texts; a damaged block adds a note instead."""
    if tiff[:4] not in (b"II*\0", b"MM\0*") or len(tiff) < 8:
        problems.append("EXIF block without a TIFF header")
        return
    order = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(order + "I", tiff, 4)
    entries = _entries(tiff, order, ifd0, problems)
    for tag, name in _STRING_TAGS.items():
        if tag in entries:
            _add_string(name, _utf8(entries[tag].rstrip(b"\0")), texts)
    if _XP_COMMENT in entries:
        texts.setdefault("XPComment", entries[_XP_COMMENT].decode("utf-16-le", "replace").rstrip("\0"))
    pointer = entries.get(_EXIF_IFD)
    if pointer is not None and len(pointer) >= 4:
        exif_entries = _entries(tiff, order, struct.unpack_from(order + "I", pointer)[0], problems)
        comment = exif_entries.get(_USER_COMMENT)
        if comment is not None:
            text = decode_user_comment(comment, little_endian=order == "<")
            if text:
                texts.setdefault("UserComment", text)


def _add_string(name: str, text: str, texts: dict[str, str]) -> None:
    """ComfyUI's ``Prompt:{json}`` / ``Workflow:{json}`` become ``prompt`` / ``workflow``."""
    key, colon, rest = text.partition(":")
    if colon and key.lower() in ("prompt", "workflow") and rest.lstrip().startswith("{"):
        texts.setdefault(key.lower(), rest)
    else:
        texts.setdefault(name, text)


def _entries(tiff: bytes, order: str, offset: int, problems: list[str]) -> dict[int, bytes]:
    """Each entry's raw value bytes of the IFD at ``offset``; out-of-bounds values are left out."""
    if offset + 2 > len(tiff):
        problems.append("EXIF directory outside the block")
        return {}
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    values: dict[int, bytes] = {}
    for index in range(min(count, _MAX_ENTRIES)):
        at = offset + 2 + 12 * index
        if at + 12 > len(tiff):
            problems.append("EXIF directory cut short")
            break
        tag, kind, number = struct.unpack_from(order + "HHI", tiff, at)
        length = _TYPE_SIZES.get(kind, 1) * number
        if length > MAX_TEXT_CHARACTERS * 2:
            problems.append(f"EXIF tag {tag:#06x} is too long: left out")
            continue
        if length <= 4:
            values[tag] = tiff[at + 8 : at + 8 + length]
            continue
        (start,) = struct.unpack_from(order + "I", tiff, at + 8)
        if start + length > len(tiff):
            problems.append(f"EXIF tag {tag:#06x} points outside the block")
            continue
        values[tag] = tiff[start : start + length]
    return values


def decode_user_comment(value: bytes, *, little_endian: bool = False) -> str:
    """The text of an EXIF UserComment (its 8-byte character code, then the text)."""
    code, body = value[:8], value[8:]
    if code == b"UNICODE\0":
        return _utf16(body, little_endian).rstrip("\0")
    if code == b"JIS\0\0\0\0\0":
        return body.decode("shift_jis", errors="replace").rstrip("\0")
    if code in (b"ASCII\0\0\0", b"\0" * 8):
        return _utf8(body).rstrip("\0")
    return _utf8(value).rstrip("\0")


def _utf16(body: bytes, little_endian: bool) -> str:
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body.decode("utf-16", errors="replace")
    even = body[0::2].count(0)
    odd = body[1::2].count(0)
    if even != odd:
        little_endian = odd > even
    return body[: len(body) & ~1].decode("utf-16-le" if little_endian else "utf-16-be", errors="replace")


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
