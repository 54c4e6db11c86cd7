"""What checking and mending a stored history file found and did."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PRIVATE_MODE = 0o600


@dataclass(frozen=True, slots=True)
class BadLine:
    """A stored line that is not a valid record: where it is and why it was skipped.

    ``line_number`` is 1-based from the start of the file when reading oldest first. When
    reading newest first the start of the file is never read, so it counts from the end:
    -1 is the last line, -2 the one before. ``byte_offset`` (when the store knows it) is the
    position of the line's first byte in the file, the same in both directions.
    """

    line_number: int
    reason: str
    byte_offset: int | None = None


def open_to_others(mode: int) -> bool:
    """True if permission bits ``mode`` give more than read and write to the owner."""
    return bool(mode & 0o7777 & ~PRIVATE_MODE)


@dataclass(frozen=True, slots=True)
class Verification:
    """What ``verify`` found: counts of good lines (``unchecked`` of them have no checksum).

    ``mode`` is the file's permission bits; ``open_to_others`` says they give more than 0600.
    """

    path: Path
    good: int
    unchecked: int
    bad: tuple[BadLine, ...]
    quarantined: int
    quarantine_path: Path
    mode: int = PRIVATE_MODE

    @property
    def open_to_others(self) -> bool:
        return open_to_others(self.mode)


@dataclass(frozen=True, slots=True)
class Repair:
    """What ``repair`` did: ``moved`` bad lines went to the quarantine, ``kept`` stayed.

    ``mode_before`` is the file's former mode if it was more open than 0600 (it is 0600 now).
    """

    path: Path
    kept: int
    moved: tuple[BadLine, ...]
    quarantine_path: Path
    mode_before: int | None = None
