"""Listing runs from the index: a RunFilter and a Search as SQL, one page at a time.

The SQL keeps every row the filter keeps (it is exact for all stored values; rows whose values
could not be stored as they are, ``odd``, are always passed on); the caller checks each row with
``RunFilter.matches`` and ``Search.matches`` as well, so a row is shown only if both agree.
Pages are keyed by ``seq`` (the line of the run's newest copy), so each page is one query.
"""

from __future__ import annotations

import fnmatch
import sqlite3
from datetime import UTC, datetime
from typing import Any

import orjson

from adapters.index.columns import ROW_COLUMNS
from adapters.index.words import fts_query
from domain.run_filter import NumberRange, RunFilter
from domain.run_row import RunRow
from domain.run_search import Search

_TEXT_COLUMNS = {
    "pack": "pack", "prompt_id": "prompt_id", "model": "model", "sampler": "sampler",
    "scheduler": "scheduler", "status": "status", "source": "source",
}  # fmt: skip
SELECT = ", ".join(
    ["r.seq", "r.odd", "r.offset", "r.length", "r.run_id"]
    + [f"r.{name}" for name in ROW_COLUMNS]
    + ["s.rating", "s.tags", "s.notes", "s.wins", "s.losses"]
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STAGE_VALUES = 3


def register(db: sqlite3.Connection) -> None:
    """The functions the filters use, with RunFilter's own semantics."""
    db.create_function("sn_glob", 2, _glob, deterministic=True)
    db.create_function("sn_stage", 2, _stage, deterministic=True)
    db.create_function("sn_tags", 2, _tags, deterministic=True)


def page(
    db: sqlite3.Connection,
    run_filter: RunFilter | None,
    search: Search,
    after: int | None,
    newest_first: bool,
    size: int,
) -> list[tuple[Any, ...]]:
    """Up to ``size`` stored rows past ``after`` (a seq; None: from the newest or the oldest)."""
    where, params = conditions(run_filter)
    order = "DESC" if newest_first else "ASC"
    if search:
        source = "runs_text JOIN runs r ON r.seq = runs_text.rowid"
        where.insert(0, "runs_text MATCH ?")
        params.insert(0, fts_query(search))
        key = "runs_text.rowid"
    else:
        source, key = "runs r", "r.seq"
    if after is not None:
        where.append(f"{key} {'<' if newest_first else '>'} ?")
        params.append(after)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    query = (
        f"SELECT {SELECT} FROM {source} LEFT JOIN feedback_state s ON s.run_id = r.run_id"
        f" {clause} ORDER BY {key} {order} LIMIT ?"
    )
    return db.execute(query, [*params, size]).fetchall()


def plan_runs(db: sqlite3.Connection, *, newest_first: bool) -> list[tuple[str, int, int]]:
    """``(run_id, offset, length)`` of every run with a plan id, in history order."""
    order = "DESC" if newest_first else "ASC"
    query = f"SELECT run_id, offset, length FROM runs WHERE plan_id != '' ORDER BY seq {order}"
    return db.execute(query).fetchall()


def stored_row(values: tuple[Any, ...]) -> RunRow:
    """The RunRow of a page row (not for ``odd`` rows: their values are approximate)."""
    rating, tags, notes, wins, losses = values[-5:]
    fields: list[Any] = list(values[4:-5])  # run_id, then ROW_COLUMNS
    fields[19] = tuple(orjson.loads(fields[19]))
    fields[20] = tuple(tuple(pair) for pair in orjson.loads(fields[20]))
    extra = fields[-_STAGE_VALUES:]  # denoising_strength, upscaler, preset: after the feedback in RunRow
    del fields[-_STAGE_VALUES:]
    fields += (rating, tuple(tags.split("\n")) if tags else (), notes or 0, wins or 0, losses or 0, *extra)
    return RunRow(*fields)


def feedback_values(values: tuple[Any, ...]) -> dict[str, Any]:
    """The feedback fields of a page row, for ``dataclasses.replace`` on a RunRow."""
    rating, tags, notes, wins, losses = values[-5:]
    return {
        "rating": rating,
        "tags": tuple(tags.split("\n")) if tags else (),
        "notes": notes or 0,
        "wins": wins or 0,
        "losses": losses or 0,
    }


def conditions(run_filter: RunFilter | None) -> tuple[list[str], list[Any]]:
    """WHERE terms and their parameters; the cheap ones first (Python functions cost most)."""
    if run_filter is None:
        return [], []
    where: list[str] = []
    params: list[Any] = []
    _range(where, params, "s.rating", run_filter.rating)
    if run_filter.unrated:
        where.append("s.rating IS NULL")
    stored: list[str] = []
    stored_params: list[Any] = []
    _range(stored, stored_params, "r.steps", run_filter.steps)
    _range(stored, stored_params, "r.cfg_scale", run_filter.cfg)
    if run_filter.since is not None:
        stored.append("r.moment >= ?")
        stored_params.append(_micros(run_filter.since))
    if run_filter.until is not None:
        stored.append("r.moment < ?")
        stored_params.append(_micros(run_filter.until))
    for name, column in _TEXT_COLUMNS.items():
        pattern = getattr(run_filter, name)
        if pattern is not None:
            stored.append(f"sn_glob(?, r.{column})")
            stored_params.append(pattern)
    if run_filter.stage is not None:
        stored.append("sn_stage(?, r.stages)")
        stored_params.append(run_filter.stage)
    if stored:  # an odd row's stored values are approximate: RunFilter.matches decides for it
        where.append(f"(r.odd OR ({' AND '.join(stored)}))")
        params += stored_params
    if run_filter.tags:
        where.append("sn_tags(?, s.tags)")
        params.append(orjson.dumps(list(run_filter.tags)).decode())
    return where, params


def _range(where: list[str], params: list[Any], column: str, bounds: NumberRange | None) -> None:
    if bounds is None:
        return
    where.append(f"{column} IS NOT NULL")
    if bounds.low is not None:
        where.append(f"{column} >= ?")
        params.append(bounds.low)
    if bounds.high is not None:
        where.append(f"{column} <= ?")
        params.append(bounds.high)


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _glob(pattern: str, value: object) -> bool:
    return type(value) is str and fnmatch.fnmatchcase(value.casefold(), pattern.casefold())


def _stage(pattern: str, stages: str) -> bool:
    return any(type(stage) is str and _glob(pattern, stage) for stage in orjson.loads(stages))


def _tags(wanted: str, tags: str | None) -> bool:
    have = {tag.casefold() for tag in tags.split("\n")} if tags else set()
    return all(tag.casefold() in have for tag in orjson.loads(wanted))
