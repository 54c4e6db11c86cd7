"""The CLI against the stand-in ComfyUI: a three-stage learning run, every error's line and exit
code, ``backend check``, a pre-flight refusal with nothing queued, and a real SIGINT."""

from __future__ import annotations

import hashlib
import json
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from adapters.cli.main import main
from tests.comfyui.standin import RunningStandin
from tests.integration.cli import spawn_cli

BEFORE = b'{"an": "earlier record, kept as it is"}\n'


def backend_env(standin: RunningStandin, **extra: str) -> dict[str, str]:
    env = {
        "STABLENEW_BACKEND__KIND": "comfyui",
        "STABLENEW_BACKEND__URL": standin.url,
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
        "Karras",
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


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def comfy(standin: RunningStandin, tmp_path: Path) -> RunningStandin:
    (tmp_path / "settings.toml").write_text("[learning]\nenabled = true\n", encoding="utf-8")
    return standin


@pytest.mark.slow
def test_a_three_stage_learning_run_keeps_the_servers_bytes_and_records_what_it_resolved(
    comfy: RunningStandin, tmp_path: Path
) -> None:
    proc = spawn_cli(
        *run_args(tmp_path, "--stages", "txt2img,img2img,upscale", "--batch-size", "2", "--seed", "-1"),
        cwd=tmp_path,
        env=backend_env(comfy),
    )
    out, err = proc.communicate(timeout=90)

    assert proc.returncode == 0, err
    (line,) = (tmp_path / "records.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    txt2img = record["resolved"]["txt2img"]
    assert isinstance(txt2img["seed"], int)
    assert txt2img["seed"] >= 0
    assert txt2img["all_seeds"] == [txt2img["seed"], txt2img["seed"] + 1]
    assert (txt2img["sampler"], txt2img["scheduler"]) == ("dpmpp_2m", "karras")
    assert txt2img["model"] == "v1-5-pruned-emaonly.safetensors"
    assert txt2img["comfyui_version"] == "0.3.40"
    sampler_nodes = [n for n in txt2img["graph"].values() if n["class_type"] == "KSampler"]
    assert [n["inputs"]["seed"] for n in sampler_nodes] == txt2img["all_seeds"]
    assert record["resolved"]["img2img"]["denoising_strength"] == 0.35  # the settings default
    assert record["resolved"]["upscale"]["upscaler"] == "lanczos"
    assert record["backend"]["kind"] == "comfyui"
    assert record["backend"]["version"] == "0.3.40"
    saved = {hashlib.sha256(data).hexdigest() for data in comfy.state.output_files().values()}
    assert len(record["outputs"]) == 6
    for output in record["outputs"]:
        data = Path(output["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == output["sha256"]
        assert output["sha256"] in saved  # byte for byte what ComfyUI saved
    assert comfy.state.history == {}  # every entry deleted after its images were fetched
    assert "Traceback" not in out + err


ERRORS = [
    # (name, how to break it, expected words in the error line)
    ("unreachable", {"url": "closed"}, "cannot reach ComfyUI at http://127.0.0.1:"),
    (
        "node errors 400",
        {"reject": "ckpt_name"},
        "ComfyUI refused the prompt: node 1 (CheckpointLoaderSimple) input ckpt_name: Value not in list",
    ),
    ("node errors 200", {"fault": "node_errors_200"}, "accepted the prompt but reported node errors"),
    ("execution error", {"fault": "execution_error"}, "ComfyUI failed in node 11 (KSampler): RuntimeError"),
    ("out of memory", {"fault": "out_of_memory"}, "ran out of GPU memory in node 11 (KSampler)"),
    ("interrupted", {"fault": "interrupted"}, "ComfyUI interrupted prompt"),
    ("restart", {"fault": "restart"}, "(the server restarted)"),
    ("timeout", {"fault": "hang"}, "did not finish prompt"),
    ("not json", {"fault": "not_json"}, "a body that is not JSON"),
    ("unknown sampler", {"sampler": "DPM++ 2M Quantum"}, "unknown sampler 'DPM++ 2M Quantum'"),
    ("upscale failure", {"fault_later": "execution_error", "stages": "txt2img,upscale"}, "ComfyUI failed"),
]


@pytest.mark.parametrize(("name", "breakage", "expected"), ERRORS, ids=[e[0] for e in ERRORS])
def test_each_error_has_its_line_and_exit_code_and_leaves_records_and_files_untouched(
    comfy: RunningStandin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    breakage: dict[str, str],
    expected: str,
) -> None:
    records = tmp_path / "records.jsonl"
    records.write_bytes(BEFORE)
    env = backend_env(comfy)
    if breakage.get("url") == "closed":
        env["STABLENEW_BACKEND__URL"] = closed_port_url()
    if breakage.get("fault") == "hang":
        env["STABLENEW_BACKEND__READ_TIMEOUT"] = "1.5"  # the deadline; each GET answers well within it
    comfy.state.fault = breakage.get("fault")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    stages = breakage.get("stages", "txt2img")
    more = ["--stages", stages, "--sampler", breakage.get("sampler", "DPM++ 2M")]
    if "reject" in breakage:  # the server lost the file after the catalogue was read
        comfy.state.reject_input = breakage["reject"]
    if "fault_later" in breakage:
        comfy.state.fault_after = (1, breakage["fault_later"])

    with pytest.raises(SystemExit) as exited:
        main(run_args(tmp_path, *more))

    out, err = capsys.readouterr()
    assert exited.value.code == 1
    error_lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(error_lines) == 1, err
    assert expected in error_lines[0]
    assert "(hint: " in error_lines[0]
    assert "Traceback" not in out + err
    assert records.read_bytes() == BEFORE
    failed_stage = stages.split(",")[-1]
    written = [p.name for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert not [n for n in written if n.startswith(failed_stage) or not n.endswith(".png")], written


PRE_FLIGHT = [
    (["--sampler", "DPM++ 2N"], "unknown sampler 'DPM++ 2N'", "did you mean 'dpmpp_2m'?"),
    (["--scheduler", "Karas"], "unknown scheduler 'Karas'", "did you mean 'karras'"),
    (
        ["--model", "v1-5-pruned"],
        "unknown model 'v1-5-pruned'",
        "did you mean 'v1-5-pruned-emaonly.safetensors'",
    ),
    (
        ["--upscaler", "RealESRGAN_x2"],
        "unknown upscaler 'RealESRGAN_x2'",
        "did you mean 'RealESRGAN_x4plus.pth'",
    ),
]


@pytest.mark.parametrize(("flags", "line", "hint"), PRE_FLIGHT, ids=[p[0][0] for p in PRE_FLIGHT])
def test_pre_flight_refuses_an_unknown_name_with_nothing_queued(
    comfy: RunningStandin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    line: str,
    hint: str,
) -> None:
    for key, value in backend_env(comfy).items():
        monkeypatch.setenv(key, value)

    with pytest.raises(SystemExit) as exited:
        main(run_args(tmp_path, "--stages", "txt2img,img2img,upscale", *flags))

    err = capsys.readouterr().err
    assert exited.value.code == 1
    assert line in err
    assert hint in err
    assert comfy.state.posted_prompts() == 0
    assert not any(r.path.endswith("/upload/image") for r in comfy.state.requests)


def test_backend_check_lists_what_comfyui_serves(
    comfy: RunningStandin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in backend_env(comfy).items():
        monkeypatch.setenv(key, value)

    with pytest.raises(SystemExit) as exited:
        main(["backend", "check"])

    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert f"backend: comfyui at {comfy.url}\n" in out
    assert "version: 0.3.40" in out
    assert "cuda:0 NVIDIA GeForce RTX 3060 : cudaMallocAsync (12.0 GiB VRAM)" in out
    for name in ("v1-5-pruned-emaonly.safetensors", "dpmpp_2m", "karras", "RealESRGAN_x4plus.pth", "lanczos"):
        assert f"  {name}\n" in out


def test_backend_check_json_and_generate(
    comfy: RunningStandin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in backend_env(comfy).items():
        monkeypatch.setenv(key, value)

    with pytest.raises(SystemExit) as exited:
        main(["backend", "check", "--json", "--generate"])

    facts = json.loads(capsys.readouterr().out)
    assert exited.value.code == 0
    assert facts["kind"] == "comfyui"
    assert facts["version"] == "0.3.40"
    assert "karras" in facts["schedulers"]
    assert comfy.state.posted_prompts() == 1


def test_a_run_in_process_leaves_no_websocket_behind(
    comfy: RunningStandin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry point closes the backend it built: an application (or a test) calling it goes on
    without ComfyUI's listener thread and socket."""
    for key, value in backend_env(comfy).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    before = set(threading.enumerate())  # another test's backend may still be closing

    with pytest.raises(SystemExit) as exited:
        main(run_args(tmp_path, "--stages", "txt2img"))

    assert exited.value.code == 0
    assert comfy.state.posted_prompts() == 1
    assert [t.name for t in set(threading.enumerate()) - before if t.name == "comfyui-ws"] == []


def test_backend_check_unreachable_is_one_line_with_exit_1(
    comfy: RunningStandin,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in backend_env(comfy, STABLENEW_BACKEND__URL=closed_port_url()).items():
        monkeypatch.setenv(key, value)

    with pytest.raises(SystemExit) as exited:
        main(["backend", "check"])

    out, err = capsys.readouterr()
    assert "Traceback" not in out
    assert exited.value.code == 1
    assert err.count("\n") == 1
    assert err.startswith("error: cannot reach ComfyUI")


@pytest.mark.slow
def test_ctrl_c_interrupts_only_this_runs_prompt_and_exits_130(comfy: RunningStandin, tmp_path: Path) -> None:
    comfy.state.fault = "hang"
    proc = spawn_cli(*run_args(tmp_path, "--stages", "txt2img,upscale"), cwd=tmp_path, env=backend_env(comfy))
    try:
        deadline = time.monotonic() + 30
        while comfy.state.running is None:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the prompt never started"
            time.sleep(0.02)
        prompt_id = comfy.state.running.prompt_id
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()

    assert proc.returncode == 130, err
    assert comfy.state.interrupt_requests == [{"prompt_id": prompt_id}]
    deadline = time.monotonic() + 5
    while comfy.state.running is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert comfy.state.running is None
    assert "interrupted" in out + err
    assert "Traceback" not in err
    assert not (tmp_path / "records.jsonl").exists()
    assert not any((tmp_path / "out").rglob("*.png"))


def test_settings_show_names_the_url_an_empty_setting_means(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STABLENEW_BACKEND__KIND", "comfyui")
    monkeypatch.delenv("STABLENEW_BACKEND__URL", raising=False)
    (tmp_path / "settings.toml").write_text("", encoding="utf-8")

    with pytest.raises(SystemExit) as exited:
        main(["settings", "show", "--settings", str(tmp_path / "settings.toml")])

    assert exited.value.code == 0
    assert 'url = ""  # default: http://127.0.0.1:8188 for kind comfyui\n' in capsys.readouterr().out
