"""``stablenew insights`` end to end, through the real command in a subprocess."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from adapters.feedback.jsonl import JsonlFeedbackStore
from adapters.record_store.jsonl import JsonlRecordStore
from domain.feedback import FeedbackEvent
from tests.insights.rows import rating
from tests.integration.cli import run_cli
from tests.integration.test_cli_startup import NEVER_FOR_LISTING, loaded_by
from tests.review.history_data import Spec, build_record, run_id_of

MARKUP = "[bold red]dpm[/]"


def specs() -> list[Spec]:
    """Sampler 'Euler a' only with the better model; MARKUP sampler with both; 30 steps beat 20."""
    plan = [("good", "Euler a")] * 12 + [("good", MARKUP)] * 4 + [("bad", MARKUP)] * 12
    return [
        Spec(
            run_id=run_id_of(n),
            minute=n,
            pack="portraits" if n % 4 else "landscapes",
            model=model,
            sampler=sampler,
            steps=20 + 10 * (n % 2),
            cfg=7.0,
            status="failed" if n % 9 == 0 else "succeeded",
            upscaled=False,
            rating=None,
            tags=frozenset(),
        )
        for n, (model, sampler) in enumerate(plan)
    ]


def events_for(runs: list[Spec]) -> list[FeedbackEvent]:
    events = []
    for spec in runs:
        stars = (5 if spec.model == "good" else 2) - (spec.steps == 20)
        events.append(rating(spec.run_id, stars))
        events.append(rating(spec.run_id, 3, by="aesthetic", scorer="1.0"))
    return events


def write_home(folder: Path, events: list[FeedbackEvent] | None = None, shuffle: int | None = None) -> Path:
    records = folder / "records"
    runs = specs()
    sink = JsonlRecordStore(records / "learning_records.jsonl", durability="none")
    sink.append_records([build_record(spec) for spec in runs])
    sink.close()
    store = JsonlFeedbackStore(records / "feedback.jsonl", durability="none")
    store.append(events_for(runs) if events is None else events)
    store.close()
    if shuffle is not None:
        shuffler = random.Random(shuffle)
        for path in records.glob("*.jsonl"):
            lines = path.read_bytes().splitlines(keepends=True)
            shuffler.shuffle(lines)
            path.write_bytes(b"".join(lines))
    (folder / "settings.toml").write_text('[feedback]\nuser = "tester"\n', encoding="utf-8")
    return folder


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("insights", *args, cwd=home, env={"STABLENEW_SETTINGS": str(home / "settings.toml")})


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return write_home(tmp_path / "home")


def test_the_table_is_best_first_within_80_columns_and_prints_stored_text_as_is(home: Path) -> None:
    done = cli(home, "--pack", "portraits", "--param", "sampler,steps")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert lines[:2] == [
        "== pack portraits | stages txt2img | model abc123",
        "   rated by persons: 21 of 21 runs",
    ]
    sampler_table = lines[lines.index("sampler (observational)") + 1 :]
    assert sampler_table[0].split()[:2] == ["value", "n"]
    assert sampler_table[1].startswith("Euler a")
    assert MARKUP in done.stdout  # never read as markup
    assert "  Euler a: only with model=good" in lines
    assert "   rated by scorer:aesthetic@1.0: 21 of 21 runs" in lines
    steps_table = lines[lines.index("steps (controlled)") + 1 :]
    assert steps_table[1].split()[0] == "30"
    assert steps_table[1].rstrip().endswith("more data (~19)")  # 20 steps is close behind
    assert steps_table[2].rstrip().endswith("~ best")
    assert lines[-1].startswith("more data (~N): about N more ratings")


def test_json_is_sorted_rounded_and_the_same_bytes_whatever_the_order_of_the_lines(
    home: Path, tmp_path: Path
) -> None:
    done = cli(home, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert list(report) == ["insights", "orphan_ratings"]
    first = report["insights"][0]
    assert list(first) == sorted(first)
    value = first["parameters"][0]["values"][0]
    assert list(value) == sorted(value)
    assert all(len(str(number).split(".")[-1]) <= 4 for number in value.values() if isinstance(number, float))
    for seed in (1, 2):
        shuffled = write_home(tmp_path / f"shuffled{seed}", shuffle=seed)
        again = cli(shuffled, "--json")
        assert again.returncode == 0, again.stderr
        assert again.stdout == done.stdout


def test_reading_changes_nothing_in_the_history_files(home: Path) -> None:
    files = sorted((home / "records").glob("*.jsonl"))
    before = [path.read_bytes() for path in files]
    assert cli(home).returncode == 0
    assert [path.read_bytes() for path in files] == before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--pack", "nope"), 2, "error: --pack: no runs in pack 'nope' (packs: landscapes, portraits)"),
        (("--model", "nope"), 2, "error: --model: no runs with model 'nope' (models: bad, good)"),
        (("--param", "denoise"), 2, "error: --param: unknown parameter 'denoise'"),
        (("--param", "cfg"), 1, "error: nothing to compare"),
    ],
)
def test_bad_requests_give_one_line_and_their_exit_code(
    home: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    done = cli(home, *args)
    assert done.returncode == code
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(message)


def test_no_ratings_and_ratings_of_vanished_runs_are_one_line_each(tmp_path: Path) -> None:
    empty = write_home(tmp_path / "empty", events=[])
    done = cli(empty)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: no ratings: rate runs with `stablenew records rate RUN 1-5` or on the review page"
    ]
    orphaned = write_home(tmp_path / "orphaned", events=[*events_for(specs()), rating("gone", 5)])
    done = cli(orphaned, "--param", "sampler")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["note: left out 1 rating(s) of runs the records no longer hold"]
    only_gone = write_home(tmp_path / "only-gone", events=[rating("gone", 5)])
    done = cli(only_gone)
    assert done.returncode == 1
    assert "1 rating(s) are of runs the records no longer hold" in done.stderr


def test_insights_loads_no_image_http_web_query_or_numeric_library(home: Path) -> None:
    wanted = ["adapters.container", "application.insights", "sqlite3"]

    loaded = loaded_by(["insights"], [*NEVER_FOR_LISTING, "numpy", "scipy", *wanted], home)

    assert loaded == sorted(wanted)
