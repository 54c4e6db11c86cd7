"""A1111ImageBackend through the shared ImageBackend contract, against the stand-in, in each flavor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.backends.a1111 import A1111ImageBackend
from tests.a1111.conftest import make_backend
from tests.a1111.standin import RunningStandin
from tests.contract.image_backend_contract import ImageBackendContract


class _AgainstStandin(ImageBackendContract):
    kind = "a1111"
    flavor = "a1111"
    model = "v1-5-pruned-emaonly"
    sampler = "DPM++ 2M"
    scheduler: str | None = "Karras"
    upscaler = "R-ESRGAN 4x+"
    deterministic = True

    @pytest.fixture
    def backend(self, standin: RunningStandin) -> Iterator[A1111ImageBackend]:
        standin.state.flavor = self.flavor
        backend = make_backend(standin, self.flavor)
        yield backend
        backend.close()


class TestA1111Flavor(_AgainstStandin):
    pass


class TestForgeFlavor(_AgainstStandin):
    flavor = "forge"
    model = "sd_xl_base_1.0.safetensors [31e35c80fc]"
    sampler = "Euler a"
    scheduler = "Align Your Steps"


class TestSdNextFlavor(_AgainstStandin):
    flavor = "sdnext"
    sampler = "UniPC"
    scheduler = None
    upscaler = "Lanczos"
