"""Export the runs a filter keeps as a flat table (CSV, JSON lines, Parquet...)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from application.history import History
from domain.ports import RunTableWriter
from domain.run_filter import RunFilter


class ExportRuns:
    """One row per run, newest first, with its current rating and tags."""

    def __init__(self, history: History, writer: RunTableWriter) -> None:
        self._history = history
        self._writer = writer

    @property
    def formats(self) -> tuple[str, ...]:
        return self._writer.formats

    def __call__(self, run_filter: RunFilter | None, format_name: str, destination: TextIO | Path) -> int:
        """How many runs were written to ``destination`` (a text stream, or a file replaced atomically)."""
        return self._writer.write(self._history.iter_rows(run_filter), format_name, destination)
