"""Bringing the folded feedback up to date with the feedback file.

Folds exactly as ``domain.feedback.fold_feedback`` does (a repeated event id counts once, the
latest rating wins, tags are added and removed in order, notes accumulate, a choice is a win and
a loss), but incrementally: the state of each touched run is read, the new events applied, and
written back. Every counted event's line is remembered per run it concerns, so one run's full
event history is read from those lines alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.index.lines import LineCursor, entries
from adapters.index.totals_part import Totals, stored_runs
from domain.feedback import FeedbackError, FeedbackEvent, tag_order
from domain.store_health import BadLine

BATCH = 8192


@dataclass(slots=True)
class FoldedRun:
    rating: int | None = None
    tags: set[str] = field(default_factory=set)
    notes: int = 0
    wins: int = 0
    losses: int = 0

    def row(self, run_id: str) -> tuple[str, int | None, str, int, int, int]:
        tags = "\n".join(sorted(self.tags, key=tag_order))
        return run_id, self.rating, tags, self.notes, self.wins, self.losses


def clear(db: sqlite3.Connection) -> None:
    for table in ("feedback_state", "feedback_seen", "feedback_lines", "rating_totals", "judgements"):
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM bad_lines WHERE source = 'feedback'")


def read_feedback(
    db: sqlite3.Connection, fd: int, cursor: LineCursor, end: int, on_bad: Callable[[BadLine], None]
) -> int:
    """Fold the event lines in ``[cursor.offset, end)``; returns how many were bad."""
    if cursor.offset == 0:
        clear(db)
    bad: list[tuple[str, int, int, str]] = []

    def skip(line: BadLine) -> None:
        bad.append(("feedback", line.line_number, line.byte_offset or 0, line.reason))
        on_bad(line)

    batch: list[tuple[int, int, int, FeedbackEvent]] = []
    for number, offset, length, payload in entries(fd, cursor, end, skip):
        try:
            event = FeedbackEvent.from_dict(payload)
        except FeedbackError as exc:
            skip(BadLine(number, f"not a feedback event: {exc}", offset))
            continue
        batch.append((number, offset, length, event))
        if len(batch) >= BATCH:
            _apply(db, batch)
            batch.clear()
    _apply(db, batch)
    db.executemany("INSERT OR REPLACE INTO bad_lines (source, line, offset, reason) VALUES (?, ?, ?, ?)", bad)
    return len(bad)


def _apply(db: sqlite3.Connection, batch: list[tuple[int, int, int, FeedbackEvent]]) -> None:
    if not batch:
        return
    ids = list({event.event_id for _n, _o, _l, event in batch})
    seen = set(_select(db, "SELECT event_id FROM feedback_seen WHERE event_id IN ({})", ids))
    touched = {event.run_id for _n, _o, _l, event in batch} | {
        event.worse_run_id for _n, _o, _l, event in batch if event.worse_run_id
    }
    state = _load(db, list(touched))
    rated_before = {run_id: folded.rating for run_id, folded in state.items()}
    new_ids: list[tuple[str]] = []
    lines: list[tuple[str, int, int, int, str]] = []
    judged: list[tuple[object, ...]] = []
    for number, offset, length, event in batch:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        new_ids.append((event.event_id,))
        if event.kind in ("rating", "choice"):
            by = event.by
            judged.append(
                (number, event.event_id, event.run_id, event.timestamp, by.kind, by.name, by.version,
                 event.kind, event.rating, event.worse_run_id)
            )  # fmt: skip
        folded = state.setdefault(event.run_id, FoldedRun())
        lines.append((event.run_id, number, offset, length, event.event_id))
        if event.kind == "rating":
            folded.rating = event.rating
        elif event.kind == "tags":
            folded.tags.difference_update(event.tags_removed)
            folded.tags.update(event.tags_added)
        elif event.kind == "note":
            folded.notes += 1
        elif event.worse_run_id is not None:
            folded.wins += 1
            state.setdefault(event.worse_run_id, FoldedRun()).losses += 1
            lines.append((event.worse_run_id, number, offset, length, event.event_id))
    db.executemany("INSERT INTO feedback_seen (event_id) VALUES (?)", new_ids)
    db.executemany(f"INSERT INTO judgements VALUES ({', '.join('?' * 10)})", judged)
    db.executemany(
        "INSERT INTO feedback_lines (run_id, line, offset, length, event_id) VALUES (?, ?, ?, ?, ?)", lines
    )
    db.executemany(
        "INSERT OR REPLACE INTO feedback_state (run_id, rating, tags, notes, wins, losses)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [folded.row(run_id) for run_id, folded in state.items()],
    )
    _count_ratings(db, rated_before, state)


def _count_ratings(
    db: sqlite3.Connection, rated_before: dict[str, int | None], state: dict[str, FoldedRun]
) -> None:
    """Keep ``rating_totals`` (the runs in ``runs`` per rating) as the ratings just changed."""
    changed = [run_id for run_id, folded in state.items() if folded.rating != rated_before.get(run_id)]
    totals = Totals()
    for run_id in stored_runs(db, changed):
        totals.rate(rated_before.get(run_id), state[run_id].rating)
    totals.write(db)


def _load(db: sqlite3.Connection, run_ids: list[str]) -> dict[str, FoldedRun]:
    state: dict[str, FoldedRun] = {}
    query = "SELECT run_id, rating, tags, notes, wins, losses FROM feedback_state WHERE run_id IN ({})"
    for start in range(0, len(run_ids), 500):
        part = run_ids[start : start + 500]
        for run_id, rating, tags, notes, wins, losses in db.execute(
            query.format(", ".join("?" * len(part))), part
        ):
            state[run_id] = FoldedRun(rating, set(tags.split("\n")) if tags else set(), notes, wins, losses)
    return state


def _select(db: sqlite3.Connection, query: str, keys: list[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        found += [row[0] for row in db.execute(query.format(", ".join("?" * len(part))), part)]
    return found
