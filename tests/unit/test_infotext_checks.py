"""The checks on an imported infotext's numbers: in range and readable, or left out with a note."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.infotext import ParsedInfotext
from domain.infotext_checks import (
    CFG_SCALE_RANGE,
    DENOISING_RANGE,
    SEED_RANGE,
    SIDE_RANGE,
    STEPS_RANGE,
    check_parameters,
)

KEYS = ("Steps", "CFG scale", "Seed", "Size", "Denoising strength")


def checked(image_size: tuple[int, int] | None = None, **params: str) -> tuple[dict[str, object], list[str]]:
    names = {
        "steps": "Steps",
        "cfg": "CFG scale",
        "seed": "Seed",
        "size": "Size",
        "denoise": "Denoising strength",
    }
    result = check_parameters(
        ParsedInfotext("a cat", "", {names[k]: v for k, v in params.items()}), image_size
    )
    values = {
        "steps": result.steps,
        "cfg": result.cfg_scale,
        "seed": result.seed,
        "size": (result.width, result.height),
        "denoise": result.denoising_strength,
    }
    return values, list(result.notes)


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("steps", "1", 1),
        ("steps", "10000", 10_000),
        ("steps", " 28 ", 28),
        ("steps", "28.0", 28),
        ("cfg", "0", 0.0),
        ("cfg", "6.5", 6.5),
        ("cfg", "100", 100.0),
        ("seed", "0", 0),
        ("seed", "4294967295", 2**32 - 1),
        ("denoise", "0", 0.0),
        ("denoise", "1", 1.0),
        ("denoise", "0.35", 0.35),
        ("size", "16384x1", (16_384, 1)),
    ],
)
def test_values_in_range_are_kept_without_a_note(field: str, text: str, value: object) -> None:
    values, notes = checked(**{field: text})
    assert values[field] == value
    assert notes == []


@pytest.mark.parametrize(
    ("field", "text", "note"),
    [
        ("steps", "abc", "steps 'abc' is not a number: left out"),
        ("steps", "0", "steps 0 is out of range 1..10000: left out"),
        ("steps", "10001", "steps 10001 is out of range 1..10000: left out"),
        ("steps", "28.5", "steps '28.5' is not a whole number: left out"),
        ("steps", "1e400", "steps inf is out of range 1..10000: left out"),
        ("steps", "9" * 5000, "steps inf is out of range 1..10000: left out"),
        ("steps", "9" * 60, f"steps {'9' * 37}... is out of range 1..10000: left out"),
        ("cfg", "nan", "cfg scale 'nan' is not a number: left out"),
        ("cfg", "inf", "cfg scale inf is out of range 0..100: left out"),
        ("cfg", "-1", "cfg scale -1 is out of range 0..100: left out"),
        ("cfg", "100.5", "cfg scale 100.5 is out of range 0..100: left out"),
        ("seed", "-1", "seed -1 is out of range 0..4294967295: left out"),
        ("seed", "-5", "seed -5 is out of range 0..4294967295: left out"),
        ("seed", "4294967296", "seed 4294967296 is out of range 0..4294967295: left out"),
        ("seed", "", "seed '' is not a number: left out"),
        ("denoise", "1.5", "denoising strength 1.5 is out of range 0..1: left out"),
        ("denoise", "lots", "denoising strength 'lots' is not a number: left out"),
        ("size", "99999x1", "size 99999x1 is out of range 1..16384 per side: left out"),
        ("size", "0x512", "size 0x512 is out of range 1..16384 per side: left out"),
        ("size", "512", "size '512' is not WIDTHxHEIGHT: left out"),
        ("size", "a\nb", "size 'a\\nb' is not WIDTHxHEIGHT: left out"),
    ],
)
def test_a_value_out_of_range_or_unreadable_is_left_out_with_a_note(field: str, text: str, note: str) -> None:
    values, notes = checked(**{field: text})
    assert values[field] in (None, (None, None))
    assert notes == [note]


def test_the_images_own_size_stands_in_for_a_missing_or_bad_size_without_a_hires_fix() -> None:
    assert checked((64, 96)) == ({**checked()[0], "size": (64, 96)}, [])
    values, notes = checked((64, 96), size="512x768")
    assert (values["size"], notes) == ((512, 768), [])  # the size it was generated at
    values, notes = checked((64, 96), size="99999x1")
    assert values["size"] == (64, 96)
    assert notes == ["size 99999x1 is out of range 1..16384 per side: the image's own 64x96 used"]
    values, notes = checked((20_000, 96), size="99999x1")
    assert values["size"] == (None, None)
    assert notes == ["size 99999x1 is out of range 1..16384 per side: left out"]


def test_with_a_hires_fix_the_image_is_larger_than_generated_so_its_size_is_not_used() -> None:
    parsed = ParsedInfotext("a cat", "", {"Size": "99999x1", "Hires upscale": "2"})
    result = check_parameters(parsed, (1024, 1024))
    assert (result.width, result.height) == (None, None)
    assert result.notes == ("size 99999x1 is out of range 1..16384 per side: left out",)
    assert check_parameters(ParsedInfotext("a cat", "", {"Hires upscale": "2"}), (1024, 1024)).width is None


@given(
    st.dictionaries(st.sampled_from(KEYS), st.text(max_size=30)),
    st.tuples(st.integers(0, 40_000), st.integers(0, 40_000)),
)
def test_whatever_the_text_every_kept_value_is_in_range_and_each_dropped_one_has_a_note(
    params: dict[str, str], image_size: tuple[int, int]
) -> None:
    result = check_parameters(ParsedInfotext("a cat", "", params), image_size)
    kept = {
        "Steps": (result.steps, STEPS_RANGE),
        "CFG scale": (result.cfg_scale, CFG_SCALE_RANGE),
        "Seed": (result.seed, SEED_RANGE),
        "Denoising strength": (result.denoising_strength, DENOISING_RANGE),
        "Size": (result.width, SIDE_RANGE),
    }
    for value, (low, high) in kept.values():
        assert value is None or (low <= value <= high and math.isfinite(value))
    assert result.height is None or SIDE_RANGE[0] <= result.height <= SIDE_RANGE[1]
    assert {type(result.steps), type(result.seed), type(result.width)} <= {int, type(None)}
    noted = [note.split(" ")[0] for note in result.notes]
    assert len(noted) == len(set(noted))  # at most one note per value
    assert set(noted) <= {key.split(" ")[0].lower() for key in params}
    dropped = {key.split(" ")[0].lower() for key in params if kept[key][0] is None}
    assert dropped <= set(noted)
