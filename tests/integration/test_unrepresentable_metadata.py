from __future__ import annotations

from pathlib import Path

import pytest

from adapters.backends.fake import FakeImageBackend
from adapters.record_store.jsonl import JsonlRecordStore
from adapters.storage.filesystem import FilesystemArtifactStore
from application import PipelineRunner
from tests.factories import make_config
from tests.fakes import FakeClock


@pytest.mark.parametrize("bad_value", [Path("/tmp/x"), {1, 2}, object()])
def test_metadata_json_cannot_hold_is_refused_and_nothing_is_written(
    tmp_path: Path, bad_value: object
) -> None:
    sink = JsonlRecordStore(tmp_path / "records.jsonl")
    runner = PipelineRunner(FakeImageBackend(), FilesystemArtifactStore(tmp_path / "out"), FakeClock(), sink)
    runner.run(make_config(seed=1))
    before = sink.records_path.read_bytes()

    result = runner.run(make_config(seed=2, metadata={"where": bad_value}))

    assert result.succeeded
    assert len(list((tmp_path / "out" / result.run_id).glob("*.png"))) == 2
    assert result.learning.error is not None
    assert "JSON" in result.learning.error
    assert sink.records_path.read_bytes() == before
