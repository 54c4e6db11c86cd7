"""ComfyUIImageBackend through the shared ImageBackend contract, against the stand-in."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from PIL import Image

from adapters.backends.comfyui import ComfyUIImageBackend
from domain.images import ImageData
from tests.comfyui.conftest import make_backend
from tests.comfyui.standin import RunningStandin
from tests.contract.image_backend_contract import ImageBackendContract


def graph_prompt(image: ImageData) -> str:
    """The positive prompt of the API graph ComfyUI's SaveImage wrote into the PNG's ``prompt`` chunk."""
    with Image.open(io.BytesIO(image.data)) as opened:
        text = opened.info.get("prompt")
    assert isinstance(text, str), "the PNG has no prompt text chunk"
    graph = json.loads(text)
    sampler = next(node for node in graph.values() if node["class_type"] == "KSampler")
    positive = graph[sampler["inputs"]["positive"][0]]
    return str(positive["inputs"]["text"])


class TestComfyUIBackend(ImageBackendContract):
    kind = "comfyui"
    model = "v1-5-pruned-emaonly.safetensors"
    sampler = "dpmpp_2m"
    scheduler = "karras"
    upscaler = "RealESRGAN_x4plus.pth"
    # The same seed gives the same pixels, but the PNG holds the graph, whose SaveImage prefix is
    # unique to each call: the bytes differ (tests/comfyui/test_backend.py compares the pixels).
    deterministic = False

    @pytest.fixture
    def backend(self, standin: RunningStandin) -> Iterator[ComfyUIImageBackend]:
        backend = make_backend(standin)
        yield backend
        backend.close()

    def prompt_in_png(self, image: ImageData) -> str:
        return graph_prompt(image)


class TestComfyUIBackendNewComboFormat(TestComfyUIBackend):
    """Servers that describe combos as ``["COMBO", {"options": [...]}]``, with a plain resize."""

    upscaler = "Lanczos"

    @pytest.fixture
    def backend(self, standin: RunningStandin) -> Iterator[ComfyUIImageBackend]:
        standin.state.new_combo_format = True
        backend = make_backend(standin)
        yield backend
        backend.close()
