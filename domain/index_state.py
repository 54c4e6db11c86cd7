"""What a RunIndex reports about itself: how far it has read each file, and how it compares with them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IndexedFile:
    """One source file: its path, its size now, how many of its bytes the index has read, and
    how many complete lines of it were skipped as bad."""

    path: str
    size: int
    indexed_bytes: int
    bad_lines: int

    @property
    def caught_up(self) -> bool:
        return self.indexed_bytes == self.size


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """The state of an index: where it is (``location``; ``":memory:"`` or a description when it
    is not a file), its format ``version``, how many distinct ``runs`` and feedback ``events``
    it holds (a repeated event id counts once), and each source file. ``fresh`` is False when
    a file changed since the index last read it (the next read brings the index up to date);
    ``note`` says why the index is not the file it should be (it could not be used), or is empty.
    """

    location: str
    version: int
    runs: int
    events: int
    records: IndexedFile
    feedback: IndexedFile
    fresh: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class IndexCheck:
    """The index compared with a full scan of the files: ``differences`` lists each mismatch
    (a missing, extra or different run, a different order, a different bad line) in words;
    empty means the index answers exactly as the files do."""

    runs: int
    scanned_runs: int
    differences: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.differences
