from __future__ import annotations

import json

import pytest

from domain import LearningRecord, UnsupportedSchemaVersion
from domain.timefmt import format_timestamp, parse_timestamp
from tests.factories import T0, make_record

REQUIRED_KEYS = {
    "schema_version", "run_id", "plan_id", "variant_index", "timestamp", "status", "source",
    "prompt_pack_id", "prompt_id", "stage_plan", "stages_executed", "config", "stage_events",
    "outputs", "metrics", "backend", "resolved", "metadata",
}  # fmt: skip


def test_to_dict_has_every_schema_field() -> None:
    data = make_record().to_dict()
    assert set(data) == REQUIRED_KEYS
    assert data["schema_version"] == 1
    assert set(data["stage_events"][0]) == {
        "stage", "status", "started_at", "finished_at", "duration_ms", "image_count", "error",
    }  # fmt: skip
    assert set(data["outputs"][0]) == {"stage", "index", "path", "width", "height", "seed", "sha256"}
    assert set(data["backend"]) == {"kind", "version", "model", "model_hash"}
    assert set(data["metrics"]) == {"total_duration_ms", "image_count"}


def test_dict_and_json_round_trip() -> None:
    record = make_record(metadata={"emoji": "🌅", "rtl": "שלום", "lines": "a\nb"})
    assert LearningRecord.from_dict(record.to_dict()) == record
    assert LearningRecord.from_dict(json.loads(json.dumps(record.to_dict()))) == record


def test_newer_schema_version_is_refused_with_a_clear_message() -> None:
    data = make_record().to_dict() | {"schema_version": 2}
    with pytest.raises(UnsupportedSchemaVersion, match="newer than this reader supports"):
        LearningRecord.from_dict(data)


@pytest.mark.parametrize("version", [0, "1", None, True])
def test_malformed_schema_version_is_a_value_error(version: object) -> None:
    with pytest.raises(ValueError, match="schema_version"):
        LearningRecord.from_dict(make_record().to_dict() | {"schema_version": version})


def test_missing_required_field_is_refused() -> None:
    data = make_record().to_dict()
    del data["outputs"]
    with pytest.raises(KeyError):
        LearningRecord.from_dict(data)


def test_timestamps_are_utc_with_milliseconds_and_z() -> None:
    assert format_timestamp(T0) == "2026-11-24T09:00:00.123Z"
    assert parse_timestamp(format_timestamp(T0)) == T0
