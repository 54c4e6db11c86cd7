"""Metadata texts out of PNG, JPEG and WEBP bytes, told apart by content, without decoding pixels."""

from __future__ import annotations

import struct
import zlib

import pytest

from adapters.importer import containers
from adapters.importer.containers import NotAnImage, read_image_texts
from adapters.importer.exif import decode_user_comment
from tests.importer.images import (
    chunk,
    jpeg_bytes,
    png_bytes,
    text_chunk,
    tiff_exif,
    unicode_comment,
    webp_bytes,
)

TEXT = "a cat, 猫\nSteps: 20, Seed: 1, Size: 8x8"


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt", "iTXt-z"])
@pytest.mark.parametrize("after_idat", [False, True])
def test_png_text_is_read_from_every_chunk_kind_before_or_after_the_pixels(
    kind: str, after_idat: bool
) -> None:
    text = TEXT if kind.startswith("iTXt") else TEXT.replace("猫", "é")
    found = read_image_texts(png_bytes([("parameters", text, kind)], size=(5, 7), after_idat=after_idat))
    assert (found.container, found.size) == ("png", (5, 7))
    assert found.texts == {"parameters": text}


def test_the_first_of_a_repeated_png_keyword_wins() -> None:
    found = read_image_texts(png_bytes([("parameters", "one", "tEXt"), ("parameters", "two", "tEXt")]))
    assert found.texts["parameters"] == "one"


def test_a_png_cut_short_keeps_the_texts_before_the_cut() -> None:
    data = png_bytes([("parameters", "kept", "tEXt")])
    cut = data[: data.index(b"IDAT") + 10]
    found = read_image_texts(cut)
    assert found.texts == {"parameters": "kept"}
    assert found.problems == ("file cut short inside a IDAT chunk",)


def test_a_png_cut_before_its_end_says_so() -> None:
    found = read_image_texts(png_bytes()[:40])
    assert (found.texts, found.problems) == ({}, ("file cut short (no end chunk)",))


def test_a_png_cut_inside_its_header_is_not_an_image() -> None:
    with pytest.raises(NotAnImage, match="header"):
        read_image_texts(png_bytes()[:20])


def test_a_compressed_text_over_the_cap_is_left_out_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.importer.png_chunks.MAX_TEXT_CHARACTERS", 1000)
    found = read_image_texts(png_bytes([("bomb", "x" * 5000, "zTXt"), ("small", "ok", "tEXt")]))
    assert found.texts == {"small": "ok"}
    assert found.problems == ("text chunk 'bomb' is over 1,000 characters: left out",)


def test_a_damaged_compressed_text_is_a_note() -> None:
    data = png_bytes()
    bad = chunk(b"zTXt", b"parameters\0\0" + b"not zlib at all")
    idat = data.index(b"IDAT") - 4
    found = read_image_texts(data[:idat] + bad + data[idat:])
    assert found.texts == {}
    assert found.problems[0].startswith("text chunk 'parameters' unreadable")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file (0 bytes)"),
        (b"GIF89a not a png", "not a PNG, JPEG or WEBP image (by its content)"),
        (b"\xff\xd8\xff", "a JPEG without a frame header (truncated or damaged)"),
        (b"RIFF\x04\0\0\0WEBP", "a WEBP without an image chunk (truncated or damaged)"),
    ],
)
def test_what_is_not_a_readable_image_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(NotAnImage) as raised:
        read_image_texts(data)
    assert str(raised.value) == reason


@pytest.mark.parametrize("little_tiff", [False, True])
@pytest.mark.parametrize("little_text", [False, True])
def test_jpeg_user_comment_in_utf16_of_either_byte_order(little_tiff: bool, little_text: bool) -> None:
    exif = tiff_exif(unicode_comment(TEXT, little=little_text), little=little_tiff)
    found = read_image_texts(jpeg_bytes(exif, size=(9, 4)))
    assert (found.container, found.size) == ("jpeg", (9, 4))
    assert found.texts == {"UserComment": TEXT}


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"ASCII\0\0\0plain words\0", "plain words"),
        (b"\0" * 8 + "ünïcode".encode(), "ünïcode"),
        (b"JIS\0\0\0\0\0" + "猫".encode("shift_jis"), "猫"),
        (b"UNICODE\0\xff\xfe" + "bom".encode("utf-16-le"), "bom"),
        (b"no code at all", "no code at all"),
    ],
)
def test_user_comment_character_codes(raw: bytes, text: str) -> None:
    assert decode_user_comment(raw) == text


def test_utf16_without_ascii_falls_back_to_the_tiff_byte_order() -> None:
    text = "猫猫"
    assert decode_user_comment(unicode_comment(text, little=True), little_endian=True) == text
    assert decode_user_comment(unicode_comment(text), little_endian=False) == text


def test_jpeg_comment_segment_is_read() -> None:
    found = read_image_texts(jpeg_bytes(comment=b"made by hand"))
    assert found.texts == {"Comment": "made by hand"}


def test_comfyui_webp_prompt_and_workflow_in_exif_strings() -> None:
    exif = tiff_exif(strings={0x010F: b'Prompt:{"3": {}}', 0x010E: b'Workflow:{"nodes": []}'})
    found = read_image_texts(webp_bytes(exif, size=(6, 3)))
    assert (found.container, found.size) == ("webp", (6, 3))
    assert found.texts == {"prompt": '{"3": {}}', "workflow": '{"nodes": []}'}


def test_webp_user_comment() -> None:
    found = read_image_texts(webp_bytes(tiff_exif(unicode_comment(TEXT))))
    assert found.texts == {"UserComment": TEXT}


def test_exif_offsets_pointing_outside_the_block_are_notes() -> None:
    exif = bytearray(tiff_exif(unicode_comment(TEXT)))
    last_offset = exif.rindex(struct.pack(">HHI", 0x9286, 7, len(unicode_comment(TEXT))))
    exif[last_offset + 8 : last_offset + 12] = struct.pack(">I", 10**6)
    found = read_image_texts(jpeg_bytes(bytes(exif)))
    assert found.texts == {}
    assert found.problems == ("EXIF tag 0x9286 points outside the block",)


def test_pixels_are_never_decompressed(monkeypatch: pytest.MonkeyPatch) -> None:
    inflated: list[int] = []
    real = zlib.decompressobj

    def counting() -> zlib._Decompress:
        inflated.append(1)
        return real()

    monkeypatch.setattr(zlib, "decompressobj", counting)
    read_image_texts(png_bytes([("a", "b", "tEXt")], size=(64, 64)))
    assert inflated == []  # the IDAT chunk was skipped, not inflated
    read_image_texts(png_bytes([("a", "b", "zTXt")]))
    assert inflated == [1]


def test_text_chunk_keyword_only_without_a_separator_is_a_note() -> None:
    data = png_bytes()
    idat = data.index(b"IDAT") - 4
    found = read_image_texts(data[:idat] + chunk(b"tEXt", b"nokeyword") + data[idat:])
    assert found.problems == ("a tEXt chunk without a keyword",)
    assert containers.MAX_TEXT_CHARACTERS == 8 * 1024 * 1024
    assert text_chunk("k", "v").endswith(struct.pack(">I", zlib.crc32(b"tEXtk\0v")))
