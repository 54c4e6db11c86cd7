"""The read-side use cases built on the ports: import, export, query, stats and the index's state."""

from __future__ import annotations

import io
import math
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.importer import image_importer
from adapters.importer.a1111_png import A1111PngImporter
from adapters.index.sqlite_index import SqliteRunIndex
from adapters.query.duckdb_history import DuckDbQueryEngine
from adapters.query.export import FlatRunWriter
from adapters.record_store.jsonl import JsonlRecordStore
from application.export_runs import ExportRuns
from application.history import History
from application.import_images import ImportImages
from application.query_history import QueryHistory
from domain.record import LearningRecord
from domain.run_filter import RunFilter
from tests.review.history_data import Spec, write_history
from tests.review.pngs import write_png


@pytest.fixture
def files(tmp_path: Path) -> tuple[list[Spec], JsonlRecordStore, JsonlFeedbackStore]:
    return write_history(tmp_path, 30)


def history_of(sink: JsonlRecordStore, store: JsonlFeedbackStore) -> History:
    return History(SqliteRunIndex(sink.records_path, store.path))


def test_import_appends_new_images_once_and_dry_run_appends_nothing(tmp_path: Path) -> None:
    sink = JsonlRecordStore(tmp_path / "records.jsonl")
    folder = tmp_path / "pngs"
    for n, colour in enumerate(("teal", "red", "gold")):
        write_png(folder / f"{n}.png", colour=colour)
    use_case = ImportImages(A1111PngImporter(), sink)
    assert len(use_case([folder], dry_run=True).records) == 3
    assert not sink.records_path.exists()
    plan = use_case([folder])
    assert len(plan.records) == 3
    assert [record.run_id for record in sink.iter_records()] == [record.run_id for record in plan.records]
    again = use_case([folder])
    assert again.records == []
    assert [item.problem for item in again.skipped] == [False, False, False]
    assert len(list(sink.iter_records())) == 3


def test_an_image_whose_record_cannot_be_stored_is_skipped_and_the_others_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checked values cannot give such a record today; this keeps any that slips through to its own file.
    real = image_importer.read_record

    def with_nan_for_bad(*args: Any, **kwargs: Any) -> tuple[LearningRecord, tuple[str, ...]]:
        record, notes = real(*args, **kwargs)
        if args[0].name == "bad.png":
            record = replace(record, metadata={"import": {"score": math.nan}})
        return record, notes

    monkeypatch.setattr(image_importer, "read_record", with_nan_for_bad)
    sink = JsonlRecordStore(tmp_path / "records.jsonl")
    good = write_png(tmp_path / "pngs" / "good.png")
    bad = write_png(tmp_path / "pngs" / "bad.png", colour="red")
    plan = ImportImages(A1111PngImporter(), sink)([tmp_path / "pngs"])
    assert [(item.path, item.problem) for item in plan.skipped] == [(bad, True)]
    assert plan.skipped[0].reason == (
        "its record cannot be stored (record cannot be stored as JSON:"
        " metadata.import.score is nan, which JSON cannot represent)"
    )
    assert [record.outputs[0].path for record in sink.iter_records()] == [str(good.resolve())]


def test_export_writes_the_runs_the_filter_keeps_newest_first(
    files: tuple[list[Spec], JsonlRecordStore, JsonlFeedbackStore],
) -> None:
    specs, sink, store = files
    use_case = ExportRuns(history_of(sink, store), FlatRunWriter())
    out = io.StringIO()
    model = specs[0].model
    count = use_case(RunFilter(model=model), "jsonl", out)
    expected = [spec.run_id for spec in reversed(specs) if spec.model == model]
    assert count == len(expected)
    assert [line.split('"run_id":"')[1][:32] for line in out.getvalue().splitlines()] == expected
    assert use_case.formats == ("csv", "jsonl", "parquet")


def test_query_sees_the_indexed_runs_and_every_feedback_event(
    files: tuple[list[Spec], JsonlRecordStore, JsonlFeedbackStore],
) -> None:
    specs, sink, store = files
    use_case = QueryHistory(history_of(sink, store), store, DuckDbQueryEngine())
    _columns, rows = use_case("SELECT count(*) FROM runs")
    assert rows == [(len(specs),)]
    _columns, events = use_case("SELECT count(*) FROM feedback")
    assert events == [(len(list(store.iter_events())),)]


def test_stats_count_the_runs_the_filter_keeps(
    files: tuple[list[Spec], JsonlRecordStore, JsonlFeedbackStore],
) -> None:
    specs, sink, store = files
    stats = history_of(sink, store).stats(RunFilter(status="succeeded"))
    assert stats.runs == sum(spec.status == "succeeded" for spec in specs)


def test_the_index_state_rebuild_and_check(
    files: tuple[list[Spec], JsonlRecordStore, JsonlFeedbackStore],
) -> None:
    specs, sink, store = files
    history = history_of(sink, store)
    assert history.index_status().runs == 0  # nothing read yet: the status does not catch up
    checked = history.check_index()
    assert checked.ok
    assert checked.scanned_runs == len(specs)
    assert history.index_status().fresh
    index_path = Path(f"{sink.records_path}.index.sqlite")
    with sqlite3.connect(index_path) as db:  # damage the derived data behind the index's back
        db.execute("UPDATE runs SET model = 'tampered' WHERE seq = (SELECT max(seq) FROM runs)")
    damaged = history.check_index()
    assert not damaged.ok
    assert any(specs[-1].run_id[:8] in difference for difference in damaged.differences)
    assert history.rebuild_index().runs == len(specs)
    assert history.check_index().ok
    with sqlite3.connect(index_path) as db:
        db.execute("UPDATE stage_totals SET runs = runs + 1 WHERE ms = (SELECT min(ms) FROM stage_totals)")
    assert history.check_index().differences == (
        "the index's stats of the whole history differ from those of the files",
    )
