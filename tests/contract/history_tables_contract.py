"""Contracts of the ports that turn the history into tables: RunTableWriter and HistoryQueryEngine.

Subclass ``RunTableWriterContract`` (define ``make_writer``) or ``HistoryQueryEngineContract``
(define ``make_engine``) to check an implementation of your own.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.errors import QueryError
from domain.feedback import FeedbackAuthor, FeedbackEvent
from domain.ports import HistoryQueryEngine, RunTableWriter
from domain.run_row import RunRow
from tests.review.history_data import generate


def history_rows(count: int = 12) -> tuple[list[RunRow], list[FeedbackEvent]]:
    _specs, records, events = generate(count, seed=5)
    return [RunRow.of(record) for record in reversed(records)], events


class RunTableWriterContract:
    def make_writer(self) -> RunTableWriter:
        raise NotImplementedError

    @pytest.fixture
    def writer(self) -> RunTableWriter:
        return self.make_writer()

    def text_formats(self, writer: RunTableWriter) -> list[str]:
        formats = []
        for name in writer.formats:
            try:
                writer.write([], name, io.StringIO())
            except ValueError:
                continue  # a binary format
            formats.append(name)
        return formats

    def test_some_format_writes_text(self, writer: RunTableWriter) -> None:
        assert self.text_formats(writer)

    def test_every_row_is_written_in_order_and_counted(self, writer: RunTableWriter) -> None:
        rows, _events = history_rows()
        for name in self.text_formats(writer):
            out = io.StringIO()
            assert writer.write(rows, name, out) == len(rows)
            text = out.getvalue()
            places = [text.index(row.run_id) for row in rows]
            assert places == sorted(places), name

    def test_a_file_is_written_whole_in_every_format(self, writer: RunTableWriter, tmp_path: Path) -> None:
        rows, _events = history_rows()
        for name in writer.formats:
            target = tmp_path / f"runs.{name}"
            assert writer.write(rows, name, target) == len(rows)
            assert target.stat().st_size > 0
        assert sorted(path.name for path in tmp_path.iterdir()) == sorted(f"runs.{n}" for n in writer.formats)

    def test_a_failure_leaves_the_earlier_file_and_no_temp_file(
        self, writer: RunTableWriter, tmp_path: Path
    ) -> None:
        rows, _events = history_rows()

        def failing() -> Iterator[RunRow]:
            yield rows[0]
            raise OSError("the history could not be read")

        for name in writer.formats:
            target = tmp_path / f"runs.{name}"
            target.write_text("earlier export")
            with pytest.raises(OSError, match="could not be read"):
                writer.write(failing(), name, target)
            assert target.read_text() == "earlier export"
        assert len(list(tmp_path.iterdir())) == len(writer.formats)

    def test_an_unknown_format_is_refused_before_anything_is_written(
        self, writer: RunTableWriter, tmp_path: Path
    ) -> None:
        rows, _events = history_rows()
        out = io.StringIO()
        with pytest.raises(ValueError, match="xlsx"):
            writer.write(rows, "xlsx", out)
        with pytest.raises(ValueError, match="xlsx"):
            writer.write(rows, "xlsx", tmp_path / "runs.xlsx")
        assert out.getvalue() == ""
        assert list(tmp_path.iterdir()) == []


class HistoryQueryEngineContract:
    def make_engine(self) -> HistoryQueryEngine:
        raise NotImplementedError

    @pytest.fixture
    def engine(self) -> HistoryQueryEngine:
        return self.make_engine()

    def test_runs_stages_and_feedback_are_tables(self, engine: HistoryQueryEngine) -> None:
        rows, events = history_rows()
        columns, result = engine.query("SELECT run_id, model FROM runs ORDER BY run_id", rows, events)
        assert columns == ["run_id", "model"]
        assert result == sorted((row.run_id, row.model) for row in rows)
        _columns, stages = engine.query("SELECT count(*) FROM stages", rows, events)
        assert stages == [(sum(len(row.stage_durations) for row in rows),)]
        _columns, counted = engine.query("SELECT count(*) FROM feedback", rows, events)
        assert counted == [(len(events),)]

    def test_feedback_joins_runs(self, engine: HistoryQueryEngine) -> None:
        rows, _events = history_rows(3)
        by = FeedbackAuthor.person("alice")
        events = [FeedbackEvent("e1", rows[0].run_id, "2026-11-24T10:00:00Z", by, "rating", rating=5)]
        _columns, result = engine.query(
            "SELECT r.run_id, f.rating FROM runs r JOIN feedback f USING (run_id)", rows, events
        )
        assert result == [(rows[0].run_id, 5)]

    @pytest.mark.parametrize(
        "sql",
        [
            "SELEC nonsense",
            "SELECT * FROM no_such_table",
            "SELECT * FROM read_csv('/etc/hostname')",
            "DELETE FROM runs",
            "INSERT INTO runs SELECT * FROM runs",
            "CREATE TABLE copy AS SELECT * FROM runs",
            "SELECT 1; DROP TABLE runs",
            "",
            " ;; ",
        ],
    )
    def test_a_refused_statement_raises_query_error(self, engine: HistoryQueryEngine, sql: str) -> None:
        rows, events = history_rows(2)
        with pytest.raises(QueryError):
            engine.query(sql, rows, events)

    def test_no_file_is_written(self, engine: HistoryQueryEngine, tmp_path: Path) -> None:
        rows, events = history_rows(2)
        target = tmp_path / "copy.csv"
        with pytest.raises(QueryError):
            engine.query(f"COPY runs TO '{target}'", rows, events)
        assert not target.exists()
