"""Records of a chosen size and small file helpers for the store tests."""

from __future__ import annotations

from pathlib import Path

from domain import LearningRecord
from tests.factories import make_record


def record(run_id: str, size: int = 0) -> LearningRecord:
    """A valid record whose line is about ``size`` bytes (at least the bare record's size)."""
    bare = 1630
    return make_record(run_id, payload_bytes=max(0, size - bare))


def ids(records: object) -> list[str]:
    return [r.run_id for r in records]  # type: ignore[attr-defined]


def quarantine_of(path: Path) -> Path:
    return Path(f"{path}.quarantine")
