from __future__ import annotations

from dataclasses import replace

from application import build_learning_record
from domain import LearningRecord, RunContext, RunStatus
from tests.unit.runs import finished_run


def test_same_inputs_give_an_equal_record() -> None:
    config, result = finished_run()
    first = build_learning_record(config, result)
    second = build_learning_record(config, result)
    assert first == second
    assert first.to_dict() == second.to_dict()


def test_record_carries_the_run() -> None:
    config, result = finished_run()
    record = build_learning_record(config, result)
    assert record.run_id == result.run_id
    assert record.status == "succeeded"
    assert record.timestamp == "2026-11-24T09:00:00.000Z"
    assert record.stage_plan == ("txt2img", "upscale")
    assert record.stages_executed == ("txt2img", "upscale")
    assert record.config == config.to_dict()
    assert record.outputs == result.artifacts
    assert record.metrics.image_count == len(result.artifacts)
    assert record.metrics.total_duration_ms == 3000
    assert record.backend == result.backend
    assert record.plan_id is None
    assert record.variant_index is None
    assert LearningRecord.from_dict(record.to_dict()) == record


def test_context_places_the_run_in_a_plan_and_merges_metadata() -> None:
    config, result = finished_run(metadata={"a": 1, "b": 2})
    record = build_learning_record(
        config, result, RunContext(plan_id="plan-9", variant_index=3, metadata={"b": 5})
    )
    assert (record.plan_id, record.variant_index) == ("plan-9", 3)
    assert dict(record.metadata) == {"a": 1, "b": 5}


def test_failed_run_lists_only_executed_stages() -> None:
    config, result = finished_run(fail_upscale=True)
    record = build_learning_record(config, replace(result, status=RunStatus.FAILED))
    assert record.status == "failed"
    assert record.stages_executed == ("txt2img", "upscale")
    assert [e.status for e in record.stage_events] == ["succeeded", "failed"]
