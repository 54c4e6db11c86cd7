"""Totals the index keeps so that the stats of the whole history cost the same at any size.

``run_totals`` counts the runs per status, model and sampler; ``stage_totals`` counts, per stage,
the runs whose stage took each number of milliseconds (a histogram, from which percentiles are
exact); ``setting_totals`` counts the runs of each combination of the settings the insights compare
(per pack, stage list, model hash, model, setting and value; rows whose values are not stored
exactly, ``odd``, are left out, and read from their lines when asked). They change
with every row added to or removed from ``runs``. ``rating_totals`` counts
the runs in ``runs`` per current rating: it changes when a run first appears and when a run's
rating changes. All in the same transaction as the change itself.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson

from adapters.index.schema import COMBO, RUN_TABLE_COLUMNS, SETTING_COLUMNS
from domain.comparability import level_text
from domain.history_stats import HistoryStats, StageDurations, percentile_of_counts, ranked, stage_order

COUNTED = ("status", "model", "sampler")
_AT = [RUN_TABLE_COLUMNS.index(name) for name in (*COUNTED, "stage_durations", "odd")]
_COMBO_AT = [RUN_TABLE_COLUMNS.index(name) for name in COMBO]
STORED_COLUMNS = ", ".join((*COUNTED, "stage_durations", "odd", *COMBO))
"""The ``runs`` columns ``Totals.remove`` needs of a row, in this order."""


class Totals:
    """Changes to the kept totals, gathered while rows are added and removed, then written once."""

    def __init__(self) -> None:
        self._runs: Counter[tuple[str, str]] = Counter()
        self._stages: Counter[tuple[str, int]] = Counter()
        self._ratings: Counter[int] = Counter()
        self._combos: Counter[tuple[Any, ...]] = Counter()

    def add(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows as inserted into ``runs`` (all of RUN_TABLE_COLUMNS)."""
        at_status, at_model, at_sampler, at_durations, at_odd = _AT
        combos = self._combos
        for row in rows:
            self._count((row[at_status], row[at_model], row[at_sampler]), row[at_durations], 1)
            if not row[at_odd]:  # an odd row's stored values are approximate: read from its line instead
                combos[tuple(row[at] for at in _COMBO_AT)] += 1

    def remove(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows as selected with STORED_COLUMNS."""
        for row in rows:
            status, model, sampler, durations, odd = row[:5]
            self._count((status, model, sampler), durations, -1)
            if not odd:
                self._combos[tuple(row[5:])] -= 1

    def rate(self, old: int | None, new: int | None) -> None:
        """A run in ``runs`` whose rating went from ``old`` to ``new`` (None: unrated)."""
        if old is not None:
            self._ratings[old] -= 1
        if new is not None:
            self._ratings[new] += 1

    def _count(self, values: tuple[str, str, str], durations: str, sign: int) -> None:
        runs, stages = self._runs, self._stages
        for field, value in zip(COUNTED, values, strict=True):
            runs[field, value] += sign
        for stage, ms in orjson.loads(durations):
            if ms is not None:
                stages[stage, ms] += sign

    def write(self, db: sqlite3.Connection) -> None:
        db.executemany(
            "INSERT INTO run_totals (field, value, runs) VALUES (?, ?, ?)"
            " ON CONFLICT (field, value) DO UPDATE SET runs = runs + excluded.runs",
            [(field, value, runs) for (field, value), runs in self._runs.items() if runs],
        )
        db.executemany(
            "INSERT INTO stage_totals (stage, ms, runs) VALUES (?, ?, ?)"
            " ON CONFLICT (stage, ms) DO UPDATE SET runs = runs + excluded.runs",
            [(stage, ms, runs) for (stage, ms), runs in self._stages.items() if runs],
        )
        db.executemany(
            "INSERT INTO rating_totals (rating, runs) VALUES (?, ?)"
            " ON CONFLICT (rating) DO UPDATE SET runs = runs + excluded.runs",
            [(rating, runs) for rating, runs in self._ratings.items() if runs],
        )
        db.executemany(
            "INSERT INTO setting_totals (key, pack, stages, model_hash, model, parameter, value, runs,"
            " failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE"
            " SET runs = runs + excluded.runs, failed = failed + excluded.failed",
            [
                (orjson.dumps(key).decode(), *key, runs, failed)
                for key, (runs, failed) in _by_value(self._combos)
            ],
        )
        for table in ("run_totals", "stage_totals", "rating_totals", "setting_totals"):
            db.execute(f"DELETE FROM {table} WHERE runs = 0")
        self._combos.clear()
        self._runs.clear()
        self._stages.clear()
        self._ratings.clear()


_SLOTS = tuple(
    (parameter, tuple(COMBO.index(column) for column in columns))
    for parameter, columns in SETTING_COLUMNS.items()
)


def _by_value(combos: Counter[tuple[Any, ...]]) -> list[tuple[tuple[Any, ...], tuple[int, int]]]:
    """Changes per combination as changes per (pack, stages, model hash, model, setting, value)."""
    changes: dict[tuple[Any, ...], list[int]] = {}
    for combo, runs in combos.items():
        if not runs:
            continue
        failed = runs if combo[-1] == "failed" else 0
        for parameter, slots in _SLOTS:
            raw = combo[slots[0]] if len(slots) == 1 else tuple(combo[slot] for slot in slots)
            key = (combo[0], combo[1], combo[2], combo[3], parameter, level_text(parameter, raw))
            change = changes.get(key)
            if change is None:
                changes[key] = [runs, failed]
            else:
                change[0] += runs
                change[1] += failed
    return [(key, (runs, failed)) for key, (runs, failed) in changes.items() if runs or failed]


def clear(db: sqlite3.Connection) -> None:
    """Nothing counted: ``runs`` is being emptied."""
    for table in ("run_totals", "stage_totals", "rating_totals", "setting_totals"):
        db.execute(f"DELETE FROM {table}")


def recount_ratings(db: sqlite3.Connection) -> None:
    """Count ``rating_totals`` afresh from ``runs`` and ``feedback_state`` (after a build)."""
    db.execute("DELETE FROM rating_totals")
    db.execute(
        "INSERT INTO rating_totals (rating, runs) SELECT s.rating, count(*) FROM feedback_state s"
        " JOIN runs r ON r.run_id = s.run_id WHERE s.rating IS NOT NULL GROUP BY s.rating"
    )


def ratings_of(db: sqlite3.Connection, run_ids: list[str]) -> dict[str, int]:
    """The current rating of each of ``run_ids`` that has one."""
    found: dict[str, int] = {}
    for start in range(0, len(run_ids), 500):
        part = run_ids[start : start + 500]
        marks = ", ".join("?" * len(part))
        query = f"SELECT run_id, rating FROM feedback_state WHERE rating IS NOT NULL AND run_id IN ({marks})"
        found.update(db.execute(query, part).fetchall())
    return found


def stored_runs(db: sqlite3.Connection, run_ids: list[str]) -> set[str]:
    """Those of ``run_ids`` that are in ``runs``."""
    found: set[str] = set()
    for start in range(0, len(run_ids), 500):
        part = run_ids[start : start + 500]
        marks = ", ".join("?" * len(part))
        found.update(row[0] for row in db.execute(f"SELECT run_id FROM runs WHERE run_id IN ({marks})", part))
    return found


def stats(db: sqlite3.Connection) -> HistoryStats:
    """The stats of every run, as ``compute_stats`` of all rows gives them."""
    counts: dict[str, Counter[str]] = {field: Counter() for field in COUNTED}
    for field, value, runs in db.execute("SELECT field, value, runs FROM run_totals"):
        counts[field][value if field == "status" else value or "(unknown)"] += runs
    total = sum(counts["status"].values())
    histograms: dict[str, list[tuple[int, int]]] = {}
    for stage, ms, runs in db.execute("SELECT stage, ms, runs FROM stage_totals ORDER BY stage, ms"):
        histograms.setdefault(stage, []).append((ms, runs))
    stages = []
    for stage in sorted(histograms, key=stage_order):
        histogram = histograms[stage]
        count = sum(runs for _ms, runs in histogram)
        p50, p95 = percentile_of_counts(histogram, 50), percentile_of_counts(histogram, 95)
        stages.append(StageDurations(stage, count, p50, p95))
    rated = dict(db.execute("SELECT rating, runs FROM rating_totals").fetchall())
    return HistoryStats(
        runs=total,
        by_model=ranked(counts["model"]),
        by_sampler=ranked(counts["sampler"]),
        by_status=ranked(counts["status"]),
        stages=tuple(stages),
        ratings=tuple((rating, rated.get(rating, 0)) for rating in range(1, 6)),
        unrated=total - sum(rated.values()),
    )
