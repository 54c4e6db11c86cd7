"""The stand-in itself behaves as the reference describes the WebUI, including its silent fallbacks."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.a1111.standin import RunningStandin


def post(standin: RunningStandin, path: str, body: object, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{standin.url}/sdapi/v1{path}", json=body, timeout=10, **kwargs)  # type: ignore[arg-type]


def test_an_empty_txt2img_body_uses_the_api_defaults(standin: RunningStandin) -> None:
    answer = post(standin, "/txt2img", {}).json()

    assert isinstance(answer["info"], str)
    info = json.loads(answer["info"])
    assert (info["steps"], info["width"], info["height"], info["cfg_scale"]) == (50, 512, 512, 7.0)
    assert answer["parameters"]["sampler_name"] is None  # echoed as sent


def test_sdnext_defaults_differ(standin: RunningStandin) -> None:
    standin.state.flavor = "sdnext"

    info = json.loads(post(standin, "/txt2img", {"width": 64, "height": 64}).json()["info"])

    assert (info["steps"], info["sampler_name"], info["cfg_scale"]) == (20, "UniPC", 6.0)
    assert "sd_model_name" not in info


def test_a1111_silently_replaces_unknown_sampler_and_drops_unknown_checkpoint(
    standin: RunningStandin,
) -> None:
    body = {
        "sampler_name": "Nope",
        "override_settings": {"sd_model_checkpoint": "nope"},
        "width": 64,
        "height": 64,
    }

    info = json.loads(post(standin, "/txt2img", body).json()["info"])

    assert info["sampler_name"] == "DPM++ 2M"
    assert info["sd_model_name"] == "v1-5-pruned-emaonly"


def test_sdnext_refuses_an_unknown_sampler(standin: RunningStandin) -> None:
    standin.state.flavor = "sdnext"

    answer = post(standin, "/txt2img", {"sampler_name": "Nope"})

    assert answer.status_code == 404
    assert answer.json()["detail"] == "Sampler not found"


@pytest.mark.parametrize(
    ("flavor", "keys"),
    [("a1111", {"error", "detail", "body", "errors"}), ("forge", {"error", "detail", "body", "message"})],
)
def test_server_exceptions_have_each_flavors_shape(
    standin: RunningStandin, flavor: str, keys: set[str]
) -> None:
    standin.state.flavor = flavor
    standin.state.inject("no_checkpoint")

    answer = post(standin, "/txt2img", {})

    assert answer.status_code == 500
    assert set(answer.json()) == keys


def test_basic_auth_401_has_no_www_authenticate_header(standin: RunningStandin) -> None:
    standin.state.credentials = ("alice", "pw")

    missing = httpx.get(f"{standin.url}/sdapi/v1/sd-models", timeout=5)
    wrong = httpx.get(f"{standin.url}/sdapi/v1/sd-models", auth=("alice", "no"), timeout=5)
    right = httpx.get(f"{standin.url}/sdapi/v1/sd-models", auth=("alice", "pw"), timeout=5)

    assert (missing.status_code, missing.json()["detail"]) == (401, "Not authenticated")
    assert (wrong.status_code, wrong.json()["detail"]) == (401, "Incorrect username or password")
    assert "www-authenticate" not in missing.headers
    assert right.status_code == 200


def test_img2img_without_init_images_and_output_at_request_size(standin: RunningStandin) -> None:
    first = post(standin, "/txt2img", {"width": 64, "height": 64}).json()["images"][0]

    missing = post(standin, "/img2img", {"width": 64, "height": 64})
    redrawn = json.loads(post(standin, "/img2img", {"init_images": [first]}).json()["info"])

    assert missing.status_code == 404
    assert missing.json()["detail"] == "Init image not found"
    assert (redrawn["width"], redrawn["height"]) == (512, 512)


def test_extras_rejects_a_resize_mode_out_of_range(standin: RunningStandin) -> None:
    answer = post(standin, "/extra-single-image", {"resize_mode": 2})

    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "resize_mode"]
