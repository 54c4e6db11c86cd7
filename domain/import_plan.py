"""What an import of images made by other front-ends would add to the history, and what it leaves out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from domain.record import LearningRecord


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file the import leaves out; ``problem`` is False when it was skipped on purpose (already there,
    or it holds no generation metadata). ``format`` names the metadata found that could not be read."""

    path: Path
    reason: str
    problem: bool = True
    format: str = ""


@dataclass(frozen=True, slots=True)
class ImportNote:
    """Something about a file that was imported all the same, e.g. a value left out as out of range."""

    path: Path
    text: str


@dataclass(slots=True)
class ImportPlan:
    """The records an import appends, every file it leaves out with the reason, and notes on the others."""

    records: list[LearningRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[ImportNote] = field(default_factory=list)

    @property
    def problems(self) -> list[Skipped]:
        return [item for item in self.skipped if item.problem]
