from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image

from adapters.record_store.jsonl import JsonlRecordStore
from domain import LearningRecord
from tests.factories import make_record
from tests.integration.cli import run_cli


def read_records(path: Path) -> list[LearningRecord]:
    return [LearningRecord.from_dict(orjson.loads(line)) for line in path.read_bytes().splitlines()]


def test_default_settings_run_saves_images_and_writes_no_record(tmp_path: Path) -> None:
    done = run_cli("run", "--prompt", "a lighthouse at dusk", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pngs = sorted((tmp_path / "output").rglob("*.png"))
    assert [p.name for p in pngs] == ["img2img_0.png", "txt2img_0.png", "upscale_0.png"]
    assert not (tmp_path / "records").exists()
    assert "learning off" in done.stdout
    for stage in ("txt2img", "img2img", "upscale"):
        assert f"{stage} running" in done.stderr  # progress while it works


def test_learning_run_appends_one_record_and_says_where(tmp_path: Path) -> None:
    done = run_cli("run", "--prompt", "a lighthouse at dusk", "--learning", "--seed", "42", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records_file = tmp_path / "records" / "learning_records.jsonl"
    (record,) = read_records(records_file)
    assert f"learning record appended to {records_file}" in done.stdout
    assert record.run_id in done.stdout
    assert record.config["prompt"] == "a lighthouse at dusk"
    assert record.stage_plan == ("txt2img", "img2img", "upscale")
    assert [o.stage for o in record.outputs] == ["txt2img", "img2img", "upscale"]
    assert all(Path(o.path).is_file() for o in record.outputs)
    assert record.resolved["txt2img"]["seed"] == 42
    assert records_file.stat().st_mode & 0o777 == 0o600


def test_json_output_is_one_object_matching_the_record(tmp_path: Path) -> None:
    done = run_cli("run", "-p", "fog", "--learning", "--json", "--stages", "txt2img,upscale", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    (record,) = read_records(Path(result["learning"]["records_path"]))
    assert result["run_id"] == record.run_id
    assert result["status"] == "succeeded"
    assert [s["stage"] for s in result["stages"]] == ["txt2img", "upscale"]
    learning = result["learning"]
    assert learning == {
        "enabled": True,
        "recorded": True,
        "records_path": learning["records_path"],
        "error": None,
    }


def test_flags_override_env_which_overrides_the_settings_file(tmp_path: Path) -> None:
    settings = tmp_path / "conf" / "settings.toml"
    settings.parent.mkdir()
    settings.write_text('[pipeline]\nsteps = 11\nwidth = 320\n[output]\ndir = "pics"\n')
    env = {"STABLENEW_SETTINGS": str(settings), "STABLENEW_PIPELINE__STEPS": "12"}
    done = run_cli(
        "run", "-p", "x", "--json", "--stages", "txt2img", "--height", "256", cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["resolved"]["txt2img"]["steps"] == 12
    (output,) = result["outputs"]
    assert (output["width"], output["height"]) == (320, 256)
    assert output["path"].startswith(str(tmp_path / "conf" / "pics"))  # relative to the settings file


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "abc"], "'--steps'"),
        (["--steps", "0"], "invalid pipeline setting steps"),
        (["--prompt", "   "], "invalid pipeline setting prompt: must not be empty (from --prompt)"),
        (["--denoising-strength", "1.5"], "denoising_strength: must be 0..1, got 1.5 (from command line)"),
        (["--upscale-factor", "0"], "upscale_factor: must be 1..8, got 0.0 (from command line)"),
        (["--upscale-factor", "100"], "upscale_factor: must be 1..8, got 100.0 (from command line)"),
        (["--width", "100"], "width: must be a multiple of 8"),
        (["--stages", "txt2img,sharpen"], "unknown stage 'sharpen'"),
        (["--stages", "img2img"], "needs at least one init image"),
        (["--bogus"], "No such option: --bogus"),
        (["--stages", "img2img", "--init-image", "missing.png"], "--init-image missing.png: no such file"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = run_cli("run", "-p", "x", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "output").exists()


def test_init_images_that_cannot_serve_are_refused_before_any_stage(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.png").write_text("not an image")
    done = run_cli("run", "-p", "x", "--stages", "img2img", "--init-image", "folder", cwd=tmp_path)
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "error: --init-image folder: is a directory, not an image file",
    )
    done = run_cli("run", "-p", "x", "--stages", "txt2img", "--init-image", "notes.png", cwd=tmp_path)
    assert done.returncode == 2
    assert (
        "--init-image is used only by img2img, which the stages (from command line) leave out" in done.stderr
    )
    assert not (tmp_path / "output").exists()
    done = run_cli("run", "-p", "x", "--stages", "img2img", "--init-image", "notes.png", cwd=tmp_path)
    assert "not a readable image" in done.stderr
    assert "BytesIO" not in done.stdout + done.stderr


def test_unknown_settings_key_names_key_and_file(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text("[learning]\nenabld = true\n")
    done = run_cli("run", "-p", "x", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: unknown setting learning.enabld (in {tmp_path / 'settings.toml'})"


def test_unwritable_records_path_still_succeeds_and_warns(tmp_path: Path) -> None:
    blocked = tmp_path / "records.jsonl"
    blocked.mkdir()  # a directory where the records file should be
    done = run_cli("run", "-p", "x", "--learning", "--records", str(blocked), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / "output").rglob("*.png"))) == 3
    assert f"learning record NOT stored in {blocked}" in done.stdout
    assert str(blocked) in done.stderr  # the WARNING log line names the path and why


def test_any_prompt_round_trips_through_record_and_png(tmp_path: Path) -> None:
    prompt = 'سفينة 🚢 at "dawn",\nline two: ü\u200f'
    done = run_cli("run", "-p", prompt, "--negative-prompt", "רע, 😈", "--learning", "--stages", "txt2img",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    (record,) = read_records(tmp_path / "records" / "learning_records.jsonl")
    assert record.config["prompt"] == prompt
    with Image.open(record.outputs[0].path) as image:
        parameters = image.info["parameters"]
    assert parameters.startswith(prompt + "\nNegative prompt: רע, 😈\n")


def test_failed_stage_exits_1_and_records_nothing(tmp_path: Path) -> None:
    env = {"STABLENEW_BACKEND__FAKE_FAIL_STAGE": "upscale"}
    done = run_cli("run", "-p", "x", "--learning", cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert "upscale" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "records" / "learning_records.jsonl").exists()


def test_settings_show_names_sources_and_masks_the_password(tmp_path: Path) -> None:
    env = {"STABLENEW_BACKEND__PASSWORD": "hunter2-secret", "STABLENEW_PIPELINE__STEPS": "33"}
    done = run_cli("settings", "show", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "hunter2-secret" not in done.stdout + done.stderr
    assert 'password = "********"  # environment STABLENEW_BACKEND__PASSWORD' in done.stdout
    assert "steps = 33  # environment STABLENEW_PIPELINE__STEPS" in done.stdout
    assert "width = 512  # default" in done.stdout


def test_a_bar_shows_each_stage_generating_on_a_terminal_and_never_in_a_pipe(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import threading

    env = {**os.environ, "STABLENEW_BACKEND__FAKE_LATENCY": "1.0", "COLUMNS": "120", "TERM": "xterm"}
    env = {k: v for k, v in env.items() if k != "STABLENEW_SETTINGS"}
    argv = [sys.executable, "-m", "adapters.cli", "run", "-p", "x", "--stages", "txt2img", "--steps", "20"]
    leader, follower = os.openpty()
    seen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    done = subprocess.run(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=follower, timeout=120, check=False
    )
    os.close(follower)
    reader.join(timeout=10)
    os.close(leader)
    assert done.returncode == 0
    assert b"step " in seen
    assert b"/20" in seen
    piped = run_cli(
        "run", "-p", "x", "--stages", "txt2img", cwd=tmp_path, env={"STABLENEW_BACKEND__FAKE_LATENCY": "0.6"}
    )
    assert piped.returncode == 0
    assert "step " not in piped.stderr
    assert "txt2img running..." in piped.stderr


def _run_json(*args: str, cwd: Path) -> dict[str, Any]:
    done = run_cli("run", *args, "--learning", "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _record_of(run_id: str, cwd: Path) -> LearningRecord:
    (record,) = [r for r in read_records(cwd / "records" / "learning_records.jsonl") if r.run_id == run_id]
    return record


def test_from_runs_a_recorded_run_again_with_the_seed_it_used_and_a_flag_overrides_one_value(
    tmp_path: Path,
) -> None:
    first = _run_json(
        *("-p", "a lighthouse at dusk", "--negative-prompt", "blurry [x]", "--seed", "-1", "--steps", "12"),
        *("--cfg-scale", "5.5", "--width", "320", "--height", "256", "--batch-size", "2"),
        *("--stages", "txt2img,upscale", "--upscale-factor", "1.5", "--upscaler", "Nearest"),
        cwd=tmp_path,
    )
    original = _record_of(first["run_id"], tmp_path)
    used_seed = original.resolved["txt2img"]["seed"]
    assert original.config["seed"] == -1
    assert used_seed >= 0

    again = _run_json("--from", first["run_id"][:8], cwd=tmp_path)
    recalled = _record_of(again["run_id"], tmp_path)
    assert again["run_id"] != first["run_id"]
    assert recalled.metadata["from_run"] == first["run_id"]
    expected = {**original.config, "seed": used_seed, "metadata": {"from_run": first["run_id"]}}
    assert dict(recalled.config) == expected
    # The same seed and settings: the fake backend draws the very same images.
    assert [o["sha256"] for o in again["outputs"]] == [o["sha256"] for o in first["outputs"]]

    changed = _run_json("--from", first["run_id"][:8], "--steps", "20", cwd=tmp_path)
    assert dict(_record_of(changed["run_id"], tmp_path).config) == {**expected, "steps": 20}


def test_from_wins_over_the_settings_file_and_loses_to_flags(tmp_path: Path) -> None:
    first = _run_json("-p", "fog", "--stages", "txt2img", "--steps", "9", "--seed", "5", cwd=tmp_path)
    (tmp_path / "settings.toml").write_text("[pipeline]\nsteps = 30\ncfg_scale = 3.0\n")
    again = _run_json("--from", first["run_id"], "-p", "mist", cwd=tmp_path)
    config = _record_of(again["run_id"], tmp_path).config
    assert (config["prompt"], config["steps"], config["cfg_scale"], config["seed"]) == ("mist", 9, 7.0, 5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "zzzzzzzz"], "error: no run with id 'zzzzzzzz' in the history"),
        (["--from", ""], "error: a run id must not be empty"),
        ([], "error: give --prompt (what to draw) or --from RUN_ID (a recorded run to run again)"),
    ],
)
def test_from_an_unknown_run_or_no_prompt_at_all_is_one_line_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    assert run_cli("run", "-p", "x", "--learning", "--stages", "txt2img", cwd=tmp_path).returncode == 0
    done = run_cli("run", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [message]


def test_from_an_ambiguous_prefix_is_one_line_exit_2(tmp_path: Path) -> None:
    store = JsonlRecordStore(tmp_path / "records" / "learning_records.jsonl", durability="none")
    store.append_records([make_record("abcd1234-one"), make_record("abcd1234-two")])
    store.close()
    done = run_cli("run", "--from", "abcd1234", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: run id prefix 'abcd1234' matches several runs")


def test_from_an_img2img_run_reuses_its_init_image_and_names_it_once_it_is_gone(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 64), "teal").save(photo)
    args = ("-p", "x", "--stages", "img2img", "--init-image", str(photo), "--denoising-strength", "0.6")
    first = _run_json(*args, cwd=tmp_path)
    again = _run_json("--from", first["run_id"][:8], cwd=tmp_path)
    (stage,) = _record_of(again["run_id"], tmp_path).config["stages"]
    assert stage == {"name": "img2img", "denoising_strength": 0.6, "init_images": [str(photo.absolute())]}

    photo.unlink()
    done = run_cli("run", "--from", first["run_id"][:8], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: init image {photo.absolute()} of run {first['run_id']} no longer exists (give --init-image)"
    ]
    other = tmp_path / "other.png"
    Image.new("RGB", (64, 64), "red").save(other)
    given = _run_json("--from", first["run_id"][:8], "--init-image", str(other), cwd=tmp_path)
    (stage,) = _record_of(given["run_id"], tmp_path).config["stages"]
    assert stage["init_images"] == [str(other.absolute())]


def test_a_failure_is_explained_once(tmp_path: Path) -> None:
    done = run_cli(
        "run",
        "-p",
        "x",
        "--stages",
        "txt2img",
        cwd=tmp_path,
        env={"STABLENEW_BACKEND__FAKE_FAIL_STAGE": "txt2img"},
    )
    assert done.returncode == 1
    assert (done.stdout + done.stderr).count("simulated failure in txt2img") == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: txt2img: fake backend: simulated failure")


def test_an_export_that_cannot_be_written_names_the_file_asked_for(tmp_path: Path) -> None:
    from adapters.record_store.jsonl import JsonlRecordStore
    from tests.factories import make_record

    JsonlRecordStore(tmp_path / "records" / "learning_records.jsonl").append_record(make_record("run00001"))
    target = tmp_path / "no-such-folder" / "runs.csv"
    done = run_cli("records", "export", "-o", str(target), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: {target}: No such file or directory"
