"""The numbers of an imported infotext, checked: a value out of range or unreadable is left out, with a note.

An imported file is written by another program, so its numbers are never trusted. Each must lie
in a sane range (wider than A1111's own sliders, so any real image passes):

- steps: an integer 1..10,000 (A1111's slider stops at 150, its API at a few thousand);
- CFG scale: a finite number 0..100 (A1111's slider is 1..30);
- seed: an integer 0..2**32-1 (A1111 seeds are 32-bit unsigned; -1 asks for a random seed and is
  never the seed an image was made with); ``check_stage`` takes the tool's own maximum (ComfyUI
  and Fooocus seeds are 64-bit);
- width and height: integers 1..16,384 (an imported image may be larger than the 8,192 the
  pipeline generates);
- denoising strength: a number 0..1.

The size comes from ``Size: WxH``. When that is missing or bad and no hires fix was used, the
image's own pixel size is the size it was generated at, so that is used instead; with a hires fix
the image was upscaled after generation and the size is left out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from domain.imported_run import ImportedStage
from domain.infotext import ParsedInfotext

STEPS_RANGE = (1, 10_000)
CFG_SCALE_RANGE = (0.0, 100.0)
SEED_RANGE = (0, 2**32 - 1)
SIDE_RANGE = (1, 16_384)
DENOISING_RANGE = (0.0, 1.0)

_SIZE = re.compile(r"\s*(\d+)\s*x\s*(\d+)\s*")
_SHOWN_LENGTH = 40


@dataclass(frozen=True, slots=True)
class CheckedParameters:
    """The numbers that passed their checks (None when absent or left out), and why any was left out."""

    steps: int | None = None
    cfg_scale: float | None = None
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    denoising_strength: float | None = None
    notes: tuple[str, ...] = ()


def check_parameters(parsed: ParsedInfotext, image_size: tuple[int, int] | None = None) -> CheckedParameters:
    """The checked numbers of ``parsed``; ``image_size`` is the image's real (width, height), if known."""
    params = parsed.params
    return check_values(
        steps=params.get("Steps"),
        cfg_scale=params.get("CFG scale"),
        seed=params.get("Seed"),
        denoising_strength=params.get("Denoising strength"),
        size=params.get("Size"),
        image_size=image_size,
        upscaled=any(key.startswith("Hires") for key in params),
    )


def check_stage(
    stage: ImportedStage,
    image_size: tuple[int, int] | None = None,
    *,
    upscaled: bool = False,
    seed_max: int = SEED_RANGE[1],
    label: str = "",
) -> CheckedParameters:
    """The checked numbers of one imported stage; notes start with ``label`` when given."""
    return check_values(
        steps=stage.steps,
        cfg_scale=stage.cfg_scale,
        seed=stage.seed,
        denoising_strength=stage.denoising_strength,
        size=stage.size,
        image_size=image_size,
        upscaled=upscaled,
        seed_range=(0, seed_max),
        label=label,
    )


def check_values(
    *,
    steps: str | None,
    cfg_scale: str | None,
    seed: str | None,
    denoising_strength: str | None,
    size: str | None,
    image_size: tuple[int, int] | None = None,
    upscaled: bool = False,
    seed_range: tuple[int, int] = SEED_RANGE,
    label: str = "",
) -> CheckedParameters:
    """The checked numbers from their text; the image's own size stands in for a bad or missing size
    unless the image was upscaled after generation."""
    notes: list[str] = []
    prefix = f"{label} " if label else ""
    checked_steps = _integer(prefix + "steps", steps, STEPS_RANGE, notes)
    checked_cfg = _real(prefix + "cfg scale", cfg_scale, CFG_SCALE_RANGE, notes)
    checked_seed = _integer(prefix + "seed", seed, seed_range, notes)
    denoising = _real(prefix + "denoising strength", denoising_strength, DENOISING_RANGE, notes)
    checked_size, problem = _size(size)
    if problem:
        problem = prefix + problem
    if checked_size is None:
        if image_size is not None and not upscaled and all(_within(side, SIDE_RANGE) for side in image_size):
            checked_size = image_size
            if problem:
                notes.append(f"{problem}: the image's own {checked_size[0]}x{checked_size[1]} used")
        elif problem:
            notes.append(f"{problem}: left out")
    width, height = checked_size if checked_size else (None, None)
    return CheckedParameters(checked_steps, checked_cfg, checked_seed, width, height, denoising, tuple(notes))


def _integer(name: str, text: str | None, bounds: tuple[int, int], notes: list[str]) -> int | None:
    number = _number(name, text, notes)
    if number is None:
        return None
    if isinstance(number, float):
        if math.isinf(number):
            notes.append(f"{name} {_shown(number)} is out of range {bounds[0]}..{bounds[1]}: left out")
            return None
        if not number.is_integer():
            notes.append(f"{name} {_shown(text)} is not a whole number: left out")
            return None
        number = int(number)
    if not _within(number, bounds):
        notes.append(f"{name} {_shown(number)} is out of range {bounds[0]}..{bounds[1]}: left out")
        return None
    return number


def _real(name: str, text: str | None, bounds: tuple[float, float], notes: list[str]) -> float | None:
    number = _number(name, text, notes)
    if number is None:
        return None
    if not _within(number, bounds):  # also infinity
        notes.append(f"{name} {_shown(number)} is out of range {bounds[0]:g}..{bounds[1]:g}: left out")
        return None
    return float(number)


def _number(name: str, text: str | None, notes: list[str]) -> int | float | None:
    """``text`` read as an int (or, failing that, a float); None with a note when it is not a number."""
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        pass
    try:
        number = float(text.strip())
    except ValueError:
        number = math.nan
    if math.isnan(number):
        notes.append(f"{name} {_shown(text)} is not a number: left out")
        return None
    return number


def _size(text: str | None) -> tuple[tuple[int, int] | None, str]:
    """(width, height) from ``WxH`` text, or None and what is wrong with it ('' when absent)."""
    if text is None:
        return None, ""
    match = _SIZE.fullmatch(text)
    if match is None:
        return None, f"size {_shown(text)} is not WIDTHxHEIGHT"
    try:
        width, height = int(match.group(1)), int(match.group(2))
    except ValueError:  # more digits than Python converts (4,300)
        width = height = 0
    if not (_within(width, SIDE_RANGE) and _within(height, SIDE_RANGE)):
        shown = _cut(f"{match.group(1)}x{match.group(2)}")
        return None, f"size {shown} is out of range {SIDE_RANGE[0]}..{SIDE_RANGE[1]} per side"
    return (width, height), ""


def _within(number: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= number <= bounds[1]


def _shown(value: object) -> str:
    """A value for a note: text quoted (escapes and all), cut short when long."""
    return _cut(repr(value) if isinstance(value, str) else str(value))


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 3] + "..."
