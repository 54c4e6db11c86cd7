"""FlatRunWriter: runs as flat rows in CSV, JSON lines or Parquet (through DuckDB)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import orjson

from adapters.query.flat import RUN_COLUMNS, flat_run
from domain.ports import RunTableWriter
from domain.run_row import RunRow

TEXT_FORMATS = ("csv", "jsonl")


class FlatRunWriter(RunTableWriter):
    """Writes ``flat_run`` rows; Parquet needs the DuckDB extra and a path (it is binary)."""

    formats = (*TEXT_FORMATS, "parquet")

    def write(self, rows: Iterable[RunRow], format_name: str, destination: TextIO | Path) -> int:
        if format_name not in self.formats:
            raise ValueError(f"unknown export format {format_name!r}: use {', '.join(self.formats)}")
        flat = (flat_run(row) for row in rows)
        if not isinstance(destination, Path):
            if format_name not in TEXT_FORMATS:
                raise ValueError(f"{format_name} is binary: give a file to write it to")
            return _write_text(flat, format_name, destination)
        temporary = destination.with_name(f".{destination.name}.{os.getpid()}.tmp")
        try:
            if format_name == "parquet":
                count = _write_parquet(flat, temporary)
            else:
                with temporary.open("w", encoding="utf-8", newline="") as out:
                    count = _write_text(flat, format_name, out)
            temporary.replace(destination)
        except OSError as exc:
            if exc.filename not in (str(temporary), temporary):
                raise
            raise OSError(exc.errno, exc.strerror, str(destination)) from exc  # the file asked for
        finally:
            temporary.unlink(missing_ok=True)
        return count


def _write_text(rows: Iterator[dict[str, Any]], format_name: str, out: TextIO) -> int:
    return (write_csv if format_name == "csv" else write_jsonl)(rows, out)


def _write_parquet(rows: Iterator[dict[str, Any]], target: Path) -> int:
    from adapters.query.duckdb_history import HistoryDatabase  # DuckDB only when Parquet is asked for

    with HistoryDatabase(rows, purpose="records export --format parquet") as database:
        database.copy_runs_to_parquet(target)
        return int(database.query("SELECT count(*) FROM runs")[1][0][0])


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=list(RUN_COLUMNS), lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for row in rows:
        out.write(orjson.dumps(row).decode("utf-8"))
        out.write("\n")
        count += 1
    return count
