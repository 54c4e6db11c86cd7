"""Every ImageBackend in this repository through the shared contract (A1111 runs in its own file)."""

from __future__ import annotations

import pytest

from adapters.backends.fake import FakeImageBackend
from tests.contract.image_backend_contract import ImageBackendContract


class TestFakeImageBackend(ImageBackendContract):
    kind = "fake"
    model = "fake-model-v1"
    sampler = "DPM++ 2M"
    scheduler = "Karras"
    upscaler = "R-ESRGAN 4x+"
    deterministic = True

    @pytest.fixture
    def backend(self) -> FakeImageBackend:
        return FakeImageBackend()
