"""What A1111ImageBackend sends and keeps, checked on the wire against the stand-in."""

from __future__ import annotations

import base64
import io
import socket
import threading
import time

import pytest
from PIL import Image

from adapters.backends.a1111 import A1111ImageBackend
from domain import BackendError, ConfigError, PipelineConfig
from domain.infotext import parse_infotext
from tests.a1111.conftest import make_backend
from tests.a1111.standin import RunningStandin, StandinState, run_standin


def config(**overrides: object) -> PipelineConfig:
    values: dict[str, object] = {
        "prompt": "a lighthouse at dusk",
        "negative_prompt": "blurry",
        "model": "v1-5-pruned-emaonly",
        "sampler": "Euler a",
        "scheduler": "Karras",
        "steps": 12,
        "cfg_scale": 5.5,
        "width": 128,
        "height": 96,
        "seed": 77,
        "batch_size": 2,
    }
    values.update(overrides)
    return PipelineConfig(**values)  # type: ignore[arg-type]


def sent(standin: RunningStandin, path: str) -> dict[str, object]:
    bodies = standin.state.seen(f"/sdapi/v1{path}", "POST")
    assert len(bodies) == 1, f"expected one {path} request, saw {len(bodies)}"
    body = bodies[0].body
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("flavor", ["a1111", "forge", "sdnext"])
def test_txt2img_sends_every_generation_field_explicitly(standin: RunningStandin, flavor: str) -> None:
    standin.state.flavor = flavor
    make_backend(standin, flavor).txt2img(config())

    body = sent(standin, "/txt2img")
    assert body["prompt"] == "a lighthouse at dusk"
    assert body["negative_prompt"] == "blurry"
    assert (body["steps"], body["cfg_scale"], body["width"], body["height"]) == (12, 5.5, 128, 96)
    assert (body["seed"], body["batch_size"], body["n_iter"]) == (77, 2, 1)
    assert body["sampler_name"] == "Euler a"
    assert body["override_settings"] == {
        "sd_model_checkpoint": "v1-5-pruned-emaonly.safetensors [6ce0161689]"
    }
    assert body["enable_hr"] is False
    assert ("scheduler" in body) is (flavor != "sdnext")
    assert ("hr_cfg" in body) is (flavor == "forge")
    if flavor == "forge":
        assert body["hr_cfg"] == 5.5  # Forge would otherwise use 1.0 in a hires pass


@pytest.mark.parametrize(
    "alias",
    [
        "v1-5-pruned-emaonly.safetensors [6ce0161689]",
        "v1-5-pruned-emaonly.safetensors",
        "6ce0161689",
        "6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa",
        "V1-5-PRUNED-EMAONLY",
    ],
)
def test_every_checkpoint_alias_is_accepted_and_sent_as_the_title(
    standin: RunningStandin, alias: str
) -> None:
    make_backend(standin).txt2img(config(model=alias, batch_size=1))

    assert sent(standin, "/txt2img")["override_settings"] == {
        "sd_model_checkpoint": "v1-5-pruned-emaonly.safetensors [6ce0161689]"
    }


def test_empty_model_keeps_the_servers_current_checkpoint(standin: RunningStandin) -> None:
    standin.state.current_model = "sd_xl_base_1.0.safetensors [31e35c80fc]"

    output = make_backend(standin).txt2img(config(model="", batch_size=1))

    assert sent(standin, "/txt2img")["override_settings"] == {}
    assert output.backend.model == "sd_xl_base_1.0"
    assert output.backend.model_hash == "31e35c80fc"


def test_sampler_and_scheduler_aliases_are_sent_by_their_names(standin: RunningStandin) -> None:
    make_backend(standin).txt2img(config(sampler="k_euler_a", scheduler="align_your_steps", batch_size=1))

    body = sent(standin, "/txt2img")
    assert (body["sampler_name"], body["scheduler"]) == ("Euler a", "Align Your Steps")


def test_results_keep_the_exact_bytes_and_what_the_server_resolved(standin: RunningStandin) -> None:
    output = make_backend(standin).txt2img(config(seed=-1, scheduler="Automatic", sampler="DPM++ 2M"))

    assert [image.data for image in output.images] == [base64.b64decode(s) for s in standin.state.served]
    seeds = output.resolved["seeds"]
    assert len(seeds) == 2
    assert seeds[1] == seeds[0] + 1
    assert [image.seed for image in output.images] == seeds
    assert output.resolved["sampler"] == "DPM++ 2M"
    assert output.resolved["scheduler"] == "Karras"  # "Automatic" resolved by the server
    assert (output.resolved["model"], output.resolved["model_hash"]) == ("v1-5-pruned-emaonly", "6ce0161689")
    assert output.resolved["version"] == output.backend.version == "v1.10.1"
    for image, infotext in zip(output.images, output.resolved["infotexts"], strict=True):
        with Image.open(io.BytesIO(image.data)) as png:
            assert png.info["parameters"] == infotext == image.infotext
        assert parse_infotext(infotext).seed == image.seed
    assert output.resolved["request"]["seed"] == -1


def test_sdnext_answers_without_model_name_still_name_the_model(standin: RunningStandin) -> None:
    standin.state.flavor = "sdnext"

    output = make_backend(standin, "sdnext").txt2img(config(sampler="UniPC", batch_size=1))

    assert output.backend.model == "v1-5-pruned-emaonly.safetensors [6ce0161689]"
    assert output.resolved["scheduler"] is None


def test_img2img_sends_the_input_and_its_own_size(standin: RunningStandin) -> None:
    backend = make_backend(standin)
    source = backend.txt2img(config(width=64, height=96, batch_size=1)).images[0]

    output = backend.img2img(config(width=512, height=512), source, 0.3)

    body = sent(standin, "/img2img")
    assert body["init_images"] == [base64.b64encode(source.data).decode()]
    assert (body["width"], body["height"], body["denoising_strength"]) == (64, 96, 0.3)
    assert (body["batch_size"], body["n_iter"], len(output.images)) == (1, 1, 1)
    assert (output.images[0].width, output.images[0].height) == (64, 96)
    assert output.resolved["request"]["init_images"] != body["init_images"]  # records stay small


def test_upscale_keeps_the_input_infotext_and_resolves_the_upscaler_name(standin: RunningStandin) -> None:
    backend = make_backend(standin)
    source = backend.txt2img(config(batch_size=1)).images[0]

    output = backend.upscale(source, "r-esrgan 4x+", 2.0)

    body = sent(standin, "/extra-single-image")
    assert (body["upscaler_1"], body["upscaling_resize"], body["resize_mode"]) == ("R-ESRGAN 4x+", 2.0, 0)
    image = output.images[0]
    assert (image.width, image.height, image.seed) == (256, 192, source.seed)
    assert image.infotext == source.infotext
    assert image.data == base64.b64decode(standin.state.served[-1])


def test_catalogues_are_read_once_per_backend(standin: RunningStandin) -> None:
    backend = make_backend(standin)
    backend.prepare(config())
    backend.txt2img(config())
    backend.txt2img(config())

    for path in ("/sd-models", "/samplers", "/schedulers", "/upscalers"):
        assert len(standin.state.seen(f"/sdapi/v1{path}")) == 1


def test_a_server_without_schedulers_route_gets_no_scheduler_field(standin: RunningStandin) -> None:
    standin.state.has_schedulers_route = False  # A1111 before v1.9
    backend = make_backend(standin)

    backend.prepare(config(scheduler="Nonexistent"))
    backend.txt2img(config(batch_size=1))

    assert "scheduler" not in sent(standin, "/txt2img")


@pytest.mark.parametrize(
    ("field", "value", "close"),
    [
        ("sampler", "Euler A2", "'Euler a'"),
        ("scheduler", "Karas", "'Karras'"),
        ("model", "v1-5-pruned", "'v1-5-pruned-emaonly.safetensors [6ce0161689]'"),
    ],
)
def test_preflight_refuses_unknown_names_before_any_generation(
    standin: RunningStandin, field: str, value: str, close: str
) -> None:
    backend = make_backend(standin)

    with pytest.raises(BackendError) as caught:
        backend.txt2img(config(**{field: value}))

    assert f"unknown {field} '{value}'" in caught.value.message
    assert close in (caught.value.hint or "")
    assert standin.state.seen("/sdapi/v1/txt2img") == []


def test_upscale_refuses_an_unknown_upscaler_before_sending(standin: RunningStandin) -> None:
    backend = make_backend(standin)
    source = backend.txt2img(config(batch_size=1)).images[0]

    with pytest.raises(BackendError, match="unknown upscaler 'Lanczoz'") as caught:
        backend.upscale(source, "Lanczoz", 2.0)

    assert "'Lanczos'" in (caught.value.hint or "")
    assert standin.state.seen("/sdapi/v1/extra-single-image") == []


def test_describe_reports_current_model_and_version_after_a_generation(standin: RunningStandin) -> None:
    backend = make_backend(standin)
    before = backend.describe()
    backend.txt2img(config(batch_size=1))
    after = backend.describe()

    assert (before.kind, before.model, before.model_hash, before.version) == (
        "a1111",
        "v1-5-pruned-emaonly",
        "6ce0161689",
        None,
    )
    assert after.version == "v1.10.1"


def test_describe_reads_sdnext_version_route(standin: RunningStandin) -> None:
    standin.state.flavor = "sdnext"

    assert make_backend(standin, "sdnext").describe().version == "sd.next 2025-03-02 431bcc36"


def test_credentials_in_the_url_become_basic_auth_and_leave_the_url(standin: RunningStandin) -> None:
    standin.state.credentials = ("alice", "pa:ss w0rd")
    url = standin.url.replace("http://", "http://alice:pa%3Ass%20w0rd@")
    backend = A1111ImageBackend(
        url, username=None, password=None, flavor="a1111", connect_timeout=2, read_timeout=5
    )

    assert backend.url == standin.url
    assert "pa:ss" not in repr(backend)
    assert "alice" not in repr(backend)
    backend.prepare(config())


def test_a_user_named_in_the_url_takes_the_password_setting(standin: RunningStandin) -> None:
    standin.state.credentials = ("alice", "from-the-setting")
    url = standin.url.replace("http://", "http://alice@")
    backend = A1111ImageBackend(
        url, username=None, password="from-the-setting", flavor="a1111", connect_timeout=2, read_timeout=5
    )

    backend.prepare(config())


@pytest.mark.parametrize(
    "url", ["localhost:7860", "ftp://host/", "http://", "http://h:99999", "http://u:p@h:abc", "http://a..b"]
)
def test_a_url_that_is_not_http_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match=r"backend\.url"):
        A1111ImageBackend(
            url, username=None, password=None, flavor="a1111", connect_timeout=1, read_timeout=1
        )


def test_catalogue_gets_are_retried_while_the_server_starts() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = A1111ImageBackend(
        f"http://127.0.0.1:{port}",
        username=None,
        password=None,
        flavor="a1111",
        connect_timeout=1,
        read_timeout=5,
        get_retries=6,
    )
    started = threading.Event()

    def start_late() -> None:
        time.sleep(0.4)
        with run_standin(StandinState(), port=port):
            started.set()
            time.sleep(3)

    threading.Thread(target=start_late, daemon=True).start()
    backend.prepare(config())

    assert started.is_set()


def test_progress_is_the_webuis_own_report_while_a_job_runs(standin: RunningStandin) -> None:
    import threading
    import time

    backend = make_backend(standin)
    assert backend.progress() is None  # idle
    standin.state.delay = 1.0
    try:
        worker = threading.Thread(target=backend.txt2img, args=(config(),))
        worker.start()
        seen = []
        while worker.is_alive():
            report = backend.progress()
            if report is not None:
                seen.append(report.fraction)
            time.sleep(0.1)
        worker.join()
    finally:
        standin.state.delay = 0.0
    assert seen
    assert all(0 <= fraction <= 1 for fraction in seen)
    assert max(seen) > 0
    assert backend.progress() is None
