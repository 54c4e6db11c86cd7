"""What the insights ask of the index: counts per setting value, the rows of given runs, the judgements.

``setting_counts`` groups in SQL the rows whose stored values are exact; the few ``odd`` rows are
read from their lines by the caller and counted with ``count_settings`` like any other row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import replace
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
    """The counts of the rows ``run_filter`` keeps whose stored values are exact (not ``odd``).

    Without a filter, or with a pack and model only, from the kept ``setting_totals`` (each
    combination of values once, whatever the number of runs); else one grouped scan of ``runs``.
    Either way each combination is then counted per setting here.
    """
    if run_filter is None or replace(run_filter, pack=None, model=None) == RunFilter():
        return _kept_counts(db, run_filter)
    return _counted(_scanned_combinations(db, run_filter))


def _kept_counts(db: sqlite3.Connection, run_filter: RunFilter | None) -> list[SettingCount]:
    """From ``setting_totals``, kept per value: one query over a few rows per scope and value."""
    where: list[str] = []
    params: list[Any] = []
    for column in ("pack", "model"):
        pattern = getattr(run_filter, column) if run_filter is not None else None
        if pattern is not None:
            where.append(f"sn_glob(?, {column})")
            params.append(pattern)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    query = (
        "SELECT pack, stages, model_hash, parameter, value, sum(runs), sum(failed) FROM setting_totals"
        f"{clause} GROUP BY pack, stages, model_hash, parameter, value"
    )
    stages_of: dict[str, tuple[str, ...]] = {}
    counts = []
    for pack, stages, model_hash, parameter, value, runs, failed in db.execute(query, params):
        if stages not in stages_of:
            stages_of[stages] = tuple(orjson.loads(stages))
        counts.append(SettingCount(pack, stages_of[stages], model_hash, parameter, value, runs, failed))
    return counts


def _scanned_combinations(db: sqlite3.Connection, run_filter: RunFilter | None) -> list[tuple[Any, ...]]:
    where, params = queries.conditions(run_filter)
    clause = " AND ".join(["r.odd = 0", *where])
    source = "runs r" + (_FEEDBACK if any("s." in term for term in where) else "")
    columns = ", ".join(COLUMNS.values())
    query = (
        f"SELECT r.pack, r.stages, r.model_hash, {columns}, r.status = 'failed', count(*)"
        f" FROM {source} WHERE {clause} GROUP BY r.pack, r.stages, r.model_hash, {columns}, {_FAILED}"
    )
    return db.execute(query, params).fetchall()


def _counted(combinations: Iterable[tuple[Any, ...]]) -> list[SettingCount]:
    """``(pack, stages, model_hash, *COLUMNS' values, failed, runs)`` counted per setting and value."""
    totals: dict[tuple[Any, ...], list[int]] = {}
    for found in combinations:
        pack, stages, model_hash = found[0], found[1], found[2]
        failed: int = found[-2]
        runs: int = found[-1]
        for parameter, slot in _SLOTS:
            raw = found[slot] if isinstance(slot, int) else (found[slot[0]], found[slot[1]])
            key = (pack, stages, model_hash, parameter, raw)
            total = totals.get(key)
            if total is None:
                total = totals[key] = [0, 0]
            total[0] += runs
            if failed:
                total[1] += runs
    stages_of: dict[str, tuple[str, ...]] = {}
    counts = []
    for (pack, stages, model_hash, parameter, raw), (number, failures) in totals.items():
        if stages not in stages_of:
            stages_of[stages] = tuple(orjson.loads(stages))
        value = level_text(parameter, raw)
        counts.append(SettingCount(pack, stages_of[stages], model_hash, parameter, value, number, failures))
    return counts


def _slots() -> tuple[tuple[str, int | tuple[int, int]], ...]:
    """Each setting's place(s) in a row of ``exact_counts``' query (after pack, stages, model hash)."""
    slots: list[tuple[str, int | tuple[int, int]]] = []
    place = 3
    for parameter, columns in COLUMNS.items():
        if "," in columns:
            slots.append((parameter, (place, place + 1)))
            place += 2
        else:
            slots.append((parameter, place))
            place += 1
    return tuple(slots)


_SLOTS = _slots()
_FAILED = 4 + sum(columns.count(",") + 1 for columns in COLUMNS.values())
"""The place (1-based, as GROUP BY numbers them) of the query's ``failed`` column."""


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
