"""What the insights ask of the index: counts per setting value, the rows of given runs, the judgements.

``setting_counts`` groups in SQL the rows whose stored values are exact; the few ``odd`` rows are
read from their lines by the caller and counted with ``count_settings`` like any other row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import orjson

from adapters.index import queries
from domain.comparability import level_text
from domain.feedback import FeedbackAuthor, FeedbackEvent
from domain.run_filter import RunFilter
from domain.setting_counts import SettingCount

COLUMNS = {
    "model": "r.model", "sampler": "r.sampler", "scheduler": "r.scheduler", "steps": "r.steps",
    "cfg": "r.cfg_scale", "size": "r.width, r.height", "denoising": "r.denoising_strength",
    "upscaler": "r.upscaler", "preset": "r.preset",
}  # fmt: skip
"""The stored column(s) of each compared setting (``domain.insights.PARAMETERS``)."""
_FEEDBACK = " LEFT JOIN feedback_state s ON s.run_id = r.run_id"
_IN = 500


def exact_counts(db: sqlite3.Connection, run_filter: RunFilter | None) -> list[SettingCount]:
    """The counts of the rows ``run_filter`` keeps whose stored values are exact (not ``odd``)."""
    where, params = queries.conditions(run_filter)
    clause = " AND ".join(["r.odd = 0", *where])
    source = "runs r" + (_FEEDBACK if any("s." in term for term in where) else "")
    counts: list[SettingCount] = []
    stages_of: dict[str, tuple[str, ...]] = {}
    for parameter, columns in COLUMNS.items():
        width = columns.count(",") + 1
        query = (
            f"SELECT r.pack, r.stages, r.model_hash, {columns}, count(*), sum(r.status = 'failed')"
            f" FROM {source} WHERE {clause} GROUP BY r.pack, r.stages, r.model_hash, {columns}"
        )
        for found in db.execute(query, params):
            pack, stages, model_hash = found[0], found[1], found[2]
            raw = found[3] if width == 1 else tuple(found[3 : 3 + width])
            if stages not in stages_of:
                stages_of[stages] = tuple(orjson.loads(stages))
            value = level_text(parameter, raw)
            counts.append(SettingCount(pack, stages_of[stages], model_hash, parameter, value, *found[-2:]))
    return counts


def odd_rows(db: sqlite3.Connection, run_filter: RunFilter | None) -> list[tuple[Any, ...]]:
    """Page rows (``queries.page``'s columns) of the ``odd`` runs the SQL part of the filter keeps."""
    where, params = queries.conditions(run_filter)
    clause = " AND ".join(["r.odd = 1", *where])
    return db.execute(f"SELECT {queries.SELECT} FROM runs r{_FEEDBACK} WHERE {clause}", params).fetchall()


def rows_of(db: sqlite3.Connection, run_ids: list[str]) -> list[tuple[Any, ...]]:
    """Page rows of the runs among ``run_ids`` that the index holds."""
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(run_ids), _IN):
        part = run_ids[start : start + _IN]
        marks = ", ".join("?" * len(part))
        query = f"SELECT {queries.SELECT} FROM runs r{_FEEDBACK} WHERE r.run_id IN ({marks})"
        found += db.execute(query, part).fetchall()
    return found


def judgements(db: sqlite3.Connection) -> Iterator[FeedbackEvent]:
    """Every counted rating and choice event, oldest first."""
    authors: dict[tuple[str, str, str | None], FeedbackAuthor] = {}
    query = (
        "SELECT event_id, run_id, timestamp, by_kind, by_name, by_version, kind, rating, worse_run_id"
        " FROM judgements ORDER BY line"
    )
    for event_id, run_id, timestamp, by_kind, by_name, by_version, kind, rating, worse in db.execute(query):
        key = (by_kind, by_name, by_version)
        author = authors.get(key)
        if author is None:
            author = authors[key] = FeedbackAuthor(by_kind, by_name, by_version)
        yield FeedbackEvent(event_id, run_id, timestamp, author, kind, rating=rating, worse_run_id=worse)
