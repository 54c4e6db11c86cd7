"""Every failure the WebUI (or the network) can produce becomes one BackendError line with a hint."""

from __future__ import annotations

import signal
import socket
import threading
import time

import pytest

from adapters.backends.a1111 import A1111ImageBackend
from domain import BackendError, GenerationInterrupted, ImageData, PipelineConfig
from tests.a1111.conftest import PASSWORD, make_backend
from tests.a1111.standin import RunningStandin

CONFIG = PipelineConfig(prompt="a fox", model="v1-5-pruned-emaonly", sampler="Euler a", width=64, height=64)


def failure_of(call: object) -> BackendError:
    assert callable(call)
    with pytest.raises(BackendError) as caught:
        call()
    error = caught.value
    assert "\n" not in str(error)
    assert PASSWORD not in str(error)
    return error


def test_unreachable_server_names_the_url_and_how_to_start_it() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = A1111ImageBackend(
        f"http://127.0.0.1:{port}",
        username=None,
        password=None,
        flavor="a1111",
        connect_timeout=1,
        read_timeout=1,
        get_retries=1,
    )

    error = failure_of(lambda: backend.prepare(CONFIG))

    assert error.message.startswith(f"cannot reach the WebUI at http://127.0.0.1:{port}")
    assert "--api" in (error.hint or "")
    assert "--nowebui" in (error.hint or "")


@pytest.mark.parametrize("flavor", ["a1111", "forge", "sdnext"])
@pytest.mark.parametrize("password", [None, "wrong-password"])
def test_refused_credentials_point_at_username_and_password(
    standin: RunningStandin, flavor: str, password: str | None
) -> None:
    standin.state.flavor = flavor
    standin.state.credentials = ("alice", PASSWORD)
    backend = make_backend(standin, flavor, username="alice" if password else None, password=password)

    error = failure_of(lambda: backend.prepare(CONFIG))

    assert "refused the credentials" in error.message
    assert "401" in error.message
    assert "--api-auth" in (error.hint or "")


def test_the_right_credentials_are_accepted_and_never_shown(standin: RunningStandin) -> None:
    standin.state.credentials = ("alice", PASSWORD)
    backend = make_backend(standin, username="alice", password=PASSWORD)

    output = backend.txt2img(CONFIG)

    assert output.images
    assert PASSWORD not in repr(backend)
    assert PASSWORD not in repr(output)


@pytest.mark.parametrize(
    ("flavor", "wording"),
    [("a1111", "value is not a valid integer"), ("forge", "Input should be a valid integer")],
)
def test_a_rejected_request_names_the_field(standin: RunningStandin, flavor: str, wording: str) -> None:
    standin.state.flavor = flavor
    standin.state.inject("reject_steps")

    error = failure_of(lambda: make_backend(standin, flavor).txt2img(CONFIG))

    assert "rejected the POST /sdapi/v1/txt2img request (422" in error.message
    assert f"field body.steps: {wording}" in error.message


def test_missing_init_image(standin: RunningStandin) -> None:
    backend = make_backend(standin)
    source = backend.txt2img(CONFIG).images[0]
    standin.state.inject("missing_init_image")

    error = failure_of(lambda: backend.img2img(CONFIG, source, 0.5))

    assert "no init image" in error.message
    assert "404 Init image not found" in error.message


@pytest.mark.parametrize("flavor", ["a1111", "forge", "sdnext"])
def test_no_checkpoint_on_the_server(standin: RunningStandin, flavor: str) -> None:
    standin.state.flavor = flavor
    backend = make_backend(standin, flavor)
    backend.prepare(CONFIG)
    standin.state.inject("no_checkpoint")

    error = failure_of(lambda: backend.txt2img(CONFIG))

    assert error.message.startswith("the WebUI has no checkpoint to run POST /sdapi/v1/txt2img")
    assert "FileNotFoundError: No checkpoints found" in error.message
    assert "models/Stable-diffusion" in (error.hint or "")


@pytest.mark.parametrize("flavor", ["a1111", "forge"])
def test_upscaler_unknown_to_the_server(standin: RunningStandin, flavor: str) -> None:
    standin.state.flavor = flavor
    backend = make_backend(standin, flavor)
    source = backend.txt2img(CONFIG).images[0]
    standin.state.inject("unknown_upscaler")

    error = failure_of(lambda: backend.upscale(source, "Lanczos", 2.0))

    assert "does not know the upscaler" in error.message
    assert "could not find upscaler named Lanczos" in error.message


def test_out_of_memory(standin: RunningStandin) -> None:
    standin.state.inject("out_of_memory")

    error = failure_of(lambda: make_backend(standin).txt2img(CONFIG))

    assert "ran out of GPU memory" in error.message
    assert "--medvram" in (error.hint or "")


def test_a_timeout_is_reported_and_the_generation_is_not_sent_again(standin: RunningStandin) -> None:
    standin.state.delay = 1.0
    backend = make_backend(standin, read_timeout=0.3)
    backend.prepare(CONFIG)

    error = failure_of(lambda: backend.txt2img(CONFIG))

    assert "did not answer POST /sdapi/v1/txt2img within 0.3s" in error.message
    assert "read_timeout" in (error.hint or "")
    time.sleep(0.8)
    assert len(standin.state.seen("/sdapi/v1/txt2img")) == 1


def test_a_dropped_connection_is_reported_and_not_retried(standin: RunningStandin) -> None:
    standin.state.inject("drop")

    error = failure_of(lambda: make_backend(standin).txt2img(CONFIG))

    assert "dropped during POST /sdapi/v1/txt2img" in error.message
    assert "not re-sent" in (error.hint or "")
    assert len(standin.state.seen("/sdapi/v1/txt2img")) == 1


def test_a_body_that_is_not_json(standin: RunningStandin) -> None:
    standin.state.inject("not_json")

    error = failure_of(lambda: make_backend(standin).txt2img(CONFIG))

    assert "a body that is not JSON (text/html" in error.message
    assert "[backend] url" in (error.hint or "")


def test_a_server_without_the_api_routes(standin: RunningStandin) -> None:
    backend = A1111ImageBackend(
        standin.url + "/not-the-api",
        username=None,
        password=None,
        flavor="a1111",
        connect_timeout=1,
        read_timeout=1,
    )

    error = failure_of(lambda: backend.prepare(CONFIG))

    assert "has no GET /sdapi/v1/sd-models endpoint (404" in error.message


def test_ctrl_c_during_a_generation_interrupts_the_server_job(standin: RunningStandin) -> None:
    standin.state.delay = 5.0
    backend = make_backend(standin)
    backend.prepare(CONFIG)
    main = threading.main_thread().ident
    assert main is not None
    # a real SIGINT, delivered to the main thread blocked in the HTTP read, as Ctrl-C would be
    timer = threading.Timer(0.3, lambda: signal.pthread_kill(main, signal.SIGINT))
    timer.start()
    started = time.monotonic()

    with pytest.raises(GenerationInterrupted):
        backend.txt2img(CONFIG)

    assert time.monotonic() - started < 3
    assert standin.state.interrupts == 1
    assert len(standin.state.seen("/sdapi/v1/interrupt", "POST")) == 1
    # the backend is still usable afterwards
    standin.state.delay = 0.0
    assert backend.txt2img(CONFIG).images


def test_an_empty_answer_after_an_interrupt_from_elsewhere_is_an_error(standin: RunningStandin) -> None:
    standin.state.delay = 2.0
    backend = make_backend(standin)
    backend.prepare(CONFIG)

    def interrupt_from_the_webui() -> None:
        while not standin.state.job_running:
            time.sleep(0.01)
        standin.state.interrupted = True

    threading.Thread(target=interrupt_from_the_webui, daemon=True).start()
    error = failure_of(lambda: backend.txt2img(CONFIG))

    assert "returned no images" in error.message


def test_an_undecodable_image_sent_to_the_server(standin: RunningStandin) -> None:
    backend = make_backend(standin)
    backend.prepare(CONFIG)
    broken = ImageData(data=b"not a png", width=64, height=64)

    error = failure_of(lambda: backend.img2img(CONFIG, broken, 0.5))

    assert "could not decode the image" in error.message
