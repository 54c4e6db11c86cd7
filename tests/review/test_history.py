"""History (over the SQLite index) on a generated history of 3,000 runs: filters, order, duplicates,
prefixes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.index.sqlite_index import SqliteRunIndex
from adapters.record_store.jsonl import JsonlRecordStore
from application.history import History
from domain.history_stats import compute_stats, percentile
from domain.ports import BadLineReport
from domain.run_filter import FilterError, NumberRange, parse_filter
from domain.run_lookup import AmbiguousRunId, RunNotFound
from domain.run_row import RunRow
from domain.store_health import BadLine
from tests.factories import T0
from tests.review.history_data import Spec, build_record, run_id_of, write_history

COUNT = 3000
NOW = T0 + timedelta(minutes=COUNT)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Spec], History]:
    specs, sink, store = write_history(tmp_path_factory.mktemp("history"), COUNT)
    return specs, history_of(sink, store.path)


def history_of(sink: JsonlRecordStore, feedback: Path, on_bad_line: BadLineReport | None = None) -> History:
    return History(SqliteRunIndex(sink.records_path, feedback, on_bad_line=on_bad_line))


@pytest.fixture(scope="module")
def all_rows(generated: tuple[list[Spec], History]) -> list[RunRow]:
    """Every row, read once: the filter tests below match against these (History.iter_rows applies
    the same RunFilter.matches, checked end to end by the issue example test)."""
    return list(generated[1].iter_rows())


def newest_first(specs: list[Spec], keep: Callable[[Spec], bool]) -> list[str]:
    return [spec.run_id for spec in reversed(specs) if keep(spec)]


def query(history: History, **options: str | list[str]) -> list[str]:
    return [row.run_id for row in history.iter_rows(parse_filter(options, NOW))]


def select(rows: list[RunRow], **options: str | list[str]) -> list[str]:
    run_filter = parse_filter(options, NOW)
    return [row.run_id for row in rows if run_filter.matches(row)]


def test_recent_runs_come_newest_first(generated: tuple[list[Spec], History]) -> None:
    specs, history = generated
    rows = history.recent(20)
    assert [row.run_id for row in rows] == [spec.run_id for spec in reversed(specs[-20:])]
    newest, spec = rows[0], specs[-1]
    assert (newest.model, newest.sampler, newest.steps, newest.cfg_scale) == (
        spec.model,
        spec.sampler,
        spec.steps,
        spec.cfg,
    )
    assert (newest.rating, set(newest.tags)) == (spec.rating, set(spec.tags))


def test_the_issue_example_pack_steps_and_rating(generated: tuple[list[Spec], History]) -> None:
    specs, history = generated
    expected = newest_first(
        specs, lambda s: s.pack == "portraits" and s.steps >= 30 and s.rating is not None and s.rating >= 4
    )
    assert len(expected) > 20
    assert query(history, pack="portraits", steps="30..", rating="4..") == expected
    assert select(list(history.iter_rows()), pack="PORT*", steps=">=30", rating="4..5") == expected


@pytest.mark.parametrize(
    ("options", "keep"),
    [
        ({"model": "sdxl-base"}, lambda s: s.model == "sdxl-base"),
        ({"model": "sd*"}, lambda s: s.model.startswith("sd")),
        ({"sampler": "dpm++ 2m"}, lambda s: s.sampler == "DPM++ 2M"),
        ({"steps": "20..30"}, lambda s: 20 <= s.steps <= 30),
        ({"steps": "..20"}, lambda s: s.steps <= 20),
        ({"steps": "25"}, lambda s: s.steps == 25),
        ({"cfg": "5.5..7"}, lambda s: 5.5 <= s.cfg <= 7),
        ({"stage": "upscale"}, lambda s: s.upscaled),
        ({"status": "failed"}, lambda s: s.status == "failed"),
        ({"rating": "none"}, lambda s: s.rating is None),
        ({"rating": "3"}, lambda s: s.rating == 3),
        ({"tag": ["sharp"]}, lambda s: "sharp" in s.tags),
        ({"tag": ["keeper", "moody"]}, lambda s: {"keeper", "moody"} <= s.tags),
        ({"tag": ["keeper,moody"]}, lambda s: {"keeper", "moody"} <= s.tags),
        ({"prompt_id": "p3"}, lambda s: s.minute % 7 == 3),
        (
            {"pack": "animals", "model": "flux-dev", "status": "succeeded"},
            lambda s: (s.pack, s.model, s.status) == ("animals", "flux-dev", "succeeded"),
        ),
    ],
)
def test_each_filter_keeps_exactly_the_matching_runs(
    generated: tuple[list[Spec], History],
    all_rows: list[RunRow],
    options: dict[str, str | list[str]],
    keep: Callable[[Spec], bool],
) -> None:
    specs, _ = generated
    expected = newest_first(specs, keep)
    assert expected, "the generated history must contain matches"
    assert len(expected) < COUNT
    assert select(all_rows, **options) == expected


def test_time_ranges(generated: tuple[list[Spec], History], all_rows: list[RunRow]) -> None:
    specs, history = generated
    assert query(history, since="90m") == newest_first(specs, lambda s: s.minute >= COUNT - 90)
    since, until = format_minute(100), format_minute(200)
    assert select(all_rows, since=since, until=until) == newest_first(specs, lambda s: 100 <= s.minute < 200)
    day = (T0 + timedelta(days=1)).date()
    in_day = newest_first(specs, lambda s: (T0 + timedelta(minutes=s.minute)).date() == day)
    assert 0 < len(in_day) < COUNT
    assert select(all_rows, since=day.isoformat(), until=day.isoformat()) == in_day


def format_minute(minute: int) -> str:
    return (T0 + timedelta(minutes=minute)).isoformat()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"steps": "abc"}, "--steps: 'abc' is not a number"),
        ({"steps": "40..20"}, "--steps: range '40..20' is empty"),
        ({"cfg": ".."}, "--cfg: a range needs at least one end"),
        ({"rating": "nan"}, "--rating: 'nan' is not a finite number"),
        ({"since": "last tuesday"}, "--since: 'last tuesday' is not a date"),
        ({"since": "2026-11-25", "until": "2026-11-24T00:00"}, "--until: '2026-11-24T00:00' is not after"),
        ({"colour": "red"}, "--colour: unknown filter"),
        ({"model": ["a", "b"]}, "--model: given more than once"),
        ({"status": "bogus"}, "--status: 'bogus' is not one of succeeded, failed, interrupted"),
        ({"stage": "sharpen"}, "--stage: 'sharpen' is not one of txt2img, img2img, upscale"),
        ({"source": "comfy"}, "--source: 'comfy' is not one of pipeline, import"),
        ({"rating": "9"}, "--rating: '9' is outside the ratings 1..5"),
        ({"rating": "..0"}, "--rating: '..0' is outside the ratings 1..5"),
    ],
)
def test_malformed_filters_name_the_option(options: dict[str, str | list[str]], message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(options, NOW)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "options",
    [{"status": "FAILED"}, {"status": "fail*"}, {"stage": "up*"}, {"source": "import"}, {"rating": "4.."}],
)
def test_known_values_any_case_and_globs_are_accepted(options: dict[str, str]) -> None:
    parse_filter(options, NOW)


def test_ranges() -> None:
    assert NumberRange.parse("steps", "20..40").contains(40)
    assert not NumberRange.parse("steps", "20..40").contains(41)
    assert not NumberRange.parse("steps", "20..").contains(None)
    assert NumberRange.parse("cfg", "<=7").contains(-3)


def test_duplicates_collapse_and_bad_lines_are_reported(tmp_path: Path) -> None:
    sink = JsonlRecordStore(tmp_path / "r.jsonl", durability="none")
    first, second = build_record(spec(1)), build_record(spec(2))
    sink.append_records([first, second, first])
    with (tmp_path / "r.jsonl").open("ab") as handle:
        handle.write(b'{"not": "a record"}\n{broken\n')
    sink.append_record(second)
    bad: list[tuple[str, BadLine]] = []
    history = history_of(sink, tmp_path / "f.jsonl", on_bad_line=lambda s, b: bad.append((s, b)))
    assert [row.run_id for row in history.iter_rows()] == [second.run_id, first.run_id]
    assert [source for source, _ in bad] == ["records", "records"]


def spec(n: int, **changes: object) -> Spec:
    values: dict[str, object] = {
        "run_id": run_id_of(n),
        "minute": n,
        "pack": "p",
        "model": "m",
        "sampler": "Euler a",
        "steps": 20,
        "cfg": 7.0,
        "status": "succeeded",
        "upscaled": False,
        "rating": None,
        "tags": frozenset(),
    }
    values.update(changes)
    return Spec(**values)  # type: ignore[arg-type]


def test_run_id_prefixes(tmp_path: Path) -> None:
    sink = JsonlRecordStore(tmp_path / "r.jsonl", durability="none")
    sink.append_records(
        build_record(spec(0, run_id=rid)) for rid in ("abcd1111", "abcd2222", "abce3333", "abc")
    )
    history = history_of(sink, tmp_path / "f.jsonl")
    assert history.resolve("abcd1").run_id == "abcd1111"
    assert history.resolve("abc").run_id == "abc"  # an exact id wins over prefixes
    with pytest.raises(AmbiguousRunId, match=r"abcd1111, abcd2222|abcd2222, abcd1111"):
        history.resolve("abcd")
    with pytest.raises(RunNotFound, match="no run with id 'ffff'"):
        history.resolve("ffff")
    with pytest.raises(RunNotFound, match="at least 4 characters"):
        history.resolve("ab")


def test_stats_on_the_generated_history(
    generated: tuple[list[Spec], History], all_rows: list[RunRow]
) -> None:
    specs, _ = generated
    stats = compute_stats(all_rows)
    assert stats.runs == COUNT
    for model in ("sdxl-base", "sd15-dream", "flux-dev"):
        assert dict(stats.by_model)[model] == sum(s.model == model for s in specs)
    assert dict(stats.by_sampler)["DDIM"] == sum(s.sampler == "DDIM" for s in specs)
    assert dict(stats.ratings) == {r: sum(s.rating == r for s in specs) for r in range(1, 6)}
    assert stats.unrated == sum(s.rating is None for s in specs)
    txt = sorted(1000 + s.steps * 50 for s in specs)
    (txt2img,) = [stage for stage in stats.stages if stage.stage == "txt2img"]
    assert (txt2img.count, txt2img.p50_ms, txt2img.p95_ms) == (COUNT, txt[1499], txt[2849])


def test_percentile_is_nearest_rank() -> None:
    assert percentile([10, 20, 30, 40], 50) == 20
    assert percentile([10, 20, 30, 40], 95) == 40
    assert percentile([5], 95) == 5


def test_detail_shows_the_feedback_history(generated: tuple[list[Spec], History]) -> None:
    specs, history = generated
    rated_twice = next(s for s in reversed(specs) if s.rating is not None and s.tags)
    detail = history.detail(rated_twice.run_id[:12])
    assert detail.record.run_id == rated_twice.run_id
    assert detail.feedback.rating == rated_twice.rating == detail.row.rating
    assert {e.kind for e in detail.feedback.events} >= {"rating", "tags"}
