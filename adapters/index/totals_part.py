"""Totals the index keeps so that the stats of the whole history cost the same at any size.

``run_totals`` counts the runs per status, model and sampler; ``stage_totals`` counts, per stage,
the runs whose stage took each number of milliseconds (a histogram, from which percentiles are
exact). Both change with every row added to or removed from ``runs``, in the same transaction.
The rating distribution is counted from ``feedback_state`` when asked (one row per rated run).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson

from adapters.index.schema import RUN_TABLE_COLUMNS
from domain.history_stats import HistoryStats, StageDurations, percentile_of_counts, ranked, stage_order

COUNTED = ("status", "model", "sampler")
_AT = [RUN_TABLE_COLUMNS.index(name) for name in (*COUNTED, "stage_durations")]
STORED_COLUMNS = ", ".join(COUNTED) + ", stage_durations"
"""The ``runs`` columns ``Totals.remove`` needs of a row, in this order."""


class Totals:
    """Changes to the kept totals, gathered while rows are added and removed, then written once."""

    def __init__(self) -> None:
        self._runs: Counter[tuple[str, str]] = Counter()
        self._stages: Counter[tuple[str, int]] = Counter()

    def add(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows as inserted into ``runs`` (all of RUN_TABLE_COLUMNS)."""
        at_status, at_model, at_sampler, at_durations = _AT
        for row in rows:
            self._count((row[at_status], row[at_model], row[at_sampler]), row[at_durations], 1)

    def remove(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Rows as selected with STORED_COLUMNS."""
        for status, model, sampler, durations in rows:
            self._count((status, model, sampler), durations, -1)

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
        db.execute("DELETE FROM run_totals WHERE runs = 0")
        db.execute("DELETE FROM stage_totals WHERE runs = 0")
        self._runs.clear()
        self._stages.clear()


def clear(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM run_totals")
    db.execute("DELETE FROM stage_totals")


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
    rated = dict(
        db.execute(
            "SELECT s.rating, count(*) FROM feedback_state s JOIN runs r ON r.run_id = s.run_id"
            " WHERE s.rating IS NOT NULL GROUP BY s.rating"
        ).fetchall()
    )
    return HistoryStats(
        runs=total,
        by_model=ranked(counts["model"]),
        by_sampler=ranked(counts["sampler"]),
        by_status=ranked(counts["status"]),
        stages=tuple(stages),
        ratings=tuple((rating, rated.get(rating, 0)) for rating in range(1, 6)),
        unrated=total - sum(rated.values()),
    )
