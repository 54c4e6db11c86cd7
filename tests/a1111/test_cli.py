"""The CLI against the stand-in: a whole learning run, every error's line and exit code, Ctrl-C.

Real processes where it matters (the full run, ``backend check``, SIGINT); the error table runs
the same ``main()`` in-process to keep the suite fast.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import signal
import socket
import time
from pathlib import Path

import pytest
from PIL import Image

from adapters.cli.main import main
from tests.a1111.conftest import PASSWORD
from tests.a1111.standin import RunningStandin
from tests.integration.cli import run_cli, spawn_cli

USER = "alice"


def backend_env(standin: RunningStandin, **extra: str) -> dict[str, str]:
    env = {
        "STABLENEW_BACKEND__KIND": "a1111",
        "STABLENEW_BACKEND__URL": standin.url,
        "STABLENEW_BACKEND__USERNAME": USER,
        "STABLENEW_BACKEND__PASSWORD": PASSWORD,
        "STABLENEW_BACKEND__CONNECT_TIMEOUT": "2",
        "STABLENEW_BACKEND__READ_TIMEOUT": "20",
    }
    env.update(extra)
    return env


def run_args(tmp_path: Path, *more: str) -> list[str]:
    return [
        "run",
        "--prompt",
        "a lighthouse at dusk, café",
        "--negative-prompt",
        "blurry",
        "--model",
        "v1-5-pruned-emaonly",
        "--sampler",
        "DPM++ 2M",
        "--scheduler",
        "Automatic",
        "--width",
        "64",
        "--height",
        "96",
        "--learning",
        "--records",
        str(tmp_path / "records.jsonl"),
        "--output",
        str(tmp_path / "out"),
        "--settings",
        str(tmp_path / "settings.toml"),
        *more,
    ]


def assert_password_nowhere(tmp_path: Path, *outputs: str) -> None:
    for text in outputs:
        assert PASSWORD not in text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), f"password found in {path}"


@pytest.fixture
def protected(standin: RunningStandin, tmp_path: Path) -> RunningStandin:
    standin.state.credentials = (USER, PASSWORD)
    (tmp_path / "settings.toml").write_text("[learning]\nenabled = true\n", encoding="utf-8")
    return standin


@pytest.mark.slow
def test_a_learning_run_records_what_the_server_resolved_and_keeps_its_bytes(
    protected: RunningStandin, tmp_path: Path
) -> None:
    done = run_cli(
        *run_args(tmp_path, "--stages", "txt2img,img2img,upscale", "--batch-size", "2", "--seed", "-1"),
        cwd=tmp_path,
        env=backend_env(protected),
        timeout=60,
    )
    code, out, err = done.returncode, done.stdout, done.stderr

    assert code == 0, err
    lines = (tmp_path / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    txt2img = record["resolved"]["txt2img"]
    assert isinstance(txt2img["seed"], int)
    assert txt2img["seed"] >= 0
    assert (txt2img["sampler"], txt2img["scheduler"]) == ("DPM++ 2M", "Karras")
    assert txt2img["model_hash"] == "6ce0161689"
    assert record["backend"] == {
        "kind": "a1111",
        "version": "v1.10.1",
        "model": "v1-5-pruned-emaonly",
        "model_hash": "6ce0161689",
    }
    served = {hashlib.sha256(base64.b64decode(b64)).hexdigest(): b64 for b64 in protected.state.served}
    assert len(record["outputs"]) == 6
    infotexts = iter(txt2img["infotexts"])
    for output in record["outputs"]:
        data = Path(output["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == output["sha256"]
        assert output["sha256"] in served  # the exact bytes the server sent
        if output["stage"] == "txt2img":
            with Image.open(io.BytesIO(data)) as png:
                assert png.info["parameters"] == next(infotexts)
    sent = protected.state.seen("/sdapi/v1/img2img")[0].body
    assert (sent["width"], sent["height"]) == (64, 96)
    assert_password_nowhere(tmp_path, out, err)


ERRORS = [
    # (name, how to break it, expected words in the error line)
    ("unreachable", {"url": "closed"}, "cannot reach the WebUI at http://127.0.0.1:"),
    ("credentials", {"password": "wrong"}, "refused the credentials"),
    ("rejected", {"inject": "reject_steps"}, "422 field body.steps: value is not a valid integer"),
    ("init image", {"inject": "missing_init_image", "stages": "img2img"}, "404 Init image not found"),
    ("no checkpoint", {"inject": "no_checkpoint"}, "has no checkpoint"),
    ("upscaler", {"inject": "unknown_upscaler", "stages": "txt2img,upscale"}, "does not know the upscaler"),
    ("out of memory", {"inject": "out_of_memory"}, "ran out of GPU memory"),
    ("timeout", {"delay": "1.5"}, "did not answer POST /sdapi/v1/txt2img within 0.4s"),
    ("not json", {"inject": "not_json"}, "a body that is not JSON"),
    ("drop", {"inject": "drop"}, "connection to the WebUI at http://127.0.0.1:"),
    ("unknown sampler", {"sampler": "Euler A2"}, "unknown sampler 'Euler A2'"),
]


@pytest.mark.parametrize(("name", "breakage", "expected"), ERRORS, ids=[e[0] for e in ERRORS])
def test_each_error_has_its_line_and_exit_code_and_leaves_records_intact(
    protected: RunningStandin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    breakage: dict[str, str],
    expected: str,
) -> None:
    records = tmp_path / "records.jsonl"
    before = b'{"an": "earlier record, kept as it is"}\n'
    records.write_bytes(before)
    env = backend_env(protected)
    if breakage.get("url") == "closed":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            env["STABLENEW_BACKEND__URL"] = f"http://127.0.0.1:{probe.getsockname()[1]}"
    if "password" in breakage:
        env["STABLENEW_BACKEND__PASSWORD"] = "not-" + PASSWORD[::-1]
    if "delay" in breakage:
        protected.state.delay = float(breakage["delay"])
        env["STABLENEW_BACKEND__READ_TIMEOUT"] = "0.4"
    if "inject" in breakage:
        protected.state.inject(breakage["inject"])
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    more = ["--stages", breakage.get("stages", "txt2img"), "--sampler", breakage.get("sampler", "DPM++ 2M")]
    if breakage.get("stages") == "img2img":
        init = tmp_path / "init.png"
        Image.new("RGB", (64, 64), "red").save(init)
        more += ["--init-image", str(init)]

    with pytest.raises(SystemExit) as exited:
        main(run_args(tmp_path, *more))

    out, err = capsys.readouterr()
    assert exited.value.code == 1
    error_lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1, err
    assert expected in error_lines[0]
    assert "(hint: " in error_lines[0]
    assert "Traceback" not in out + err
    assert records.read_bytes() == before
    failed_stage = more[1].split(",")[-1]
    written = [p.name for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert not [n for n in written if n.startswith(failed_stage) or not n.endswith(".png")], written
    assert_password_nowhere(tmp_path, out, err)


def test_a_failed_run_is_recorded_only_when_failure_recording_is_on(
    protected: RunningStandin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in backend_env(protected, STABLENEW_LEARNING__RECORD_FAILURES="true").items():
        monkeypatch.setenv(key, value)
    protected.state.inject("unknown_upscaler")

    with pytest.raises(SystemExit) as exited:
        main(run_args(tmp_path, "--stages", "txt2img,upscale"))

    assert exited.value.code == 1
    record = json.loads((tmp_path / "records.jsonl").read_text(encoding="utf-8"))
    assert record["status"] == "failed"
    events = {event["stage"]: event for event in record["stage_events"]}
    assert events["txt2img"]["status"] == "succeeded"
    assert events["upscale"]["status"] == "failed"
    assert "could not find upscaler named Lanczos" in events["upscale"]["error"]
    assert [o["stage"] for o in record["outputs"]] == ["txt2img"]
    assert not list((tmp_path / "out").rglob("upscale_*"))
    out, err = capsys.readouterr()
    assert_password_nowhere(tmp_path, out, err)


def test_settings_show_masks_the_backend_password(
    protected: RunningStandin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in backend_env(protected).items():
        monkeypatch.setenv(key, value)

    with pytest.raises(SystemExit) as exited:
        main(["settings", "show", "--settings", str(tmp_path / "settings.toml")])

    out, err = capsys.readouterr()
    assert exited.value.code == 0
    assert "password" in out
    assert PASSWORD not in out + err


@pytest.mark.slow
def test_backend_check_lists_what_the_server_serves(protected: RunningStandin, tmp_path: Path) -> None:
    protected.state.flavor = "forge"

    done = run_cli(
        "backend",
        "check",
        "--generate",
        cwd=tmp_path,
        env=backend_env(protected, STABLENEW_BACKEND__FLAVOR="forge"),
        timeout=60,
    )
    code, out, err = done.returncode, done.stdout, done.stderr

    assert code == 0, err
    assert "version: f2.0.1v1.10.1-previous-669-gdfdcbab6" in out
    assert "current model: v1-5-pruned-emaonly" in out
    assert "generation: ok, one 64x64 image in " in out
    for name in ("sd_xl_base_1.0.safetensors [31e35c80fc]", "Euler a", "Align Your Steps", "R-ESRGAN 4x+"):
        assert f"  {name}\n" in out
    assert_password_nowhere(tmp_path, out, err)


def test_backend_check_json_for_sdnext_has_no_schedulers(
    protected: RunningStandin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    protected.state.flavor = "sdnext"
    for key, value in backend_env(protected, STABLENEW_BACKEND__FLAVOR="sdnext").items():
        monkeypatch.setenv(key, value)

    with pytest.raises(SystemExit) as exited:
        main(["backend", "check", "--json"])

    facts = json.loads(capsys.readouterr().out)
    assert exited.value.code == 0
    assert facts["schedulers"] is None
    assert facts["version"] == "sd.next 2025-03-02 431bcc36"
    assert "UniPC" in facts["samplers"]


@pytest.mark.parametrize(
    ("password", "expected"), [(PASSWORD, "cannot reach"), ("bad", "refused the credentials")]
)
def test_backend_check_errors_are_one_line_with_exit_1(
    protected: RunningStandin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    password: str,
    expected: str,
) -> None:
    env = backend_env(protected, STABLENEW_BACKEND__PASSWORD=password)
    if expected == "cannot reach":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            env["STABLENEW_BACKEND__URL"] = f"http://127.0.0.1:{probe.getsockname()[1]}"
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    with pytest.raises(SystemExit) as exited:
        main(["backend", "check"])

    out, err = capsys.readouterr()
    assert exited.value.code == 1
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert expected in err
    assert PASSWORD not in out + err


@pytest.mark.slow
def test_ctrl_c_interrupts_the_server_job_and_ends_the_run_as_interrupted(
    protected: RunningStandin, tmp_path: Path
) -> None:
    protected.state.delay = 20.0
    proc = spawn_cli(
        *run_args(tmp_path, "--stages", "txt2img,upscale"), cwd=tmp_path, env=backend_env(protected)
    )
    try:
        deadline = time.monotonic() + 30
        while not protected.state.job_running:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the generation never started"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()

    assert proc.returncode == 130, err
    assert protected.state.interrupts == 1
    assert not protected.state.job_running
    assert "interrupted" in out + err
    assert "Traceback" not in err
    assert not (tmp_path / "records.jsonl").exists()
    assert not any((tmp_path / "out").rglob("*.png"))
    assert_password_nowhere(tmp_path, out, err)
