"""``stablenew records list|show|rate|tag|stats|export|query|import`` end to end, in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.index.schema import VERSION
from adapters.record_store.jsonl import JsonlRecordStore
from tests.factories import make_record
from tests.integration.cli import run_cli
from tests.review.history_data import Spec, write_history
from tests.review.pngs import PARAMETERS, write_jpeg, write_png

COUNT = 60


@pytest.fixture
def home(tmp_path: Path) -> tuple[Path, list[Spec]]:
    """A folder with settings.toml (user 'tester') and a 60-run history in records/."""
    (tmp_path / "settings.toml").write_text('[feedback]\nuser = "tester"\n', encoding="utf-8")
    specs, sink, store = write_history(tmp_path / "records", COUNT)
    sink.close()
    store.close()
    return tmp_path, specs


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a subprocess (slow to start: used for the main flows)."""
    return run_cli(*args, cwd=home, env={"STABLENEW_SETTINGS": str(home / "settings.toml")})


def feedback_lines(home: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (home / "records" / "feedback.jsonl").read_text().splitlines()]


def test_list_shows_a_table_of_recent_runs_and_json(
    home: tuple[Path, list[Spec]], invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder, specs = home
    done = cli(folder, "records", "list", "-n", "5")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:5] == ["time", "(UTC)", "run", "status", "pack"]
    assert lines[0].split()[-2:] == ["prompt", "tags"]
    assert [line.split()[2] for line in lines[1:]] == [s.run_id[:8] for s in reversed(specs[-5:])]
    assert [line.split()[3] for line in lines[1:]] == [s.status for s in reversed(specs[-5:])]
    newest = specs[-1]
    assert newest.model in lines[1]
    assert newest.sampler in lines[1]
    done = invoke(folder, "records", "list", "--json", "--model", "flux*", "--steps", "25..", "-n", "100")
    rows = json.loads(done.stdout)
    expected = [s.run_id for s in reversed(specs) if s.model == "flux-dev" and s.steps >= 25]
    assert [row["run_id"] for row in rows] == expected
    assert rows[0]["image_path"].endswith(".png")


def test_rate_tag_and_show_keep_the_whole_feedback_history(
    home: tuple[Path, list[Spec]], invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder, specs = home
    run = specs[-3].run_id
    done = cli(folder, "records", "rate", run[:10], "2", "--tag", "sharp", "--note", "too dark")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"rated {run[:8]} 2/5 as tester, tagged +sharp, noted 'too dark'"
    assert invoke(folder, "records", "rate", run, "5").returncode == 0
    assert invoke(folder, "records", "tag", run[:10], "teal", "moody", "--remove", "sharp").returncode == 0
    mine = [e for e in feedback_lines(folder) if e["run_id"] == run]
    assert [e["kind"] for e in mine[-5:]] == ["rating", "tags", "note", "rating", "tags"]
    assert {json.dumps(e["by"]) for e in mine[-5:]} == {'{"kind": "person", "name": "tester"}'}
    assert all(e["schema_version"] == 1 and len(str(e["event_id"])) == 32 for e in mine[-5:])

    shown = json.loads(invoke(folder, "records", "show", run[:10], "--json").stdout)
    assert shown["record"]["run_id"] == run
    assert shown["feedback"]["rating"] == 5
    assert shown["feedback"]["rated_by"] == {"kind": "person", "name": "tester"}
    assert "moody" in shown["feedback"]["tags"]
    assert "teal" in shown["feedback"]["tags"]
    assert "sharp" not in shown["feedback"]["tags"]
    assert [e["rating"] for e in shown["feedback"]["events"] if e["kind"] == "rating"][-2:] == [2, 5]
    assert shown["images"][0]["path"].endswith("txt2img_0.png")
    assert shown["images"][0]["exists"] is False

    text = cli(folder, "records", "show", run[:10]).stdout
    assert "rating     5/5 by tester" in text
    assert "tester rated 2/5" in text
    assert "tester noted: too dark" in text
    listed = json.loads(invoke(folder, "records", "list", "--json", "--rating", "5", "--tag", "moody").stdout)
    assert run in [row["run_id"] for row in listed]


def test_prefer_records_a_pairwise_choice(
    home: tuple[Path, list[Spec]], invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder, specs = home
    better, worse = specs[-1].run_id, specs[-2].run_id
    done = invoke(folder, "records", "prefer", better[:10], worse[:10])
    assert done.returncode == 0, done.stderr
    assert feedback_lines(folder)[-1] | {"event_id": "", "timestamp": ""} == {
        "schema_version": 1,
        "event_id": "",
        "timestamp": "",
        "run_id": better,
        "by": {"kind": "person", "name": "tester"},
        "kind": "choice",
        "worse_run_id": worse,
        "_crc": feedback_lines(folder)[-1]["_crc"],
    }
    assert "preferred " + better in invoke(folder, "records", "show", worse).stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("records", "rate", "RUN", "6"), 2, "error: rating must be a whole number 1-5, got 6"),
        (("records", "rate", "RUN", "0"), 2, "error: rating must be a whole number 1-5, got 0"),
        (("records", "rate", "ffffffff", "3"), 2, "error: no run with id 'ffffffff' in the history"),
        (("records", "rate", "0000", "3"), 2, "error: run id prefix '0000' matches several runs"),
        (("records", "show", "ab"), 2, "error: no run with id 'ab' in the history (prefixes need at least 4"),
        (("records", "tag", "RUN", "a,b"), 2, "error: tag 'a,b' must not contain a comma"),
        (("records", "list", "--steps", "20..x"), 2, "error: --steps: 'x' is not a number"),
        (("records", "list", "--since", "yesterday"), 2, "error: --since: 'yesterday' is not a date"),
        (("records", "stats", "--cfg", "9..3"), 2, "error: --cfg: range '9..3' is empty"),
        (("records", "list", "--records", "missing.jsonl"), 1, "error: records file"),
        (("records", "query", "SELEC nonsense"), 2, "error: query failed: Parser Error"),
        (("records", "query", ""), 2, "error: query failed: no SQL statement given"),
        (
            ("records", "export", "-o", "/"),
            2,
            "error: --output: / is a folder; give a file name such as /runs.csv",
        ),
        (
            ("records", "export", "-o", ""),
            2,
            "error: --output: . is a folder; give a file name such as runs.csv",
        ),
        (("records", "export", "--format", "parquet"), 2, "error: --format parquet needs --output FILE"),
    ],
)
def test_bad_input_gets_one_line_and_changes_nothing(
    home: tuple[Path, list[Spec]],
    invoke: Callable[..., subprocess.CompletedProcess[str]],
    args: tuple[str, ...],
    code: int,
    message: str,
) -> None:
    folder, specs = home
    stored = stored_files(folder / "records")
    done = invoke(folder, *(specs[-1].run_id if a == "RUN" else a for a in args))
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith(message)
    assert len(done.stderr.strip().splitlines()) == 1
    assert stored_files(folder / "records") == stored


def stored_files(folder: Path) -> dict[str, bytes]:
    """What the history holds: every file but the derived index (which any read may update)."""
    return {p.name: p.read_bytes() for p in folder.iterdir() if ".index.sqlite" not in p.name}


def test_corrupt_lines_are_reported_and_skipped_never_fatal(
    home: tuple[Path, list[Spec]], invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder, specs = home
    with (folder / "records" / "learning_records.jsonl").open("ab") as handle:
        handle.write(b'{"half a record\n')
    with (folder / "records" / "feedback.jsonl").open("ab") as handle:
        handle.write(b'{"schema_version": 1, "kind": "rating"}\n')
    done = invoke(folder, "records", "list", "--json", "-n", "3")
    assert done.returncode == 0
    assert [row["run_id"] for row in json.loads(done.stdout)] == [s.run_id for s in reversed(specs[-3:])]
    warnings = sorted(done.stderr.strip().splitlines())
    assert len(warnings) == 2
    assert all(line.startswith("warning: skipped 1 bad line(s) in ") for line in warnings)
    assert "feedback.jsonl: line 55: not a feedback event: missing field 'event_id'" in warnings[0]
    assert f"learning_records.jsonl: line {len(specs) + 1}: not JSON" in warnings[1]
    rated = invoke(folder, "records", "rate", specs[0].run_id[:8], "4")  # two readers: one warning each
    assert rated.returncode == 0, rated.stderr
    assert sorted(rated.stderr.strip().splitlines()) == warnings


def test_stats(
    home: tuple[Path, list[Spec]], invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder, specs = home
    result = json.loads(invoke(folder, "records", "stats", "--json").stdout)
    assert result["runs"] == COUNT
    assert result["by_model"] == {m: sum(s.model == m for s in specs) for m in result["by_model"]}
    assert result["ratings"] == {str(r): sum(s.rating == r for s in specs) for r in range(1, 6)}
    assert {stage["stage"] for stage in result["stage_durations"]} == {"txt2img", "upscale"}
    text = invoke(folder, "records", "stats", "--pack", "portraits").stdout
    assert f"runs: {sum(s.pack == 'portraits' for s in specs)}" in text
    assert "p50" in text
    assert "p95" in text


def test_export_csv_jsonl_and_parquet(
    home: tuple[Path, list[Spec]], invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder, specs = home
    done = cli(folder, "records", "export", "--format", "csv", "--status", "failed")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    failed = [s for s in reversed(specs) if s.status == "failed"]
    assert [row["run_id"] for row in rows] == [s.run_id for s in failed]
    assert rows[0]["rating"] == ("" if failed[0].rating is None else str(failed[0].rating))
    assert rows[0]["txt2img_ms"] == str(1000 + failed[0].steps * 50)

    done = invoke(folder, "records", "export", "--format", "jsonl", "-o", "runs.jsonl")
    assert done.returncode == 0
    assert done.stderr.strip() == f"wrote {COUNT} run(s) to runs.jsonl"
    lines = (folder / "runs.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["run_id"] == specs[-1].run_id

    import duckdb  # in the dev group: the query extra is always there in tests

    done = invoke(folder, "records", "export", "--format", "parquet", "--output", "runs.parquet")
    assert done.returncode == 0, done.stderr
    ((count, rated),) = duckdb.sql(
        f"SELECT count(*), count(rating) FROM '{folder / 'runs.parquet'}'"
    ).fetchall()
    assert (count, rated) == (COUNT, sum(s.rating is not None for s in specs))


def test_query_with_duckdb(
    home: tuple[Path, list[Spec]], invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder, specs = home
    sql = "SELECT model, count(*) AS n FROM runs WHERE steps >= 30 GROUP BY model ORDER BY model"
    done = invoke(folder, "records", "query", sql, "--json")
    assert done.returncode == 0, done.stderr
    expected = sorted({s.model for s in specs if s.steps >= 30})
    assert json.loads(done.stdout) == [
        {"model": m, "n": sum(s.model == m and s.steps >= 30 for s in specs)} for m in expected
    ]
    done = invoke(
        folder, "records", "query", "SELECT count(*) AS n FROM feedback WHERE kind = 'rating'", "--json"
    )
    assert json.loads(done.stdout)[0]["n"] > 0
    done = invoke(folder, "records", "query", "COPY runs TO 'leak.csv'")
    assert done.returncode == 2
    assert "COPY statements are refused" in done.stderr
    assert not (folder / "leak.csv").exists()


def test_query_without_duckdb_says_how_to_install_it(
    home: tuple[Path, list[Spec]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.cli.main import app

    folder, _ = home
    monkeypatch.setitem(sys.modules, "duckdb", None)  # makes `import duckdb` raise ImportError
    monkeypatch.chdir(folder)
    monkeypatch.setenv("STABLENEW_SETTINGS", str(folder / "settings.toml"))
    result = CliRunner().invoke(app, ["records", "query", "SELECT 1"])
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == "error: records query needs DuckDB: uv sync --extra query (or pip install 'stablenew[query]')"
    )
    result = CliRunner().invoke(app, ["records", "export", "--format", "parquet", "-o", "x.parquet"])
    assert result.exit_code == 1
    assert "records export --format parquet needs DuckDB" in result.output
    assert not (folder / "x.parquet").exists()


def test_import_a1111_pngs_once(
    tmp_path: Path, invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    pictures = tmp_path / "pictures"
    write_png(pictures / "00001-fox.png")
    write_png(pictures / "00002-fox.png", colour="orange", parameters=PARAMETERS.replace("424242", "7"))
    write_png(pictures / "stripped.png", parameters=None)
    write_jpeg(pictures / "photo.jpg")
    (pictures / "fake.png").write_bytes(b"GIF89a not a png")
    (pictures / "notes.txt").write_text("not an image")

    done = cli(tmp_path, "records", "import", "pictures")
    assert done.returncode == 1  # fake.png cannot be read
    lines = done.stdout.strip().splitlines()
    assert lines[:2] == [
        f"imported {Path('pictures', '00001-fox.png')} (a1111-infotext, a1111)",
        f"imported {Path('pictures', '00002-fox.png')} (a1111-infotext, a1111)",
    ]
    assert lines[2] == "  a1111-infotext: 2 imported"
    assert lines[3].startswith("imported 2 image(s) into ")
    assert lines[3].endswith("(0 already there, 2 without metadata, 1 failed)")
    problems = sorted(done.stderr.strip().splitlines())
    assert len(problems) == 3
    assert problems[0].endswith("fake.png: not a PNG, JPEG or WEBP image (by its content)")
    assert problems[0].startswith("failed ")
    assert problems[1] == (
        f"skipped {Path('pictures', 'photo.jpg')}:"
        " no generation metadata (a JPEG with no text chunks or EXIF comment)"
    )
    assert problems[2].endswith(
        "stripped.png: no generation metadata (a PNG with no text chunks or EXIF comment)"
    )

    rows = json.loads(invoke(tmp_path, "records", "list", "--json", "--source", "import").stdout)
    assert len(rows) == 2
    fox = next(row for row in rows if row["seed"] == 424242)
    assert (fox["prompt"], fox["negative_prompt"]) == ("a red fox in the snow, detailed", "blurry, lowres")
    assert (fox["sampler"], fox["scheduler"], fox["steps"], fox["cfg_scale"]) == (
        "DPM++ 2M",
        "Karras",
        28,
        6.5,
    )
    assert (fox["width"], fox["height"], fox["model"], fox["model_hash"]) == (
        64,
        96,
        "sdxl-base",
        "31e35c80fc",
    )
    assert fox["image_path"] == str((pictures / "00001-fox.png").resolve())
    record = json.loads(invoke(tmp_path, "records", "show", fox["run_id"], "--json").stdout)["record"]
    assert record["source"] == "import"
    assert record["backend"]["kind"] == "import"
    assert record["metadata"]["import"]["parameters"] == PARAMETERS

    records = tmp_path / "records" / "learning_records.jsonl"
    before = records.read_bytes()
    again = invoke(tmp_path, "records", "import", "pictures/00001-fox.png", "pictures/00002-fox.png")
    assert again.returncode == 0, again.stderr
    assert "imported 0 image(s)" in again.stdout
    assert "(2 already there, 0 without metadata, 0 failed)" in again.stdout
    assert records.read_bytes() == before
    missing = invoke(tmp_path, "records", "import", "nowhere")
    assert (missing.returncode, missing.stderr.strip()) == (2, "error: nowhere does not exist")


def test_import_goes_past_a_png_whose_steps_exceed_64_bits(
    tmp_path: Path, invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    # The huge value is left out with a note; before, it failed the group commit and nothing was imported.
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    good = write_png(tmp_path / "pictures" / "good.png")
    huge = write_png(
        tmp_path / "pictures" / "huge.png",
        colour="orange",
        parameters=PARAMETERS.replace("Steps: 28", "Steps: 99999999999999999999999"),
    )
    done = invoke(tmp_path, "records", "import", "pictures")
    assert done.returncode == 0, done.stderr
    assert "imported 2 image(s)" in done.stdout
    shown = Path("pictures", huge.name)
    assert done.stderr.splitlines() == [
        f"note: {shown}: steps 99999999999999999999999 is out of range 1..10000: left out"
    ]
    rows = json.loads(invoke(tmp_path, "records", "list", "--json", "--source", "import").stdout)
    steps = {Path(row["image_path"]).name: row["steps"] for row in rows}
    assert steps == {good.name: 28, huge.name: None}


def test_import_leaves_out_wrong_values_and_notes_each(
    tmp_path: Path, invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    wrong = (
        "Steps: abc, Sampler: Euler, CFG scale: nan, Seed: -5, Size: 99999x1, Model: [bold]m:smile:[/bold]"
    )
    png = write_png(tmp_path / "wrong [red]:smile:.png", parameters=f"a cat\n{wrong}", size=(64, 96))
    done = invoke(tmp_path, "records", "import", png.name)
    assert done.returncode == 0, done.stderr
    assert "imported 1 image(s)" in done.stdout
    assert done.stderr.splitlines() == [
        f"note: {png.name}: steps 'abc' is not a number: left out",
        f"note: {png.name}: cfg scale 'nan' is not a number: left out",
        f"note: {png.name}: seed -5 is out of range 0..4294967295: left out",
        f"note: {png.name}: size 99999x1 is out of range 1..16384 per side: the image's own 64x96 used",
    ]
    (row,) = json.loads(invoke(tmp_path, "records", "list", "--json").stdout)
    record = json.loads(invoke(tmp_path, "records", "show", row["run_id"], "--json").stdout)["record"]
    config = record["config"]
    assert (config["steps"], config["cfg_scale"], config["seed"]) == (None, None, None)
    assert (config["width"], config["height"]) == (64, 96)  # the PNG's real size, not 99999x1
    assert record["resolved"] == {"txt2img": {"sampler": "Euler"}}
    assert record["outputs"][0]["seed"] is None
    assert record["backend"]["model"] == "[bold]m:smile:[/bold]"
    shown = invoke(tmp_path, "records", "show", row["run_id"]).stdout
    assert "steps      -  cfg: -  size: 64x96  seed: -" in shown
    assert "None" not in shown
    assert "[bold]m:smile:[/bold]" in shown


def test_list_searches_prompts_and_shows_them_as_plain_text(
    tmp_path: Path, invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    sink = JsonlRecordStore(tmp_path / "records" / "learning_records.jsonl", durability="none")
    prompts = ["a lighthouse at dusk", "[bold red]a red barn[/bold red]", "Lighthouses in fog", "a cat"]
    sink.append_records(
        make_record(f"run{n:05d}", config={"prompt": prompt}) for n, prompt in enumerate(prompts)
    )
    sink.close()
    done = invoke(tmp_path, "records", "list", "--search", "light*", "--json")
    assert done.returncode == 0, done.stderr
    assert [row["run_id"] for row in json.loads(done.stdout)] == ["run00002", "run00000"]
    done = invoke(tmp_path, "records", "list", "--search", "barn")
    assert done.returncode == 0, done.stderr
    assert "[bold red]a red barn[/bold red]" in done.stdout  # never read as markup
    assert invoke(tmp_path, "records", "list", "--search", "submarine").stdout.strip() == "no runs match"


def test_index_shows_its_state_checks_and_rebuilds(
    home: tuple[Path, list[Spec]], invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder, _specs = home
    index_path = folder / "records" / "learning_records.jsonl.index.sqlite"
    done = invoke(folder, "records", "index")
    assert done.returncode == 0, done.stderr
    assert f"index: {index_path} (format {VERSION})" in done.stdout
    assert "behind the files" in done.stdout
    done = invoke(folder, "records", "index", "--check")
    assert done.returncode == 0, done.stderr
    assert f"runs: {COUNT}," in done.stdout
    assert "up to date with the files" in done.stdout
    assert f"agrees with a full scan of the files ({COUNT} runs)" in done.stdout
    state = json.loads(invoke(folder, "records", "index", "--json").stdout)["status"]
    assert (state["runs"], state["fresh"], state["records"]["caught_up"]) == (COUNT, True, True)

    import sqlite3

    with sqlite3.connect(index_path) as db:  # derived data changed behind the index's back
        db.execute("UPDATE runs SET status = 'tampered'")
    done = invoke(folder, "records", "index", "--check")
    assert done.returncode == 1
    assert "difference(s) from a full scan" in done.stdout
    assert "records index --rebuild" in done.stdout
    done = invoke(folder, "records", "index", "--rebuild", "--check", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["check"] == {
        "ok": True,
        "runs": COUNT,
        "scanned_runs": COUNT,
        "differences": [],
    }


def test_index_of_a_history_not_started_yet(
    tmp_path: Path, invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    done = invoke(tmp_path, "records", "index", "--check")
    assert done.returncode == 0, done.stderr
    assert "runs: 0, feedback events: 0" in done.stdout
    assert "(0 runs)" in done.stdout


def test_what_users_typed_is_printed_as_typed_never_as_markup_or_emoji(
    tmp_path: Path, invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """A1111 prompt syntax uses brackets and colons: none of it may be read as rich markup or emoji codes."""
    (tmp_path / "settings.toml").write_text('[feedback]\nuser = "tester"\n', encoding="utf-8")
    prompt = "a [cat:dog:0.5] in (snow:1.2) [bold]x[/bold] :smile:"
    done = invoke(
        tmp_path, "run", "-p", prompt, "--prompt-pack", "[red]pk:dog:", "--stages", "txt2img", "--learning"
    )
    assert done.returncode == 0, done.stderr
    assert "seed " in done.stdout  # the seed really used, never -1
    assert "seed -1" not in done.stdout
    run_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("run "))
    assert invoke(tmp_path, "records", "tag", run_id[:8], "[red]x", ":smile:").returncode == 0
    assert invoke(tmp_path, "records", "note", run_id[:8], ":thumbs_up: [green]ok[/]").returncode == 0
    shown = invoke(tmp_path, "records", "show", run_id[:8]).stdout
    for text in (prompt, "[red]pk:dog:", "[red]x", ":smile:", ":thumbs_up: [green]ok[/]"):
        assert text in shown, text
    assert not any(emoji in shown for emoji in ("🐶", "😄", "👍"))
    listed = invoke(tmp_path, "records", "list").stdout
    assert "[red]pk:dog:" in listed
    queried = invoke(tmp_path, "records", "query", "SELECT prompt, pack FROM runs")
    if queried.returncode == 0:  # DuckDB is an optional extra
        assert "[cat:dog:0.5]" in queried.stdout
        assert "[red]pk:dog:" in queried.stdout


def test_escape_sequences_in_stored_text_are_written_out_never_sent_to_the_terminal(
    tmp_path: Path, invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """A prompt or tag holding terminal codes (an imported PNG's, say) must not recolour, retitle or
    rewrite the terminal that lists it: each control character is shown as \\xNN."""
    (tmp_path / "settings.toml").write_text('[feedback]\nuser = "tester"\n', encoding="utf-8")
    prompt = "a \x1b[31mred\x1b[0m cat \x1b]0;pwned\x07 \x9b2J"
    done = invoke(tmp_path, "run", "-p", prompt, "--stages", "txt2img", "--learning")
    assert done.returncode == 0, done.stderr
    run_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("run "))
    assert invoke(tmp_path, "records", "note", run_id[:8], "\x1b[2Jgone").returncode == 0
    for args in (("records", "show", run_id[:8]), ("records", "list"), ("records", "stats")):
        shown = invoke(tmp_path, *args)
        assert shown.returncode == 0, shown.stderr
        assert not any(code in shown.stdout + shown.stderr for code in ("\x1b", "\x9b", "\x07")), args
    shown = invoke(tmp_path, "records", "show", run_id[:8]).stdout
    assert "a \\x1b[31mred\\x1b[0m cat \\x1b]0;pwned" in shown
    assert "\\x9b2J" in shown
    assert "\\x1b[2Jgone" in shown


def test_feedback_lives_beside_the_records_file_given(
    home: tuple[Path, list[Spec]], invoke: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    """One rule for every command: feedback.path if set, else feedback.jsonl beside the records used."""
    folder, specs = home
    other = tmp_path / "elsewhere" / "other.jsonl"
    other.parent.mkdir()
    other.write_bytes((folder / "records" / "learning_records.jsonl").read_bytes())
    before = (folder / "records" / "feedback.jsonl").read_bytes()
    done = invoke(folder, "records", "rate", specs[0].run_id[:8], "5", "--records", str(other))
    assert done.returncode == 0, done.stderr
    assert len((other.parent / "feedback.jsonl").read_text().splitlines()) == 1
    assert (folder / "records" / "feedback.jsonl").read_bytes() == before
    shown = invoke(folder, "records", "show", specs[0].run_id[:8], "--records", str(other), "--json")
    assert json.loads(shown.stdout)["feedback"]["rating"] == 5


def test_times_are_local_unless_utc_is_asked_for(
    home: tuple[Path, list[Spec]],
    invoke: Callable[..., subprocess.CompletedProcess[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time
    from datetime import UTC, datetime, timedelta

    folder, specs = home
    newest = specs[-1]
    stored = json.loads(invoke(folder, "records", "list", "--json", "-n", "1").stdout)[0]["timestamp"]
    moment = datetime.fromisoformat(stored).astimezone(UTC)
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9, no daylight saving
    time.tzset()
    try:
        local = (moment + timedelta(hours=9)).strftime("%Y-%m-%d %H:%M")
        listed = invoke(folder, "records", "list", "-n", "1").stdout.splitlines()
        assert listed[0].split()[:2] == ["time", "(JST)"]
        assert listed[1].startswith(f"{local}  {newest.run_id[:8]}")
        in_utc = invoke(folder, "records", "list", "-n", "1", "--utc").stdout.splitlines()
        assert in_utc[0].split()[:2] == ["time", "(UTC)"]
        assert in_utc[1].startswith(moment.strftime("%Y-%m-%d %H:%M"))
        shown = invoke(folder, "records", "show", newest.run_id[:8]).stdout
        assert f"time       {(moment + timedelta(hours=9)).strftime('%Y-%m-%d %H:%M:%S')} JST" in shown
        as_json = json.loads(invoke(folder, "records", "list", "--json", "-n", "1").stdout)[0]
        assert as_json["timestamp"] == stored  # the files' UTC, untouched
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_an_imported_run_can_be_run_again_and_values_its_png_left_out_come_from_the_settings(
    tmp_path: Path, invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    (tmp_path / "settings.toml").write_text('[pipeline]\nsampler = "DDIM"\nstages = ["txt2img"]\n')
    parameters = PARAMETERS.replace("Sampler: DPM++ 2M, ", "").replace("sdxl-base", "fake-model-xl")
    write_png(tmp_path / "pictures" / "fox.png", parameters=parameters)
    assert invoke(tmp_path, "records", "import", "pictures").returncode == 0
    (imported,) = json.loads(invoke(tmp_path, "records", "list", "--json").stdout)

    done = invoke(tmp_path, "run", "--from", imported["run_id"][:8], "--learning", "--json")
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["run_id"]
    record = json.loads(invoke(tmp_path, "records", "show", run_id, "--json").stdout)["record"]
    assert record["source"] == "pipeline"
    assert record["metadata"]["from_run"] == imported["run_id"]
    config = record["config"]
    assert config["prompt"] == "a red fox in the snow, detailed"
    assert config["negative_prompt"] == "blurry, lowres"
    assert (config["steps"], config["cfg_scale"], config["seed"]) == (28, 6.5, 424242)
    assert (config["width"], config["height"]) == (64, 96)
    assert (config["model"], config["scheduler"]) == ("fake-model-xl", "Karras")
    assert config["sampler"] == "DDIM"  # the PNG named none: the settings' sampler
    assert config["stages"] == [{"name": "txt2img"}]


def test_a_huge_prompt_is_cut_for_people_and_whole_in_json(
    tmp_path: Path, invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")
    prompt = "word " * 20_000
    done = invoke(tmp_path, "run", "-p", prompt, "--stages", "txt2img", "--learning", "--json")
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["run_id"]
    shown = invoke(tmp_path, "records", "show", run_id[:8]).stdout
    assert len(shown) < 10_000
    assert "more characters: --json shows all" in shown
    whole = json.loads(invoke(tmp_path, "records", "show", run_id[:8], "--json").stdout)
    assert whole["record"]["config"]["prompt"] == prompt


def test_a_wide_query_result_is_shown_a_row_per_block(
    home: tuple[Path, list[Spec]], invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    folder, specs = home
    done = invoke(folder, "records", "query", "SELECT * FROM runs ORDER BY timestamp DESC LIMIT 2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("-[ row 1 ]")
    assert any(
        line.split(" | ") == [f"{'run_id':<{len('negative_prompt')}}", specs[-1].run_id] for line in lines
    )
    assert sum(line.startswith("-[ row ") for line in lines) == 2


def test_query_shows_null_for_a_recorded_time_that_is_not_a_time(
    tmp_path: Path, invoke: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    from adapters.record_store.jsonl import JsonlRecordStore
    from tests.factories import make_record

    (tmp_path / "settings.toml").write_text(
        f'[learning]\nrecords_path = "{tmp_path / "r.jsonl"}"\n', encoding="utf-8"
    )
    store = JsonlRecordStore(tmp_path / "r.jsonl")
    store.append_record(make_record("odd", timestamp="0"))
    store.append_record(make_record("zoned", timestamp="2026-11-24T11:00:00+02:00"))
    store.close()

    done = invoke(
        tmp_path,
        "records",
        "query",
        "SELECT run_id, CAST(timestamp AS VARCHAR) AS t FROM runs ORDER BY run_id",
        "--json",
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"run_id": "odd", "t": None},
        {"run_id": "zoned", "t": "2026-11-24 09:00:00"},
    ]
