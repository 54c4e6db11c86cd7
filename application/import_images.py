"""Import images made by other front-ends into the history, skipping those already there."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from domain.import_plan import ImportPlan
from domain.import_record import import_parser_version
from domain.ports import ImageImporter, RecordStore


class ImportImages:
    """Finds the images under ``paths``, reads them, and appends the new ones in one group commit.

    With ``reparse``, a file imported by an older importer version is read again, and its new
    record (same run id) supersedes the old one; ratings and tags, kept by run id, stay with it.
    """

    def __init__(self, importer: ImageImporter, store: RecordStore) -> None:
        self._importer = importer
        self._store = store

    def find(self, paths: Sequence[Path], *, recursive: bool = False) -> list[Path]:
        """The image files ``paths`` name or hold (as ``__call__`` reads them)."""
        return self._importer.find(paths, recursive=recursive)

    def __call__(
        self,
        paths: Sequence[Path],
        *,
        recursive: bool = False,
        dry_run: bool = False,
        on_start: Callable[[int], None] | None = None,
        progress: Callable[[int], None] | None = None,
        reparse: bool = False,
    ) -> ImportPlan:
        """What was imported (or, with ``dry_run``, would be) and what was skipped, with reasons.

        ``on_start`` gets the number of files found before any is read; ``progress`` the number read.
        """
        files = self._importer.find(paths, recursive=recursive)
        if on_start is not None:
            on_start(len(files))
        # Per run, its newest copy's image hashes and importer version (not whole records: memory).
        newest: dict[str, tuple[tuple[str, ...], int | None]] = {}
        for record in self._store.iter_records():
            hashes = tuple(output.sha256 for output in record.outputs)
            newest[record.run_id] = (hashes, import_parser_version(record))
        known = {sha256 for hashes, _version in newest.values() for sha256 in hashes}
        reread: dict[str, str] = {}
        if reparse:
            for run_id, (hashes, version) in newest.items():
                if version is not None and version < self._importer.parser_version:
                    reread |= dict.fromkeys(hashes, run_id)
        plan = self._importer.plan(files, known - set(reread), progress=progress, reread=reread)
        if plan.records and not dry_run:
            self._store.append_records(plan.records)
        return plan
