"""The A1111 "infotext": the generation parameters a PNG carries in its ``parameters`` text chunk.

Layout: the prompt (any number of lines), then ``Negative prompt: ...`` when there is one (any
number of lines), then one line of ``Key: value`` pairs joined by ``", "``. A value holding a
comma, a colon or a line break is written as a JSON string.

Known limit of the format (A1111 reads it the same way): a prompt line that itself starts with
``Negative prompt:`` is read as the start of the negative prompt, and a parameter line is only
recognised with at least three pairs.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

NEGATIVE_PREFIX = "Negative prompt:"
# Lines some extensions (Dynamic Prompts) write after the settings line.
EXTENSION_LINE_KEYS = ("Negative Template", "Template")
MIN_PARAMETER_PAIRS = 3

_KEY = re.compile(r"\w(?:[\w \-/]*[\w\-/])?")
_SIZE = re.compile(r"(\d+)x(\d+)")
_NEEDS_QUOTES = (",", ":", "\n", "\r")
_JSON_STRING = json.JSONDecoder()
_SCHEDULER_SUFFIXES = (
    ("Karras", "Karras"),
    ("Polyexponential", "Polyexponential"),
    ("Exponential", "Exponential"),
    ("SGM Uniform", "SGM Uniform"),
    ("SGMUniform", "SGM Uniform"),
)


def format_infotext(prompt: str, negative_prompt: str, params: Mapping[str, object]) -> str:
    """The ``parameters`` text for ``prompt``, ``negative_prompt`` and ``params`` (in their order).

    None values are left out. Raises ValueError for a key the format cannot hold.
    """
    lines = [prompt]
    if negative_prompt:
        lines.append(f"{NEGATIVE_PREFIX} {negative_prompt}")
    pairs = []
    for key, value in params.items():
        if value is None:
            continue
        if not _KEY.fullmatch(key):
            raise ValueError(f"infotext key {key!r} must be letters, digits, spaces, '-', '/' or '_'")
        pairs.append(f"{key}: {_format_value(value)}")
    if pairs:
        lines.append(", ".join(pairs))
    return "\n".join(lines)


def _format_value(value: object) -> str:
    text = str(value)
    if any(mark in text for mark in _NEEDS_QUOTES) or text.startswith('"') or text != text.strip():
        return json.dumps(text, ensure_ascii=False)
    return text


@dataclass(frozen=True, slots=True)
class ParsedInfotext:
    """An infotext read back: ``params`` keeps every key verbatim, values as text (quotes removed).

    ``WxH`` values also appear split, e.g. ``Size: 512x768`` gives ``Size-1: 512`` and ``Size-2: 768``.
    The typed accessors return None when a field is absent or malformed.
    """

    prompt: str
    negative_prompt: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @property
    def steps(self) -> int | None:
        return _as_int(self.params.get("Steps"))

    @property
    def sampler(self) -> str | None:
        return self.params.get("Sampler")

    @property
    def schedule_type(self) -> str | None:
        return self.params.get("Schedule type")

    @property
    def sampler_and_scheduler(self) -> tuple[str | None, str | None]:
        """(sampler, scheduler), splitting the older names that carried it (``DPM++ 2M Karras``)."""
        return split_sampler(self.sampler, self.schedule_type)

    @property
    def cfg_scale(self) -> float | None:
        return _as_float(self.params.get("CFG scale"))

    @property
    def seed(self) -> int | None:
        return _as_int(self.params.get("Seed"))

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) from ``Size: WxH``."""
        match = _SIZE.fullmatch(self.params.get("Size", "").strip())
        return (int(match.group(1)), int(match.group(2))) if match else None

    @property
    def model(self) -> str | None:
        return self.params.get("Model")

    @property
    def model_hash(self) -> str | None:
        return self.params.get("Model hash")

    @property
    def denoising_strength(self) -> float | None:
        return _as_float(self.params.get("Denoising strength"))

    @property
    def version(self) -> str | None:
        return self.params.get("Version")


def split_sampler(sampler: str | None, schedule_type: str | None) -> tuple[str | None, str | None]:
    """A sampler name ending in a scheduler's name (A1111 before 1.9) split in two.

    ``Schedule type``, when given, wins over a suffix; a name with no known suffix is kept whole.
    """
    if sampler is None:
        return None, schedule_type
    for suffix, scheduler in _SCHEDULER_SUFFIXES:
        head = sampler.removesuffix(" " + suffix)
        if head != sampler and head.strip():
            return head, schedule_type or scheduler
    return sampler, schedule_type


def parse_infotext(text: str) -> ParsedInfotext:
    """Read a ``parameters`` text as A1111 does, more forgivingly; never raises (odd text becomes prompt).

    Beyond A1111's own reader: blank lines after the settings line are ignored, and lines after
    it that start with an extension key (``Template:``, ``Negative Template:``) are read as
    those values (each running to the next such line) instead of hiding the settings line.
    """
    lines = text.split("\n")
    found = _settings_line(lines)
    if found is None:
        return _with_negative(lines, {})
    at, extensions = found
    params: dict[str, str] = {}
    for key, value in _parse_parameter_line(lines[at].rstrip("\r")):
        params[key] = value
        size = _SIZE.fullmatch(value)
        if size:
            params[f"{key}-1"], params[f"{key}-2"] = size.group(1), size.group(2)
    for key, value in extensions.items():
        params.setdefault(key, value)
    return _with_negative(lines[:at], params)


def _with_negative(lines: list[str], params: dict[str, str]) -> ParsedInfotext:
    negative_at = next((i for i, line in enumerate(lines) if line.startswith(NEGATIVE_PREFIX)), None)
    if negative_at is None:
        return ParsedInfotext("\n".join(lines), "", params)
    negative = "\n".join(lines[negative_at:])[len(NEGATIVE_PREFIX) :]
    return ParsedInfotext("\n".join(lines[:negative_at]), negative.removeprefix(" "), params)


def _settings_line(lines: list[str]) -> tuple[int, dict[str, str]] | None:
    """Where the settings line is, and the extension lines after it; None when there is none.

    Walking up from the last non-blank line, every line must belong to an extension block
    (its key line, then continuation lines) until a line with at least three pairs is met.
    """
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    extensions: dict[str, str] = {}
    block_end = end
    for index in range(end - 1, -1, -1):
        line = lines[index].rstrip("\r")
        key = _extension_key(line)
        if key is None and len(_parse_parameter_line(line)) >= MIN_PARAMETER_PAIRS:
            return (index, extensions) if block_end == index + 1 else None
        if key is not None:
            rest = [part.rstrip("\r") for part in lines[index + 1 : block_end]]
            extensions[key] = "\n".join([line[len(key) + 1 :].lstrip(" "), *rest])
            block_end = index
    return None


def _extension_key(line: str) -> str | None:
    for key in EXTENSION_LINE_KEYS:
        if line.startswith(key + ":"):
            return key
    return None


def _parse_parameter_line(line: str) -> list[tuple[str, str]]:
    """The ``Key: value`` pairs of one line; a segment that is not a pair is skipped."""
    pairs: list[tuple[str, str]] = []
    position, end = 0, len(line)
    while position < end:
        while position < end and line[position].isspace():
            position += 1
        key_match = _KEY.match(line, position)
        colon = key_match.end() if key_match else -1
        if key_match is None or colon >= end or line[colon] != ":":
            position = _after_next_comma(line, position)
            continue
        position = colon + 1
        while position < end and line[position].isspace():
            position += 1
        value, position = _read_value(line, position)
        pairs.append((key_match.group(0), value))
    return pairs


def _read_value(line: str, position: int) -> tuple[str, int]:
    """The value starting at ``position`` and where the next pair starts."""
    if line.startswith('"', position):
        try:
            decoded, after = _JSON_STRING.raw_decode(line, position)
        except ValueError:
            decoded, after = None, position
        rest = after
        while rest < len(line) and line[rest] in " \t":
            rest += 1
        if isinstance(decoded, str) and (rest == len(line) or line[rest] == ","):
            return decoded, rest + 1
    if line.startswith(("{", "["), position):  # a JSON object or list, kept as its text
        try:
            _decoded, after = _JSON_STRING.raw_decode(line, position)
        except ValueError:
            after = position
        rest = after
        while rest < len(line) and line[rest] in " \t":
            rest += 1
        if after > position and (rest == len(line) or line[rest] == ","):
            return line[position:after], rest + 1
    comma = line.find(",", position)
    if comma < 0:
        return line[position:], len(line)
    return line[position:comma], comma + 1


def _after_next_comma(line: str, position: int) -> int:
    comma = line.find(",", position)
    return len(line) if comma < 0 else comma + 1


def _as_int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        number = _as_float(text)
        return int(number) if number is not None and number.is_integer() else None


def _as_float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        number = float(text.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
