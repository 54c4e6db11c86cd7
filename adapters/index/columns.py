"""A stored record line as the index keeps it: the columns of its RunRow and its searchable words.

``record_columns`` validates a payload exactly as ``LearningRecord.from_dict`` does. Records in
the shape this project writes take a fast path that reads the dict directly; anything else goes
through ``LearningRecord.from_dict`` and ``RunRow.of`` themselves, which decide.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from adapters.index.words import searchable
from domain.record import KNOWN_SCHEMA_VERSIONS, SOURCE_PIPELINE, LearningRecord
from domain.run import StageStatus
from domain.run_row import RunRow, stage_values

ROW_COLUMNS = (
    "timestamp", "status", "source", "pack", "prompt_id", "prompt", "negative_prompt", "model",
    "model_hash", "sampler", "scheduler", "steps", "cfg_scale", "width", "height", "seed",
    "duration_ms", "image_count", "stages", "stage_durations", "image_path", "plan_id", "variant_index",
    "denoising_strength", "upscaler", "preset",
)  # fmt: skip
"""The RunRow fields a ``runs`` row stores, in order (``stages`` and ``stage_durations`` as JSON)."""

Columns = tuple[Any, ...]
"""``(odd, moment, *ROW_COLUMNS values)``; ``odd`` is 1 when a value could not be stored as it is
(the row is then rebuilt from its line when read), ``moment`` the timestamp in UTC microseconds."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_STATUSES = frozenset(str(status) for status in StageStatus)
_INT64 = 1 << 63
_SINGLE = frozenset(KNOWN_SCHEMA_VERSIONS) == {1}


def moment_of(timestamp: Any) -> int | None:
    """``timestamp`` in microseconds since 1970 UTC; None if it is not a time (no ``since`` matches)."""
    try:
        moment = datetime.fromisoformat(timestamp)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


def record_columns(payload: dict[str, Any]) -> tuple[Columns, str]:
    """The columns and searchable words of a record payload.

    Raises what ``LearningRecord.from_dict`` raises for it (UnsupportedSchemaVersion, or one of
    ``NOT_A_RECORD``); a record whose row cannot be computed raises TypeError or ValueError too.
    """
    fast = _fast(payload) if _SINGLE else None
    if fast is not None:
        return fast
    return row_columns(RunRow.of(LearningRecord.from_dict(payload)))


def row_columns(row: RunRow) -> tuple[Columns, str]:
    values = (
        row.timestamp, row.status, row.source, row.pack, row.prompt_id, row.prompt, row.negative_prompt,
        row.model, row.model_hash, row.sampler, row.scheduler, row.steps, row.cfg_scale, row.width,
        row.height, row.seed, row.duration_ms, row.image_count, orjson.dumps(list(row.stages)).decode(),
        orjson.dumps([list(pair) for pair in row.stage_durations]).decode(), row.image_path, row.plan_id,
        row.variant_index, row.denoising_strength, row.upscaler, row.preset,
    )  # fmt: skip
    return _storable(moment_of(row.timestamp), values), searchable(row.prompt, row.negative_prompt)


_ANY_TYPE = (3, 4, 8, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 25)  # values that are not always text


def _storable(moment: int | None, values: tuple[Any, ...]) -> Columns:
    """``(odd, moment, *values)``; values SQLite cannot give back as they are become None, odd 1."""
    low, high = -_INT64, _INT64
    for index in _ANY_TYPE:
        value = values[index]
        kind = type(value)
        if not (kind is str or value is None or kind is float or (kind is int and low <= value < high)):
            kept = [value if _plain(value) else None for value in values]
            return (1, moment, *kept)
    return (0, moment, *values)


def _plain(value: object) -> bool:
    """True if SQLite stores ``value`` and gives back an equal value of the same type."""
    kind = type(value)
    return value is None or kind is str or kind is float or (kind is int and -_INT64 <= value < _INT64)  # type: ignore[operator]


def _text(value: object) -> bool:
    return type(value) is str and bool(value)


def _text_or_none(value: object) -> bool:
    return value is None or type(value) is str


def _int64(value: object) -> bool:
    return type(value) is int and -_INT64 <= value < _INT64


def _int_or_none(value: object) -> bool:
    return value is None or _int64(value)


def _fast(d: dict[str, Any]) -> tuple[Columns, str] | None:
    """The columns of a record in the shape this project writes, or None to let the slow path decide.

    Returns a value only where ``LearningRecord.from_dict`` certainly accepts the payload and
    ``RunRow.of`` certainly gives these values.
    """
    version = d.get("schema_version")
    run_id, timestamp, status = d.get("run_id"), d.get("timestamp"), d.get("status")
    stages, plan, config = d.get("stages_executed"), d.get("stage_plan"), d.get("config")
    events, outputs, metrics, backend = (
        d.get("stage_events"),
        d.get("outputs"),
        d.get("metrics"),
        d.get("backend"),
    )
    resolved, metadata, source = d.get("resolved"), d.get("metadata"), d.get("source", SOURCE_PIPELINE)
    if not (
        type(version) is int
        and version == 1
        and _text(run_id)
        and _text(timestamp)
        and _text(status)
        and type(stages) is list
        and type(plan) is list
        and type(config) is dict
        and type(events) is list
        and type(outputs) is list
        and type(metrics) is dict
        and type(backend) is dict
        and (resolved is None or type(resolved) is dict)
        and (metadata is None or type(metadata) is dict)
        and _text(source)
        and _text_or_none(d.get("prompt_pack_id"))
        and _text_or_none(d.get("prompt_id"))
        and _text_or_none(d.get("plan_id"))
        and _int_or_none(d.get("variant_index"))
        and _text(backend.get("kind", "unknown"))
        and _text_or_none(backend.get("version"))
        and _text_or_none(backend.get("model"))
        and _text_or_none(backend.get("model_hash"))
    ):
        return None
    duration, images = metrics.get("total_duration_ms"), metrics.get("image_count")
    if not (_int64(duration) and _int64(images)):
        return None
    durations = _stage_durations(events)
    image_path = _image_path(outputs)
    if durations is None or image_path is False:
        return None
    for stage in (*stages, *plan):
        if not _text(stage):
            return None
    if resolved:
        for value in resolved.values():
            if type(value) is not dict:
                return None
    prompt = str(config.get("prompt") or "")
    negative = str(config.get("negative_prompt") or "")
    sampler, scheduler, steps, cfg, seed = _settings(stages, resolved, config)
    width, height = config.get("width"), config.get("height")
    values = (
        timestamp, status, source, d.get("prompt_pack_id"), d.get("prompt_id"), prompt, negative,
        str(backend.get("model") or config.get("model") or ""), backend.get("model_hash"),
        str(sampler or ""), str(scheduler or ""),
        steps if type(steps) is int else _number(steps, int),
        cfg if type(cfg) is float else _number(cfg, float),
        width if type(width) is int else _number(width, int),
        height if type(height) is int else _number(height, int),
        seed if type(seed) is int else _number(seed, int), duration, images,
        orjson.dumps(stages).decode(), orjson.dumps(durations).decode(), image_path,
        d.get("plan_id"), d.get("variant_index"), *stage_values(resolved, config, metadata).values(),
    )  # fmt: skip
    return _storable(moment_of(timestamp), values), searchable(prompt, negative)


_SETTINGS = ("sampler", "scheduler", "steps", "cfg_scale", "seed")


def _settings(stages: list[str], resolved: dict[str, Any] | None, config: dict[str, Any]) -> list[Any]:
    """Each of _SETTINGS as RunRow.of takes it: from the first stage that resolved it, else the config."""
    layers = [resolved[stage] for stage in stages if stage in resolved] if resolved else []
    found = []
    for key in _SETTINGS:
        value = None
        for layer in layers:
            value = layer.get(key)
            if value is not None:
                break
        found.append(config.get(key) if value is None else value)
    return found


def _stage_durations(events: list[Any]) -> list[list[Any]] | None:
    """``[[stage, duration_ms], ...]`` if every event is one StageEvent.from_dict accepts as it is."""
    pairs = []
    for event in events:
        if type(event) is not dict:
            return None
        stage, state, count = event.get("stage"), event.get("status"), event.get("image_count", 0)
        started, finished = event.get("started_at"), event.get("finished_at")
        if not (
            _text(stage)
            and type(state) is str
            and state in _STATUSES
            and _int64(count)
            and _int_or_none(event.get("duration_ms"))
            and _text_or_none(event.get("error"))
        ):
            return None
        for moment in (started, finished):
            if moment is not None and moment != "" and (type(moment) is not str or moment_of(moment) is None):
                return None
        pairs.append([stage, event.get("duration_ms")])
    return pairs


def _image_path(outputs: list[Any]) -> str | bool | None:
    """The last output's path; False if any output is not one ImageArtifact.from_dict accepts as it is."""
    for output in outputs:
        if type(output) is not dict:
            return False
        index, width, height, seed = (
            output.get("index"),
            output.get("width"),
            output.get("height"),
            output.get("seed", 0),
        )
        if not (
            _int64(index)
            and _int64(width)
            and _int64(height)
            and _int_or_none(seed)
            and _text(output.get("path"))
            and _text(output.get("stage"))
            and _text(output.get("sha256"))
        ):
            return False
    return outputs[-1]["path"] if outputs else None


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    if value is None or isinstance(value, bool):
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None
