"""One flat row per run (the export format) and one row per feedback event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.config import STAGE_NAMES
from domain.feedback import FeedbackEvent
from domain.run_row import RunRow

RUN_COLUMNS: dict[str, str] = {
    "run_id": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "status": "VARCHAR",
    "source": "VARCHAR",
    "pack": "VARCHAR",
    "prompt_id": "VARCHAR",
    "prompt": "VARCHAR",
    "negative_prompt": "VARCHAR",
    "model": "VARCHAR",
    "model_hash": "VARCHAR",
    "sampler": "VARCHAR",
    "scheduler": "VARCHAR",
    "steps": "INTEGER",
    "cfg_scale": "DOUBLE",
    "width": "INTEGER",
    "height": "INTEGER",
    "seed": "BIGINT",
    "duration_ms": "BIGINT",
    "image_count": "INTEGER",
    "stages": "VARCHAR",
    **{f"{stage}_ms": "BIGINT" for stage in STAGE_NAMES},
    "image_path": "VARCHAR",
    "plan_id": "VARCHAR",
    "variant_index": "INTEGER",
    "rating": "INTEGER",
    "tags": "VARCHAR",
    "notes": "INTEGER",
    "wins": "INTEGER",
    "losses": "INTEGER",
}
"""Columns of the ``runs`` table and of every export, in order, with their SQL types."""

FEEDBACK_COLUMNS: dict[str, str] = {
    "event_id": "VARCHAR",
    "run_id": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "kind": "VARCHAR",
    "by_kind": "VARCHAR",
    "by_name": "VARCHAR",
    "by_version": "VARCHAR",
    "rating": "INTEGER",
    "tags_added": "VARCHAR",
    "tags_removed": "VARCHAR",
    "note": "VARCHAR",
    "worse_run_id": "VARCHAR",
}

STAGE_COLUMNS: dict[str, str] = {"run_id": "VARCHAR", "stage": "VARCHAR", "duration_ms": "BIGINT"}


def flat_run(row: RunRow) -> dict[str, Any]:
    """The export row: lists become text (``stages`` comma-separated, ``tags`` ';'-separated),
    stage durations become ``<stage>_ms`` columns, the time is UTC without the ``Z``."""
    durations = dict(row.stage_durations)
    values: dict[str, Any] = {
        **{key: value for key, value in row.to_dict().items() if key in RUN_COLUMNS},
        "timestamp": sql_time(row.timestamp),
        "stages": ",".join(row.stages),
        "tags": ";".join(row.tags),
    }
    for stage in STAGE_NAMES:
        values[f"{stage}_ms"] = durations.get(stage)
    return {column: values.get(column) for column in RUN_COLUMNS}


def flat_event(event: FeedbackEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "run_id": event.run_id,
        "timestamp": sql_time(event.timestamp),
        "kind": event.kind,
        "by_kind": event.by.kind,
        "by_name": event.by.name,
        "by_version": event.by.version,
        "rating": event.rating,
        "tags_added": ";".join(event.tags_added),
        "tags_removed": ";".join(event.tags_removed),
        "note": event.note,
        "worse_run_id": event.worse_run_id,
    }


def sql_time(timestamp: str) -> str | None:
    """``2026-11-24T09:00:00.123Z`` -> ``2026-11-24 09:00:00.123`` (UTC); None for a text that is
    not a time (a record may hold one: the query shows NULL there instead of failing to load)."""
    try:
        moment = datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ")
