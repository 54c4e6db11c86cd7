"""The ImageBackend contract (domain.ports.ImageBackend), for any implementation.

Subclass ``ImageBackendContract`` in a ``test_*.py`` file as ``TestMyBackend``, provide a
``backend`` fixture and set the class attributes to names your backend knows. Only what the
port's docstring promises is checked.
"""

from __future__ import annotations

import io
from typing import Any, ClassVar

import pytest
from PIL import Image

from domain.config import PipelineConfig, stage_from_dict
from domain.errors import BackendError
from domain.images import ImageData
from domain.infotext import parse_infotext
from domain.ports import ImageBackend

# emoji, quotes, separators, a newline, Hebrew (right-to-left), CJK and Latin-1 accents
UNICODE_PROMPT = 'a 🐱 on a mat, "quoted": yes\n\u05e9\u05dc\u05d5\u05dd, 猫 — café'


class ImageBackendContract:
    """Shared tests; pytest collects them only through a ``Test*`` subclass."""

    kind: ClassVar[str]
    model: ClassVar[str]
    sampler: ClassVar[str]
    scheduler: ClassVar[str | None]  # None for backends without schedulers (SD.Next)
    upscaler: ClassVar[str]
    deterministic: ClassVar[bool] = False

    @pytest.fixture
    def backend(self) -> ImageBackend:
        raise NotImplementedError("a contract subclass provides the backend fixture")

    def config(self, **overrides: Any) -> PipelineConfig:
        values: dict[str, Any] = {
            "prompt": "a lighthouse at dusk",
            "negative_prompt": "blurry",
            "model": self.model,
            "sampler": self.sampler,
            "scheduler": self.scheduler or "Automatic",
            "steps": 4,
            "width": 96,
            "height": 64,
            "seed": 1234,
        }
        values.update(overrides)
        return PipelineConfig(**values)

    def test_txt2img_makes_a_batch_of_pngs_of_the_requested_size(self, backend: ImageBackend) -> None:
        output = backend.txt2img(self.config(batch_size=2, width=96, height=64))

        assert len(output.images) == 2
        for image in output.images:
            assert _decoded_size(image) == (96, 64)
            assert (image.width, image.height) == (96, 64)

    def prompt_in_png(self, image: ImageData) -> str:
        """The prompt as the PNG's text chunks record it. A1111-style servers write a ``parameters``
        chunk (the default here); a backend whose server writes another chunk overrides this."""
        return parse_infotext(_parameters(image)).prompt

    def test_each_png_carries_the_prompt_in_its_text_chunks(self, backend: ImageBackend) -> None:
        output = backend.txt2img(self.config(prompt=UNICODE_PROMPT))

        assert self.prompt_in_png(output.images[0]) == UNICODE_PROMPT

    def test_explicit_seed_is_reported_and_image_i_uses_seed_plus_i(self, backend: ImageBackend) -> None:
        output = backend.txt2img(self.config(seed=4242, batch_size=2))

        assert output.resolved["seed"] == 4242
        assert [image.seed for image in output.images] == [4242, 4243]

    def test_random_seed_is_resolved_to_a_concrete_seed(self, backend: ImageBackend) -> None:
        output = backend.txt2img(self.config(seed=-1))

        seed = output.resolved["seed"]
        assert isinstance(seed, int)
        assert seed >= 0
        assert output.images[0].seed == seed

    def test_resolved_reports_what_was_used(self, backend: ImageBackend) -> None:
        output = backend.txt2img(self.config(steps=5, cfg_scale=6.5))

        resolved = output.resolved
        assert resolved["sampler"] == self.sampler
        assert (resolved["steps"], resolved["cfg_scale"]) == (5, 6.5)
        assert (resolved["width"], resolved["height"]) == (96, 64)
        if self.scheduler is not None:
            assert resolved["scheduler"] == self.scheduler

    def test_same_config_gives_the_same_result(self, backend: ImageBackend) -> None:
        first = backend.txt2img(self.config(seed=99))
        second = backend.txt2img(self.config(seed=99))

        assert second.resolved["seed"] == first.resolved["seed"] == 99
        if self.deterministic:
            assert second.images[0].data == first.images[0].data

    def test_outputs_say_which_backend_made_them(self, backend: ImageBackend) -> None:
        output = backend.txt2img(self.config())

        assert output.backend.kind == self.kind

    def test_img2img_redraws_at_the_input_size(self, backend: ImageBackend) -> None:
        source = backend.txt2img(self.config(width=64, height=96)).images[0]

        output = backend.img2img(self.config(seed=7, width=512, height=512, batch_size=2), source, 0.5)

        (image,) = output.images  # one image per input, whatever the batch size
        assert _decoded_size(image) == (64, 96)
        assert output.resolved["denoising_strength"] == 0.5
        assert output.resolved["seed"] == 7

    @pytest.mark.parametrize(("scale", "expected"), [(2.0, (192, 128)), (1.5, (144, 96))])
    def test_upscale_enlarges_by_scale(
        self, backend: ImageBackend, scale: float, expected: tuple[int, int]
    ) -> None:
        source = backend.txt2img(self.config(width=96, height=64)).images[0]

        output = backend.upscale(source, self.upscaler, scale)

        assert [_decoded_size(image) for image in output.images] == [expected]
        assert (output.images[0].width, output.images[0].height) == expected
        assert (output.resolved["width"], output.resolved["height"]) == expected
        assert output.resolved["scale"] == scale

    def test_prepare_accepts_names_the_backend_knows_and_may_be_called_again(
        self, backend: ImageBackend
    ) -> None:
        config = self.config(stages=_stages(self.upscaler))

        backend.prepare(config)
        backend.prepare(config)
        backend.prepare(self.config(model=""))

    def test_prepare_refuses_an_unknown_sampler_naming_it(self, backend: ImageBackend) -> None:
        with pytest.raises(BackendError, match="Quantum Sampler 9000"):
            backend.prepare(self.config(sampler="Quantum Sampler 9000"))

    def test_prepare_refuses_an_unknown_upscaler_naming_it(self, backend: ImageBackend) -> None:
        with pytest.raises(BackendError, match="HyperZoom 64x"):
            backend.prepare(self.config(stages=_stages("HyperZoom 64x")))

    def test_prepare_refuses_an_unknown_model_naming_it(self, backend: ImageBackend) -> None:
        with pytest.raises(BackendError, match="no-such-checkpoint"):
            backend.prepare(self.config(model="no-such-checkpoint"))

    def test_describe_reports_the_kind(self, backend: ImageBackend) -> None:
        info = backend.describe()

        assert info.kind == self.kind


def _stages(upscaler: str) -> tuple[Any, ...]:
    return (stage_from_dict({"name": "txt2img"}), stage_from_dict({"name": "upscale", "upscaler": upscaler}))


def _decoded_size(image: ImageData) -> tuple[int, int]:
    with Image.open(io.BytesIO(image.data)) as opened:
        assert opened.format == "PNG"
        return opened.size


def _parameters(image: ImageData) -> str:
    with Image.open(io.BytesIO(image.data)) as opened:
        text = opened.info.get("parameters")
    assert isinstance(text, str), "the PNG has no parameters text chunk"
    return text
