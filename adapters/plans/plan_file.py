"""Read a plan file (TOML) into a LearningPlan; a refusal names the key and its line in the file.

tomllib gives no line numbers for values, so the line of a key is found in the text itself: the
table header (``[budget]``, the n-th ``[[axes]]``) and then the key's assignment under it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from domain.plan import LearningPlan, PlanError

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")
_INDEXED = re.compile(r"^(?P<name>[A-Za-z0-9_]+)\[(?P<index>\d+)\]$")
MAX_PLAN_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class PlanSource:
    """A plan with the file it was read from, to place later refusals (a value the backend
    refuses, a setting a cell cannot take) on their line too."""

    path: Path
    text: str
    plan: LearningPlan

    def explain(self, error: PlanError) -> str:
        """One line: ``PATH:LINE: key: message``."""
        return located(error, self.text, str(self.path))


class PlanFileError(ValueError):
    """A plan file that cannot be used: ``str()`` is one line, ``PATH:LINE: key: what is wrong``."""


def load_plan(path: Path) -> LearningPlan:
    """The plan in the file at ``path``; PlanFileError (one line naming key and line) otherwise."""
    return load_plan_source(path).plan


def load_plan_source(path: Path) -> PlanSource:
    """The plan in the file at ``path`` with its text; PlanFileError otherwise."""
    try:
        if not path.is_file():
            raise PlanFileError(f"{path}: no such plan file" if not path.exists() else f"{path}: not a file")
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise PlanFileError(f"{path}: larger than {MAX_PLAN_BYTES} bytes; not a plan file")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PlanFileError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return PlanSource(path, text, parse_plan(text, str(path)))


def parse_plan(text: str, source: str = "plan") -> LearningPlan:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanFileError(f"{source}: not valid TOML: {' '.join(str(exc).split())}") from None
    except RecursionError:  # tomllib recurses once per [ or { level
        raise PlanFileError(f"{source}: not valid TOML: arrays or tables nested too deeply") from None
    try:
        return LearningPlan.from_dict(data)
    except PlanError as exc:
        raise PlanFileError(located(exc, text, source)) from None


def located(error: PlanError, text: str, source: str) -> str:
    """``SOURCE:LINE: key: message`` (``SOURCE: key: message`` when the key is not in the text)."""
    line = line_of(error.key, text)
    where = f"{source}:{line}" if line else source
    return f"{where}: {error.key}: {error.message}" if error.key else f"{where}: {error.message}"


def line_of(key: str, text: str) -> int | None:
    """The 1-based line that sets ``key`` (a path such as ``axes[1].range`` or ``budget.max_images``);
    the line of its table when the key itself is absent; None when neither is in the text."""
    parts = _path(key)
    if not parts:
        return None
    tables = _tables(text)
    lines = text.splitlines()
    fallback: int | None = None
    # The longest table prefix first: [design.baseline], then [design] with baseline = {...}, ...
    for split in range(len(parts), -1, -1):
        table, rest = tuple(parts[:split]), parts[split:]
        start = tables.get(table) if table else -1
        if start is None:
            continue
        if not rest:
            return start + 1
        found = _assignment(lines, start, rest[0][0])
        if found is not None:
            return found
        if fallback is None and table:
            fallback = start + 1
    return fallback


def _path(key: str) -> list[tuple[str, int | None]]:
    parts: list[tuple[str, int | None]] = []
    for piece in key.split("."):
        match = _INDEXED.match(piece)
        if match:
            parts.append((match["name"], int(match["index"])))
        elif piece and not piece.startswith("settings:"):
            parts.append((piece, None))
        else:
            return []
    return parts


def _tables(text: str) -> dict[tuple[tuple[str, int | None], ...], int]:
    """Each table header's 0-based line, keyed by its path (array tables by their index)."""
    found: dict[tuple[tuple[str, int | None], ...], int] = {}
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()):
        match = _HEADER.match(line)
        if not match:
            continue
        name = match[2].replace('"', "").replace("'", "").strip()
        if match[1] == "[[":
            index = counts.get(name, 0)
            counts[name] = index + 1
            found[((name, index),)] = number
        else:
            found[tuple((piece, None) for piece in name.split("."))] = number
    return found


def _assignment(lines: list[str], header: int, name: str) -> int | None:
    """The 1-based line assigning ``name`` in the table whose header is line ``header`` (-1: the
    top level, before any header)."""
    for number in range(header + 1, len(lines)):
        line = lines[number]
        if _HEADER.match(line):
            return None
        match = _ASSIGNMENT.match(line)
        if match and match[1].replace('"', "").replace("'", "").strip().split(".")[0] == name:
            return number + 1
    return None
