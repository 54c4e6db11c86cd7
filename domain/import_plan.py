"""What an import of images made by other front-ends would add to the history, and what it leaves out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from domain.record import LearningRecord


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file the import leaves out; ``problem`` is False when it was skipped on purpose (``known``:
    already in the history, or it holds no generation metadata). ``format`` names the metadata
    found that could not be read."""

    path: Path
    reason: str
    problem: bool = True
    format: str = ""
    known: bool = False


@dataclass(frozen=True, slots=True)
class ImportNote:
    """Something about a file that was imported all the same, e.g. a value left out as out of range."""

    path: Path
    text: str


@dataclass(frozen=True, slots=True)
class Imported:
    """A file the import reads into a record: the path as found, the run and the metadata format and tool."""

    path: Path
    run_id: str
    format: str
    tool: str
    reparsed: bool = False  # read again: the record supersedes an earlier import's (same run id)


@dataclass(slots=True)
class ImportPlan:
    """The records an import appends, every file it leaves out with the reason, and notes on the others.

    ``imported`` says, per record (same order), which file it came from and its format and tool.
    """

    records: list[LearningRecord] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[ImportNote] = field(default_factory=list)
    imported: list[Imported] = field(default_factory=list)

    @property
    def problems(self) -> list[Skipped]:
        """Files that could not be imported: unreadable, or metadata that could not be read."""
        return [item for item in self.skipped if item.problem]

    def by_format(self) -> dict[str, dict[str, int]]:
        """Per metadata format: how many files were imported and how many failed (format known)."""
        counts: dict[str, dict[str, int]] = {}
        for item in self.imported:
            entry = counts.setdefault(item.format, {"imported": 0, "failed": 0})
            entry["imported"] += 1
        for skipped in self.problems:
            if skipped.format:
                entry = counts.setdefault(skipped.format, {"imported": 0, "failed": 0})
                entry["failed"] += 1
        return dict(sorted(counts.items()))
