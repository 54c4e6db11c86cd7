from __future__ import annotations

from adapters.backends.fake import FakeImageBackend
from application.check_backend import CheckBackend
from domain import BackendInfo
from tests.fakes import FakeClock


class DescribeOnly:
    """A backend that can generate but cannot list what it serves."""

    def __init__(self) -> None:
        self._fake = FakeImageBackend()
        self.prepare = self._fake.prepare
        self.txt2img = self._fake.txt2img
        self.img2img = self._fake.img2img
        self.upscale = self._fake.upscale

    def describe(self) -> BackendInfo:
        return BackendInfo(kind="plain", version=None, model="m")


def test_a_backend_without_a_report_is_described_with_empty_lists() -> None:
    result = CheckBackend(DescribeOnly(), FakeClock())()

    assert result.report.kind == "plain"
    assert result.report.current_model == "m"
    assert result.report.samplers == ()
    assert result.generation is None


def test_the_probe_learns_the_version_the_generation_reports() -> None:
    result = CheckBackend(DescribeOnly(), FakeClock())(generate=True)

    assert result.generation is not None
    assert result.generation.duration_ms == 250  # FakeClock steps 250 ms between readings
    assert result.generation.sampler == "Euler a"
    assert result.report.version == "fake-1"
