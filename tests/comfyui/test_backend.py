"""ComfyUIImageBackend beyond the contract: names, graphs, ids, cache, polling and the stand-in's ways."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from adapters.backends.comfyui import ComfyUIImageBackend, graphs
from adapters.backends.comfyui.backend import prompt_id_for
from adapters.backends.comfyui.catalog import NODES, catalog_from
from adapters.backends.comfyui.names import combo_options
from domain.config import PipelineConfig, stages_from_names
from domain.errors import BackendError, GenerationInterrupted
from domain.run import StageProgress
from tests.comfyui.conftest import make_backend
from tests.comfyui.standin import RunningStandin

SECRET = "hunter2-c0mfy-9e1"


def config(**overrides: object) -> PipelineConfig:
    values: dict[str, object] = {
        "prompt": "a lighthouse at dusk",
        "model": "v1-5-pruned-emaonly",
        "sampler": "DPM++ 2M",
        "scheduler": "Karras",
        "steps": 4,
        "width": 64,
        "height": 64,
        "seed": 5,
    }
    values.update(overrides)
    return PipelineConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def backend(standin: RunningStandin) -> Iterator[ComfyUIImageBackend]:
    made = make_backend(standin)
    yield made
    made.close()


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


@pytest.mark.parametrize("form", ["list", "COMBO"])
def test_both_combo_forms_are_read(form: str) -> None:
    spec = [["euler", "dpmpp_2m"], {}] if form == "list" else ["COMBO", {"options": ["euler", "dpmpp_2m"]}]

    assert combo_options(spec) == ("euler", "dpmpp_2m")
    assert combo_options(["INT", {"default": 1}]) is None


def with_every_node(info: dict[str, Any]) -> dict[str, Any]:
    """An ``/object_info`` answer with every node a graph uses, choices only where ``info`` gives them."""
    return {node: {"input": {"required": {}}} for node in NODES} | info


def test_a1111_names_map_to_comfyuis_and_comfyuis_own_names_are_accepted() -> None:
    info: dict[str, Any] = {
        "CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": [["sub/model.safetensors"]]}}},
        "KSampler": {
            "input": {
                "required": {
                    "sampler_name": ["COMBO", {"options": ["euler_ancestral", "dpmpp_2m"]}],
                    "scheduler": [["normal", "karras"]],
                }
            }
        },
        "ImageScale": {"input": {"required": {"upscale_method": [["nearest-exact", "lanczos"]]}}},
    }
    catalog = catalog_from(with_every_node(info))

    a1111 = catalog.resolve(config(model="model", sampler="DPM++ 2M", scheduler="Karras"))
    comfy = catalog.resolve(config(model="sub/model.safetensors", sampler="dpmpp_2m", scheduler="karras"))
    default = catalog.resolve(config(model="", sampler="Euler a", scheduler="Automatic"))

    assert (a1111.checkpoint, a1111.sampler, a1111.scheduler) == (
        "sub/model.safetensors",
        "dpmpp_2m",
        "karras",
    )
    assert comfy == a1111
    assert (default.checkpoint, default.sampler, default.scheduler) == (
        "sub/model.safetensors",
        "euler_ancestral",
        "normal",
    )
    assert catalog.upscaler("Nearest").method == "nearest-exact"
    with pytest.raises(BackendError, match="unknown upscaler 'RealESRGAN_x4plus'"):
        catalog.upscaler("RealESRGAN_x4plus")  # no UpscaleModelLoader on this server


def test_unknown_names_get_close_matches_among_both_spellings() -> None:
    info: dict[str, Any] = {
        "CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": [["model.safetensors"]]}}},
        "KSampler": {
            "input": {"required": {"sampler_name": [["dpmpp_2m", "euler"]], "scheduler": [["normal"]]}}
        },
    }

    with pytest.raises(BackendError) as raised:
        catalog_from(with_every_node(info)).resolve(
            config(model="", sampler="DPM++ 2", scheduler="Automatic")
        )

    assert raised.value.message.startswith("unknown sampler 'DPM++ 2'; ComfyUI offers: dpmpp_2m, euler")
    assert raised.value.hint == "did you mean 'dpmpp_2m'?"


def test_txt2img_sends_one_branch_per_image_with_seed_plus_i(
    backend: ComfyUIImageBackend, standin: RunningStandin
) -> None:
    output = backend.txt2img(config(batch_size=3, seed=40))

    sent = next(r.body for r in standin.state.requests if r.path == "/prompt" and r.method == "POST")
    graph = sent["prompt"]
    seeds = [node["inputs"]["seed"] for node in graph.values() if node["class_type"] == "KSampler"]
    assert seeds == [40, 41, 42]
    assert [image.seed for image in output.images] == [40, 41, 42]
    assert {node["class_type"] for node in graph.values()} == {
        "CheckpointLoaderSimple",
        "CLIPTextEncode",
        "EmptyLatentImage",
        "KSampler",
        "VAEDecode",
        "SaveImage",
    }
    assert output.resolved["graph"] == graph
    assert sent["prompt_id"] == output.resolved["prompt_id"]


def test_images_are_the_bytes_comfyui_saved_and_the_history_entry_is_deleted(
    backend: ComfyUIImageBackend, standin: RunningStandin
) -> None:
    output = backend.txt2img(config(batch_size=2))

    saved = standin.state.output_files()
    assert sorted(image.data for image in output.images) == sorted(saved.values())
    assert standin.state.history == {}


def test_a_random_seed_is_drawn_client_side_never_sent_as_minus_one(
    backend: ComfyUIImageBackend, standin: RunningStandin
) -> None:
    output = backend.txt2img(config(seed=-1))

    sent = next(r.body for r in standin.state.requests if r.path == "/prompt" and r.method == "POST")
    seeds = [n["inputs"]["seed"] for n in sent["prompt"].values() if n["class_type"] == "KSampler"]
    assert seeds == [output.resolved["seed"]]
    assert seeds[0] >= 0


def test_the_same_seed_gives_the_same_pixels_in_new_files_never_an_old_cached_one(
    standin: RunningStandin,
) -> None:
    first, second = make_backend(standin), make_backend(standin)
    first.begin_run("run-one")
    second.begin_run("run-two")

    a = first.txt2img(config())
    b = second.txt2img(config())

    assert pixels(a.images[0].data) == pixels(b.images[0].data)
    assert len(standin.state.output_files()) == 2  # each run's prefix is its own: nothing from cache


def test_the_standin_serves_an_identical_prompt_from_cache(standin: RunningStandin) -> None:
    backend = make_backend(standin)
    backend.begin_run("run-same")
    graph = graphs.txt2img(config(), backend.catalog().resolve(config()), 5, "stablenew/fixed")
    with httpx.Client(base_url=standin.url) as http:
        for number in range(2):
            http.post("/prompt", json={"prompt": graph, "prompt_id": f"p{number}"})
            deadline = time.monotonic() + 10
            while f"p{number}" not in standin.state.history:
                assert time.monotonic() < deadline
                time.sleep(0.01)
    first, again = standin.state.history["p0"], standin.state.history["p1"]
    assert again["outputs"] == first["outputs"]  # the old file, as ComfyUI's cache answers
    cached = dict(again["status"]["messages"])["execution_cached"]["nodes"]
    assert sorted(cached) == sorted(graph)


def test_a_request_already_queued_is_recognised_and_waited_for_not_sent_again(
    standin: RunningStandin,
) -> None:
    backend = make_backend(standin)
    backend.begin_run("run-retried")
    names = backend.catalog().resolve(config())
    graph = graphs.txt2img(config(), names, 5, "stablenew/run-retried-txt2img-0")
    standin.state.delay = 0.3
    with httpx.Client(base_url=standin.url) as http:  # an earlier attempt whose answer was lost
        http.post("/prompt", json={"prompt": graph, "prompt_id": prompt_id_for("run-retried", "txt2img", 0)})

    output = backend.txt2img(config())

    assert standin.state.posted_prompts() == 1
    assert len(output.images) == 1


def test_img2img_uploads_the_image_and_a_collision_is_renamed(
    backend: ComfyUIImageBackend, standin: RunningStandin
) -> None:
    source = backend.txt2img(config(width=64, height=96)).images[0]
    with httpx.Client(base_url=standin.url) as http:
        first = http.post("/upload/image", files={"image": ("same.png", source.data)}).json()
        second = http.post("/upload/image", files={"image": ("same.png", source.data)}).json()
    assert (first["name"], second["name"]) == ("same.png", "same (1).png")

    output = backend.img2img(config(seed=9), source, 0.4)

    assert (output.images[0].width, output.images[0].height) == (64, 96)
    graph = output.resolved["graph"]
    load = next(n for n in graph.values() if n["class_type"] == "LoadImage")
    assert load["inputs"]["image"] == output.resolved["input_image"]
    sampler = next(n for n in graph.values() if n["class_type"] == "KSampler")
    assert sampler["inputs"]["denoise"] == 0.4


def test_upscale_with_a_model_then_to_the_exact_size(backend: ComfyUIImageBackend) -> None:
    source = backend.txt2img(config(width=64, height=64)).images[0]

    output = backend.upscale(source, "RealESRGAN_x4plus", 1.5)

    kinds = [n["class_type"] for n in output.resolved["graph"].values()]
    assert kinds == ["LoadImage", "UpscaleModelLoader", "ImageUpscaleWithModel", "ImageScale", "SaveImage"]
    assert (output.images[0].width, output.images[0].height) == (96, 96)
    assert output.resolved["upscaler"] == "RealESRGAN_x4plus.pth"


def test_routes_work_under_the_api_prefix_too(standin: RunningStandin) -> None:
    backend = ComfyUIImageBackend(standin.url + "/api", connect_timeout=2.0, read_timeout=10.0)
    try:
        output = backend.txt2img(config())
    finally:
        backend.close()  # its websocket's keepalive thread would outlive the test

    assert output.images
    assert all(r.path.startswith("/api/") for r in standin.state.requests)


def test_history_is_polled_with_growing_waits(standin: RunningStandin) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    standin.state.delay = 0.4
    backend = make_backend(standin, sleep=sleep, websocket=False)

    backend.txt2img(config())

    assert len(waits) >= 3
    assert waits == sorted(waits)
    assert waits[-1] <= 1.0


def test_credentials_in_the_url_never_reach_an_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = ComfyUIImageBackend(f"http://alice:{SECRET}@127.0.0.1:{port}", connect_timeout=1.0)

    with pytest.raises(BackendError) as raised:
        backend.prepare(config())

    assert "cannot reach ComfyUI at http://127.0.0.1:" in str(raised.value)
    assert SECRET not in str(raised.value)
    assert SECRET not in repr(backend)


def test_describe_reports_the_comfyui_version(backend: ComfyUIImageBackend) -> None:
    info = backend.describe()

    assert (info.kind, info.version) == ("comfyui", "0.3.40")


def test_stages_are_named_in_the_prefix_unique_to_the_run(standin: RunningStandin) -> None:
    backend = make_backend(standin)
    backend.begin_run("run-prefix")
    first = backend.txt2img(config(stages=stages_from_names("txt2img,upscale")))
    backend.upscale(first.images[0], "Lanczos", 2.0)

    names = sorted(standin.state.output_files())
    assert names == [
        "stablenew/run-prefix-txt2img-0_0_00001_.png",
        "stablenew/run-prefix-upscale-0_0_00001_.png",
    ]


def test_progress_comes_from_the_websockets_events(standin: RunningStandin) -> None:
    standin.state.delay = 1.0
    backend = make_backend(standin)
    seen: list[StageProgress] = []
    worker = threading.Thread(target=lambda: backend.txt2img(config(steps=8)))
    worker.start()
    try:
        while worker.is_alive():
            progress = backend.progress()
            if progress is not None:
                seen.append(progress)
            time.sleep(0.02)
    finally:
        worker.join(timeout=20)
        backend.close()

    assert seen, "no progress was reported"
    assert {p.steps for p in seen} == {8}
    steps = [p.step for p in seen]
    assert steps == sorted(steps)
    assert 0 < seen[-1].fraction <= 1
    assert backend.progress() is None  # nothing is generating now


def test_a_silent_websocket_falls_back_to_polling_and_completes(standin: RunningStandin) -> None:
    standin.state.silent_ws = True
    standin.state.delay = 0.3
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    backend = make_backend(standin, sleep=sleep)
    output = backend.txt2img(config())
    backend.close()

    assert output.images
    assert standin.state.ws_connections >= 1  # the socket was open, and said nothing
    assert backend.progress() is None
    history_reads = [r for r in standin.state.requests if r.path.startswith("/history/")]
    assert len(history_reads) >= 3  # polled: the socket never said the prompt ended


def test_the_websocket_wakes_the_wait_as_soon_as_the_prompt_ends(standin: RunningStandin) -> None:
    standin.state.delay = 0.3
    slept: list[float] = []
    backend = make_backend(standin, sleep=slept.append)

    output = backend.txt2img(config())
    backend.close()

    assert output.images
    assert standin.state.ws_connections == 1
    assert all(seconds <= 0.05 for seconds in slept)  # only the moment the history lags the socket


def test_a_200_with_node_errors_is_a_failure_and_the_prompt_is_taken_back(standin: RunningStandin) -> None:
    standin.state.fault = "node_errors_200"
    standin.state.delay = 5.0  # it would run long: taking it back must stop it
    backend = make_backend(standin)

    with pytest.raises(BackendError, match="accepted the prompt but reported node errors"):
        backend.txt2img(config())

    posted = next(r for r in standin.state.requests if r.path == "/prompt" and r.method == "POST")
    prompt_id = posted.body["prompt_id"]
    taken_back = [r.body for r in standin.state.requests if r.path == "/queue" and r.method == "POST"]
    assert taken_back == [{"delete": [prompt_id]}]
    assert standin.state.pending == []
    if standin.state.interrupt_requests:  # it had started: stopped by its own id only
        assert standin.state.interrupt_requests == [{"prompt_id": prompt_id}]
    backend.close()


def test_ctrl_c_never_interrupts_a_prompt_this_run_does_not_own(
    standin: RunningStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    standin.state.fault = "hang"
    with httpx.Client(base_url=standin.url) as http:  # another client's job is running
        graph = graphs.txt2img(config(), make_backend(standin).catalog().resolve(config()), 1, "other/job")
        http.post("/prompt", json={"prompt": graph, "prompt_id": "someone-else"})
    deadline = time.monotonic() + 5
    while standin.state.running is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    backend = make_backend(standin)
    calls = 0

    def interrupt_soon(seconds: float) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(backend._prompts, "_pause", lambda prompt_id: interrupt_soon)

    with pytest.raises(GenerationInterrupted):
        backend.txt2img(config())

    assert standin.state.interrupt_requests == []  # ours was only queued: removed, nothing interrupted
    assert [e.prompt_id for e in standin.state.pending] == []
    assert standin.state.running is not None
    assert standin.state.running.prompt_id == "someone-else"
    backend.close()


def test_a_server_that_ignores_the_clients_prompt_id_is_followed_by_its_own(standin: RunningStandin) -> None:
    standin.state.ignores_prompt_id = True
    backend = make_backend(standin)
    backend.begin_run("run-old-server")

    output = backend.txt2img(config())
    backend.close()

    assert output.images
    assert output.resolved["prompt_id"] != prompt_id_for("run-old-server", "txt2img", 0)
    assert standin.state.history == {}  # its entry, under the server's id, was deleted


def test_pre_flight_names_a_core_node_the_server_lacks_for_the_stages_asked(standin: RunningStandin) -> None:
    standin.state.missing_nodes = {"VAEEncode"}
    backend = make_backend(standin)

    backend.prepare(config(stages=stages_from_names("txt2img,upscale")))
    with pytest.raises(BackendError) as raised:
        backend.prepare(config(stages=stages_from_names("txt2img,img2img")))

    assert raised.value.message == "ComfyUI lacks the core node VAEEncode that the img2img stage needs"
    assert standin.state.posted_prompts() == 0


def test_an_upscale_model_needs_the_upscale_nodes_a_plain_resize_does_not(standin: RunningStandin) -> None:
    standin.state.missing_nodes = {"ImageUpscaleWithModel"}
    backend = make_backend(standin)

    backend.prepare(config(stages=stages_from_names("txt2img,upscale")))  # Lanczos: a plain resize
    with pytest.raises(BackendError, match="lacks the core node ImageUpscaleWithModel"):
        backend.catalog().upscaler("RealESRGAN_x4plus")
