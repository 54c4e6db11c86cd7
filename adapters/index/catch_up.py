"""Bringing the index up to date with its two source files before a call answers.

Nothing to do costs two opens, two fstats, four small reads and one query. Otherwise the work
happens in one ``BEGIN IMMEDIATE`` transaction (one process at a time; the others wait, then
find it done): the state is read again inside it, each file is read on from where the index
stopped (or from its start, after the tables of that file were emptied, when it did not only
grow), and the new marks are written with the rows. A crash before COMMIT leaves the index as
it was, which the next call brings up to date.
"""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from adapters.index.files import FileChangedError, FileMark, Source, load_mark, save_mark
from adapters.index.lines import LineCursor, last_line_end
from adapters.jsonl_log.in_progress import torn_at_rest
from adapters.jsonl_log.scan import INCOMPLETE
from domain.errors import RecordStoreError
from domain.store_health import BadLine

ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Part:
    """One source file and how its rows are cleared and read."""

    source: str
    path: Path
    clear: Callable[[sqlite3.Connection], None]
    read: Callable[[sqlite3.Connection, int, LineCursor, int, Callable[[BadLine], None]], int]


@dataclass(frozen=True, slots=True)
class Seen:
    """A file as the index has it after catching up: its mark, and its incomplete last line."""

    mark: FileMark
    incomplete: BadLine | None


def catch_up(
    db: sqlite3.Connection, parts: Collection[Part], restart: Collection[str] = ()
) -> dict[str, Seen]:
    """Catch up with every part's file; the parts named in ``restart`` are read from the start."""
    for _attempt in range(ATTEMPTS):
        sources = {part.source: Source(part.path) for part in parts}
        try:
            marks = {part.source: load_mark(db, part.source, part.path) for part in parts}
            if restart or any(_behind(sources[source], mark) for source, mark in marks.items()):
                marks = _update(db, parts, sources, restart)
            return {source: Seen(mark, _incomplete(sources[source], mark)) for source, mark in marks.items()}
        except FileChangedError:
            continue  # a file changed while it was read: look at it again
        except OSError as exc:
            raise RecordStoreError(f"cannot read the history files: {exc.strerror or exc}") from exc
        finally:
            for source in sources.values():
                source.close()
    raise RecordStoreError("the history files kept changing while the index read them; try again")


def is_behind(part: Part, db: sqlite3.Connection) -> bool:
    """True if the index has not read everything complete in ``part``'s file (for status)."""
    source = Source(part.path)
    try:
        return _behind(source, load_mark(db, part.source, part.path))
    finally:
        source.close()


def _behind(source: Source, mark: FileMark) -> bool:
    if not source.continues(mark):
        return True
    return source.fd is not None and last_line_end(source.fd, mark.size, source.size) > mark.size


def _update(
    db: sqlite3.Connection, parts: Collection[Part], sources: dict[str, Source], restart: Collection[str]
) -> dict[str, FileMark]:
    marks: dict[str, FileMark] = {}
    db.execute("BEGIN IMMEDIATE")
    collecting = gc.isenabled()
    gc.disable()  # a build allocates millions of short-lived objects and keeps none in cycles
    try:
        for part in parts:
            source = sources[part.source]
            source.refresh()
            mark = load_mark(db, part.source, part.path)
            if part.source in restart or not source.continues(mark):
                part.clear(db)
                mark = FileMark(str(part.path))
                save_mark(db, part.source, mark)
            if source.fd is not None:
                end = last_line_end(source.fd, mark.size, source.size)
                if end > mark.size:
                    cursor = LineCursor(mark.size, mark.lines)
                    bad = part.read(db, source.fd, cursor, end, _ignore)
                    mark = source.mark(end, cursor.number, mark.bad + bad, mark)
                    save_mark(db, part.source, mark)
            marks[part.source] = mark
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        if collecting:
            gc.enable()
    return marks


def _incomplete(source: Source, mark: FileMark) -> BadLine | None:
    """The torn last line after what the index read, if any (an append in progress is none)."""
    if source.fd is None or source.size <= mark.size or not source.continues(mark):
        return None
    if last_line_end(source.fd, mark.size, source.size) > mark.size:
        return None  # complete lines arrived meanwhile: the next call reads them
    if not torn_at_rest(source.path, source.fd, source.size):
        return None  # an append in progress
    return BadLine(mark.lines + 1, INCOMPLETE, mark.size)


def _ignore(_line: BadLine) -> None:
    """Bad lines are reported from the table after the commit, once per index object."""
