"""The RunIndex contract (domain/ports.py), checked against the full-scan History it replaces.

Subclass :class:`RunIndexContract` in a ``test_*.py`` module as ``Test...`` and implement
:meth:`make_index`. Every test writes a records file and a feedback file with the JSONL store
and compares the index's answers with ``tests.contract.scan_history.ScanHistory`` reading the same files
(the read side as it was before any index), or with the domain's definitions.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.record_store.jsonl import JsonlRecordStore
from domain.errors import UnsupportedSchemaVersion
from domain.feedback import FeedbackAuthor, FeedbackEvent, RunFeedback
from domain.history_stats import compute_stats
from domain.images import BackendInfo
from domain.ports import RunIndex
from domain.record import LearningRecord
from domain.run import StageEvent, StageStatus
from domain.run_filter import RunFilter, parse_filter
from domain.run_lookup import AmbiguousRunId, RunNotFound
from domain.run_search import Search
from domain.setting_counts import count_settings
from domain.store_health import BadLine
from tests.contract.scan_history import ScanHistory
from tests.factories import T0, make_config, make_record
from tests.review.history_data import generate

Reported = list[tuple[str, BadLine]]
ALICE = FeedbackAuthor.person("alice")
NOW = T0 + timedelta(days=2)
FILTERS: tuple[dict[str, str | list[str]], ...] = (
    {"model": "sdxl*"},
    {"model": "SDXL-BASE"},
    {"sampler": "dpm*", "steps": "25.."},
    {"cfg": "5..8", "status": "succeeded"},
    {"rating": "4.."},
    {"rating": "none"},
    {"tag": ["keeper"]},
    {"tag": ["sharp", "KEEPER"]},
    {"stage": "upscale"},
    {"stage": "up*", "pack": "portraits"},
    {"pack": "port*", "prompt_id": "p3"},
    {"source": "import"},
    {"since": "2026-11-24T09:20", "until": "2026-11-24T09:40"},
    {"until": "2026-11-24"},
    {"scheduler": "auto*", "steps": "<=30", "model": "*dev"},
    {"steps": "30"},
)
SEARCHES = ("lighthouse", "Lighthouse DUSK", "light*", "blurry", "cafe", "CAFÉ", "東京", "東*", "zzz", "")


def line_of(payload: dict[str, Any]) -> bytes:
    """A line with a valid checksum, as the JSONL store writes one."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    crc = f"{zlib.crc32(body):08x}"
    return body[:-1] + b',"_crc":"' + crc.encode() + b'"}\n'


class HistoryFiles:
    """A records file and a feedback file in one folder, written as the stores write them."""

    def __init__(self, folder: Path) -> None:
        self.records_path = folder / "learning_records.jsonl"
        self.feedback_path = folder / "feedback.jsonl"
        self.sink = JsonlRecordStore(self.records_path, durability="none")
        self.store = JsonlFeedbackStore(self.feedback_path, durability="none")

    def add(self, *records: LearningRecord) -> None:
        self.sink.append_records(records)

    def rate(self, *events: FeedbackEvent) -> None:
        self.store.append(events)

    def raw(self, source: str, data: bytes) -> None:
        """Bytes appended as they are (a damaged or hand-edited file)."""
        path = self.records_path if source == "records" else self.feedback_path
        with open(path, "ab") as handle:
            handle.write(data)

    def history(self, report: Callable[[str, BadLine], None] | None = None) -> ScanHistory:
        return ScanHistory(self.sink, self.store, report)

    def forward_bad_lines(self) -> set[tuple[str, BadLine]]:
        """Bad lines as the readers report them oldest first (what a RunIndex must report)."""
        bad: set[tuple[str, BadLine]] = set()
        for _ in self.sink.iter_records(on_bad_line=lambda line: bad.add(("records", line))):
            pass
        for _ in self.store.iter_events(on_bad_line=lambda line: bad.add(("feedback", line))):
            pass
        return bad

    def close(self) -> None:
        self.sink.close()
        self.store.close()


def varied_records() -> list[LearningRecord]:
    """Records covering what rows and filters look at, including values of unusual types."""
    _specs, records, _events = generate(60, seed=3)
    extra = [
        make_record(
            "cafe0001", config={"prompt": "Café au lait at 東京 station", "negative_prompt": "naïve"}
        ),
        make_record(
            "cafe0002",
            config={"prompt": "a CAFE sign, lighthouse-shaped"},
            backend=BackendInfo("fake", model="sdxl-base"),
        ),
        make_record("imp00001", source="import", prompt_pack_id=None, timestamp="2026-11-23T10:00:00Z"),
        make_record("odd00001", variant_index=-1, plan_id="", backend=BackendInfo("fake", model_hash="")),
        make_record(
            "odd00002",
            config={"prompt": 42, "steps": "30", "cfg_scale": "7.5"},
            resolved={"txt2img": {"seed": 2**64 - 1}},
        ),
        make_record(
            "odd00003",
            timestamp="not a time",
            stage_events=(StageEvent("txt2img", StageStatus.SUCCEEDED, duration_ms=None),),
        ),
        make_record("plan0001", plan_id="plan-a", variant_index=2, resolved={"txt2img": {"steps": 33}}),
        *_staged_records(),
    ]
    return records + extra


def _staged_records() -> list[LearningRecord]:
    """img2img and upscale stages with their denoising strength and upscaler, runs with a preset."""
    stages = [
        {"name": "txt2img"},
        {"name": "img2img", "denoising_strength": 0.45, "init_images": []},
        {"name": "upscale", "upscaler": "R-ESRGAN 4x+", "scale": 2.0},
    ]
    config = {**make_config().to_dict(), "stages": stages}
    plan = ("txt2img", "img2img", "upscale")
    preset = {"preset": {"name": "portrait-v1", "sha256": "ab" * 32}}
    return [
        make_record("deno0001", config=config, stage_plan=plan, stages_executed=plan, metadata=preset),
        make_record(
            "deno0002",
            config=config,
            stage_plan=plan,
            stages_executed=plan,
            resolved={"img2img": {"denoising_strength": 0.6}, "upscale": {"upscaler": "Lanczos"}},
        ),
        make_record("deno0003", config={**config, "stages": "not a list"}, status="failed", metadata=preset),
    ]


def varied_events(records: list[LearningRecord]) -> list[FeedbackEvent]:
    _specs, _records, events = generate(60, seed=3)
    first, second = records[0].run_id, records[1].run_id
    return [
        *events,
        FeedbackEvent("c1", first, "2026-11-24T10:00:00Z", ALICE, "choice", worse_run_id=second),
        FeedbackEvent("c2", second, "2026-11-24T10:01:00Z", ALICE, "choice", worse_run_id=first),
        FeedbackEvent("n1", "cafe0001", "2026-11-24T10:02:00Z", ALICE, "note", note="lovely"),
        FeedbackEvent("n1", "cafe0002", "2026-11-24T10:02:00Z", ALICE, "note", note="same id: ignored"),
        FeedbackEvent(
            "t1", "cafe0001", "2026-11-24T10:03:00Z", ALICE, "tags", tags_added=("Keeper", "keeper")
        ),
        FeedbackEvent("r1", "odd00001", "2026-11-24T10:04:00Z", ALICE, "rating", rating=5),
        FeedbackEvent("r2", "nobody", "2026-11-24T10:05:00Z", ALICE, "rating", rating=1),
    ]


class RunIndexContract:
    """Shared tests of the RunIndex port."""

    def make_index(
        self, records_path: Path, feedback_path: Path, on_bad_line: Callable[[str, BadLine], None]
    ) -> RunIndex:
        raise NotImplementedError

    @pytest.fixture
    def files(self, tmp_path: Path) -> Iterator[HistoryFiles]:
        files = HistoryFiles(tmp_path)
        yield files
        files.close()

    @pytest.fixture
    def reported(self) -> Reported:
        return []

    @pytest.fixture
    def index(self, files: HistoryFiles, reported: Reported) -> Iterator[RunIndex]:
        index = self.make_index(files.records_path, files.feedback_path, lambda s, b: reported.append((s, b)))
        yield index
        close = getattr(index, "close", None)
        if close is not None:
            close()

    @pytest.fixture
    def varied(self, files: HistoryFiles) -> HistoryFiles:
        records = varied_records()
        files.add(*records[:40])
        files.rate(*varied_events(records)[:10])
        files.add(*records[40:], replace(records[5], status="failed"))  # run 5 again: this copy wins
        files.rate(*varied_events(records)[10:])
        return files

    # -- what the insights ask ------------------------------------------------------------------

    def test_setting_counts_are_those_of_the_full_scans_rows(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        history = varied.history()
        for options in (
            {},
            {"pack": "portraits"},
            {"model": "sdxl*"},
            {"rating": "4.."},
            {"stage": "img2img"},
        ):
            run_filter = parse_filter(options, now=NOW) if options else None
            expected = count_settings(history.iter_rows(run_filter))
            assert index.setting_counts(run_filter) == expected, options
        counts = index.setting_counts()
        assert {(c.parameter, c.value) for c in counts} >= {
            ("denoising", "0.45"),
            ("denoising", "0.6"),
            ("upscaler", "R-ESRGAN 4x+"),
            ("preset", "portrait-v1"),
        }

    def test_runs_are_the_rows_of_the_ids_the_history_holds(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        rows = list(varied.history().iter_rows())
        wanted = {rows[0].run_id, rows[7].run_id, "odd00002", "deno0002", "nobody"}
        expected = sorted((row for row in rows if row.run_id in wanted), key=lambda row: row.run_id)
        assert sorted(index.runs(wanted), key=lambda row: row.run_id) == expected
        assert list(index.runs(())) == []

    def test_judgements_are_the_first_copies_of_ratings_and_choices_in_file_order(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        seen: set[str] = set()
        expected = []
        for event in JsonlFeedbackStore(varied.feedback_path).iter_events():
            if event.event_id not in seen:
                seen.add(event.event_id)
                if event.kind in ("rating", "choice"):
                    expected.append(event)
        assert list(index.judgements()) == expected
        assert {event.kind for event in expected} == {"rating", "choice"}

    def test_plan_records_are_the_records_of_the_runs_with_a_plan_id_in_history_order(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        varied.add(make_record("plan0002", plan_id="plan-b", variant_index=0))
        expected = [record for record in varied.history().iter_records() if record.plan_id]
        assert [record.run_id for record in expected] == ["plan0002", "plan0001"]  # odd00001's is ""
        assert list(index.plan_records(newest_first=True)) == expected
        assert list(index.plan_records()) == expected[::-1]

    # -- listing ---------------------------------------------------------------------------------

    def test_missing_files_are_an_empty_history(self, index: RunIndex) -> None:
        assert list(index.rows()) == []
        with pytest.raises(RunNotFound):
            index.resolve("abcd")
        assert index.feedback("abcd") == RunFeedback(run_id="abcd")

    def test_every_row_equals_the_full_scan_newest_first(self, index: RunIndex, varied: HistoryFiles) -> None:
        expected = list(varied.history().iter_rows())
        assert list(index.rows()) == expected
        assert list(index.rows(newest_first=False)) == expected[::-1]

    def test_a_run_stored_twice_is_shown_once_at_its_newest_copy(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        rows = list(index.rows())
        run_id = varied_records()[5].run_id
        assert [row.run_id for row in rows].count(run_id) == 1
        assert (rows[0].run_id, rows[0].status) == (run_id, "failed")

    def test_limits_stop_the_listing(self, index: RunIndex, varied: HistoryFiles) -> None:
        history = varied.history()
        assert list(index.rows(limit=20)) == history.recent(20)
        assert list(index.rows(limit=0)) == []
        assert list(index.rows(newest_first=False, limit=3)) == list(history.iter_rows())[::-1][:3]

    @pytest.mark.parametrize("options", FILTERS, ids=lambda options: ",".join(sorted(options)))
    def test_filters_keep_the_rows_the_full_scan_keeps(
        self, index: RunIndex, varied: HistoryFiles, options: dict[str, str | list[str]]
    ) -> None:
        run_filter = parse_filter(options, NOW)
        expected = list(varied.history().iter_rows(run_filter))
        assert list(index.rows(run_filter)) == expected
        assert list(index.rows(run_filter, limit=3)) == expected[:3]

    @pytest.mark.parametrize(
        "options", [{}, *FILTERS], ids=lambda options: ",".join(sorted(options)) or "all"
    )
    def test_stats_are_those_of_the_rows(
        self, index: RunIndex, varied: HistoryFiles, options: dict[str, str | list[str]]
    ) -> None:
        run_filter = parse_filter(options, NOW)
        assert index.stats(run_filter) == compute_stats(varied.history().iter_rows(run_filter))
        search = Search.parse("cafe")
        in_prompt = [r for r in varied.history().iter_rows() if search.matches(r.prompt, r.negative_prompt)]
        assert index.stats(search="cafe") == compute_stats(in_prompt)

    def test_stats_follow_appends_replacements_and_ratings(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        assert index.stats() == compute_stats(varied.history().iter_rows())
        first = varied_records()[0]
        varied.add(replace(first, status="interrupted", backend=BackendInfo("fake", model="replaced-model")))
        varied.add(
            make_record(
                "late0001", stage_events=(StageEvent("upscale", StageStatus.SUCCEEDED, duration_ms=7),)
            )
        )
        varied.rate(FeedbackEvent("late-r", "late0001", "2026-11-24T11:00:00Z", ALICE, "rating", rating=1))
        stats = index.stats()
        assert stats == compute_stats(varied.history().iter_rows())
        assert ("replaced-model", 1) in stats.by_model
        assert ("interrupted", 1) in stats.by_status
        varied.rate(FeedbackEvent("early-r", "early001", "2026-11-24T11:01:00Z", ALICE, "rating", rating=2))
        before = index.stats()  # rated before the run exists: not counted yet
        assert before == compute_stats(varied.history().iter_rows())
        varied.add(make_record("early001"))
        after = index.stats()
        assert after == compute_stats(varied.history().iter_rows())
        assert dict(after.ratings)[2] == dict(before.ratings)[2] + 1
        varied.rate(FeedbackEvent("early-r2", "early001", "2026-11-24T11:02:00Z", ALICE, "rating", rating=5))
        assert index.stats() == compute_stats(varied.history().iter_rows())

    def test_an_empty_filter_keeps_everything(self, index: RunIndex, varied: HistoryFiles) -> None:
        assert list(index.rows(RunFilter())) == list(varied.history().iter_rows())

    @pytest.mark.parametrize("text", SEARCHES)
    def test_search_keeps_the_rows_the_search_definition_keeps(
        self, index: RunIndex, varied: HistoryFiles, text: str
    ) -> None:
        search = Search.parse(text)
        expected = [r for r in varied.history().iter_rows() if search.matches(r.prompt, r.negative_prompt)]
        assert list(index.rows(search=text)) == expected

    def test_search_finds_words_ignoring_case_and_accents(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        def found(text: str) -> set[str]:
            return {row.run_id for row in index.rows(search=text) if row.run_id.startswith("cafe")}

        assert found("cafe") == {"cafe0001", "cafe0002"}
        assert found("café station") == {"cafe0001"}
        assert found("東京") == {"cafe0001"}
        assert found("naive") == {"cafe0001"}
        assert found("lighthouse") == {"cafe0002"}  # "lighthouse-shaped": words split at the dash
        assert found("lightho") == set()
        assert found("lightho*") == {"cafe0002"}

    def test_search_and_filter_together(self, index: RunIndex, varied: HistoryFiles) -> None:
        run_filter = parse_filter({"model": "sdxl*"}, NOW)
        search = Search.parse("cafe")
        expected = [
            r for r in varied.history().iter_rows(run_filter) if search.matches(r.prompt, r.negative_prompt)
        ]
        assert [row.run_id for row in index.rows(run_filter, search="cafe")] == ["cafe0002"]
        assert list(index.rows(run_filter, search="cafe")) == expected

    # -- one run -------------------------------------------------------------------------------

    def test_resolve_takes_an_exact_id_or_a_unique_prefix(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        history = varied.history()
        run_id = varied_records()[2].run_id
        assert index.resolve(run_id) == run_id == history.resolve(run_id).run_id
        assert index.resolve(f"  {run_id[:8]} ") == run_id
        assert index.resolve("plan0001") == "plan0001"

    @pytest.mark.parametrize("text", ["cafe", "odd0", "0000", "ffff", "caf", "", "  "])
    def test_resolve_fails_as_the_full_scan_does(
        self, index: RunIndex, varied: HistoryFiles, text: str
    ) -> None:
        with pytest.raises((RunNotFound, AmbiguousRunId)) as expected:
            varied.history().resolve(text)
        with pytest.raises(expected.type) as got:
            index.resolve(text)
        if expected.type is RunNotFound:
            assert str(got.value) == str(expected.value)
        else:
            assert set(got.value.candidates) <= set(expected.value.candidates)  # type: ignore[attr-defined]
            assert len(got.value.candidates) >= 2  # type: ignore[attr-defined]

    def test_record_is_the_newest_stored_copy(self, index: RunIndex, varied: HistoryFiles) -> None:
        history = varied.history()
        for run_id in (varied_records()[5].run_id, "odd00002", "cafe0001"):
            assert index.record(run_id) == history.resolve(run_id)
        with pytest.raises(RunNotFound):
            index.record("nobody")

    def test_feedback_is_the_fold_of_the_whole_feedback_file(
        self, index: RunIndex, varied: HistoryFiles
    ) -> None:
        state = varied.history().feedback_state()
        assert state  # the data has feedback
        for run_id, expected in state.items():
            assert index.feedback(run_id) == expected
        assert index.feedback("never-rated") == RunFeedback(run_id="never-rated")

    # -- the files change ----------------------------------------------------------------------

    def test_later_appends_are_seen_by_the_next_call(self, index: RunIndex, files: HistoryFiles) -> None:
        files.add(make_record("first001"))
        assert [row.run_id for row in index.rows()] == ["first001"]
        files.add(make_record("second01"))
        files.rate(FeedbackEvent("x1", "first001", "2026-11-24T10:00:00Z", ALICE, "rating", rating=4))
        rows = list(index.rows())
        assert [row.run_id for row in rows] == ["second01", "first001"]
        assert rows[1].rating == 4
        assert index.resolve("seco") == "second01"
        files.add(replace(make_record("first001"), status="failed"))
        assert [(row.run_id, row.status) for row in index.rows()] == [
            ("first001", "failed"),
            ("second01", "succeeded"),
        ]

    def test_bad_lines_are_skipped_and_reported_once_as_the_readers_number_them(
        self, index: RunIndex, files: HistoryFiles, reported: Reported
    ) -> None:
        files.add(make_record("good0001"))
        files.raw("records", b"not json\n")
        files.raw("records", line_of({"run_id": "nope", "schema_version": 1}))
        files.raw("records", b'{"run_id":"crc00001","schema_version":1,"_crc":"00000000"}\n')
        files.raw("records", line_of({**make_record("type0001").to_dict(), "prompt_pack_id": 1}))
        slow = make_record("type0002").to_dict()
        slow["stage_events"][1]["duration_ms"] = "slow"
        files.raw("records", line_of(slow))
        files.add(make_record("good0002"))
        files.raw("feedback", b"[1, 2]\n")
        files.raw("feedback", line_of({"schema_version": 1, "event_id": "e", "run_id": "good0001"}))
        files.rate(FeedbackEvent("ok1", "good0001", "2026-11-24T10:00:00Z", ALICE, "rating", rating=2))
        files.raw("records", b'{"run_id": "torn')
        assert [row.run_id for row in index.rows()] == ["good0002", "good0001"]
        assert index.feedback("good0001").rating == 2
        index.resolve("good0001")
        assert len(reported) == len(set(reported))
        assert set(reported) == files.forward_bad_lines()
        assert {source for source, _line in reported} == {"records", "feedback"}
        reasons = {line.reason for _source, line in reported}
        assert "not a learning record: prompt_pack_id must be text or null, got 1" in reasons
        slow_reason = "stage_events[1].duration_ms must be a 64-bit integer or null, got 'slow'"
        assert f"not a learning record: {slow_reason}" in reasons

    def test_a_newer_schema_version_raises(self, index: RunIndex, files: HistoryFiles) -> None:
        files.add(make_record("good0001"))
        newer = {**make_record("new00001").to_dict(), "schema_version": 99}
        files.raw("records", line_of(newer))
        with pytest.raises(UnsupportedSchemaVersion):
            list(index.rows())

    # -- status and check ----------------------------------------------------------------------

    def test_status_counts_runs_and_events(self, index: RunIndex, varied: HistoryFiles) -> None:
        list(index.rows(limit=1))
        status = index.status()
        history = varied.history()
        assert status.runs == len(list(history.iter_rows()))
        assert status.events == len({event.event_id for event in varied.store.iter_events()})
        assert status.fresh

    def test_check_and_rebuild_agree_with_the_files(self, index: RunIndex, varied: HistoryFiles) -> None:
        check = index.check()
        assert check.ok, check.differences
        assert check.runs == check.scanned_runs == len(list(varied.history().iter_rows()))
        assert index.rebuild().runs == check.runs
        assert list(index.rows()) == list(varied.history().iter_rows())
