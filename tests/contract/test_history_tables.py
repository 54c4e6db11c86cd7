"""The table contracts run against the CSV/JSONL/Parquet writer and the DuckDB query engine."""

from __future__ import annotations

from adapters.query.duckdb_history import DuckDbQueryEngine
from adapters.query.export import FlatRunWriter
from domain.ports import HistoryQueryEngine, RunTableWriter
from tests.contract.history_tables_contract import HistoryQueryEngineContract, RunTableWriterContract


class TestFlatRunWriter(RunTableWriterContract):
    def make_writer(self) -> RunTableWriter:
        return FlatRunWriter()


class TestDuckDbQueryEngine(HistoryQueryEngineContract):
    def make_engine(self) -> HistoryQueryEngine:
        return DuckDbQueryEngine()
