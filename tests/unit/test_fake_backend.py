"""What FakeImageBackend promises beyond the ImageBackend contract."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from adapters.backends import fake as fake_module
from adapters.backends.fake import FakeImageBackend, model_hash
from domain.config import PipelineConfig
from domain.errors import BackendError
from domain.images import ImageData
from domain.infotext import parse_infotext


def config(**overrides: Any) -> PipelineConfig:
    values: dict[str, Any] = {"prompt": "a lighthouse at dusk", "seed": 1234, "width": 128, "height": 128}
    values.update(overrides)
    return PipelineConfig(**values)


def rgb(image: ImageData) -> Image.Image:
    with Image.open(io.BytesIO(image.data)) as opened:
        return opened.convert("RGB")


def mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0..255."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def chunks(image: ImageData) -> dict[str, Any]:
    with Image.open(io.BytesIO(image.data)) as opened:
        return dict(opened.info)


@pytest.mark.parametrize("stage", ["txt2img", "img2img", "upscale"])
def test_fail_stage_makes_only_that_stage_fail(stage: str) -> None:
    backend = FakeImageBackend(fail_stage=stage)
    healthy = FakeImageBackend()
    image = healthy.txt2img(config()).images[0]
    calls = {
        "txt2img": lambda: backend.txt2img(config()),
        "img2img": lambda: backend.img2img(config(), image, 0.4),
        "upscale": lambda: backend.upscale(image, "Lanczos", 2),
    }

    with pytest.raises(BackendError, match=f"simulated failure in {stage}") as caught:
        calls[stage]()

    assert caught.value.hint
    for other, call in calls.items():
        if other != stage:
            assert call().images


def test_latency_is_slept_in_every_generating_call(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(fake_module.time, "sleep", slept.append)
    backend = FakeImageBackend(latency=0.25)

    image = backend.txt2img(config()).images[0]
    backend.img2img(config(), image, 0.3)
    backend.upscale(image, "Lanczos", 2)
    backend.prepare(config())
    backend.describe()

    assert slept == [0.25, 0.25, 0.25]


def test_no_latency_means_no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(fake_module.time, "sleep", slept.append)

    FakeImageBackend().txt2img(config())

    assert slept == []


@pytest.mark.parametrize(
    "kwargs",
    [{"latency": -1.0}, {"fail_stage": "render"}, {"model": "  "}, {"oom_above": -1}],
    ids=["latency", "stage", "model", "oom_above"],
)
def test_constructor_refuses_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        FakeImageBackend(**kwargs)


def test_different_seeds_give_visibly_different_pictures() -> None:
    backend = FakeImageBackend()
    pictures = [rgb(backend.txt2img(config(seed=seed)).images[0]) for seed in (1, 2, 3)]

    for i in range(3):
        for j in range(i + 1, 3):
            assert mean_difference(pictures[i], pictures[j]) > 20


def test_the_prompt_changes_the_picture() -> None:
    backend = FakeImageBackend()

    cat = rgb(backend.txt2img(config(prompt="a cat")).images[0])
    dog = rgb(backend.txt2img(config(prompt="a dog")).images[0])

    assert mean_difference(cat, dog) > 5


def test_batch_images_use_consecutive_seeds_and_differ() -> None:
    output = FakeImageBackend().txt2img(config(seed=10, batch_size=3))

    assert output.resolved["all_seeds"] == [10, 11, 12]
    assert [parse_infotext(chunks(i)["parameters"]).seed for i in output.images] == [10, 11, 12]
    assert len({image.data for image in output.images}) == 3


def test_random_seed_differs_between_calls_and_is_written_in_the_png() -> None:
    backend = FakeImageBackend()

    outputs = [backend.txt2img(config(seed=-1)) for _ in range(3)]

    seeds = [output.resolved["seed"] for output in outputs]
    assert len(set(seeds)) == 3
    assert all(0 <= seed < 2**32 for seed in seeds)
    assert [parse_infotext(chunks(o.images[0])["parameters"]).seed for o in outputs] == seeds


def test_img2img_stays_closer_to_its_input_than_an_unrelated_picture() -> None:
    backend = FakeImageBackend()
    source = backend.txt2img(config(seed=1)).images[0]
    unrelated = rgb(backend.txt2img(config(seed=2)).images[0])

    redrawn = rgb(backend.img2img(config(seed=3), source, 0.35).images[0])

    assert mean_difference(redrawn, rgb(source)) < mean_difference(unrelated, rgb(source)) / 2


@pytest.mark.parametrize(("strength", "expect_same"), [(0.0, True), (1.0, False)])
def test_denoising_strength_decides_how_much_is_redrawn(strength: float, expect_same: bool) -> None:
    backend = FakeImageBackend()
    source = backend.txt2img(config(seed=1)).images[0]

    redrawn = rgb(backend.img2img(config(seed=3), source, strength).images[0])

    assert (mean_difference(redrawn, rgb(source)) == 0) is expect_same


def test_img2img_infotext_and_resolved_carry_the_denoising_strength() -> None:
    backend = FakeImageBackend()
    source = backend.txt2img(config()).images[0]

    output = backend.img2img(config(seed=5), source, 0.45)

    parsed = parse_infotext(chunks(output.images[0])["parameters"])
    assert parsed.denoising_strength == 0.45
    assert output.resolved["denoising_strength"] == 0.45


def test_img2img_refuses_an_undecodable_input() -> None:
    with pytest.raises(BackendError, match="img2img input is not a readable image"):
        FakeImageBackend().img2img(config(), ImageData(b"nope", 64, 64), 0.5)


def test_infotext_holds_a1111_fields_in_order() -> None:
    output = FakeImageBackend().txt2img(
        config(negative_prompt="blurry, lowres", sampler="dpm++ 2m", scheduler="karras", cfg_scale=6.5)
    )

    text = chunks(output.images[0])["parameters"]
    assert text.splitlines()[-1] == (
        "Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 1234, "
        f"Size: 128x128, Model hash: {model_hash('fake-model-v1')}, Model: fake-model-v1, Version: fake-1"
    )
    assert parse_infotext(text).negative_prompt == "blurry, lowres"
    assert output.images[0].infotext == text


def test_resolved_uses_canonical_names_and_the_default_model() -> None:
    output = FakeImageBackend().txt2img(config(sampler="euler A", model=""))

    assert output.resolved["sampler"] == "Euler a"
    assert output.resolved["scheduler"] == "Automatic"
    assert output.resolved["model"] == "fake-model-v1"
    assert output.resolved["model_hash"] == model_hash("fake-model-v1")
    assert output.backend.model == "fake-model-v1"


def test_a_chosen_model_is_used_and_reported() -> None:
    output = FakeImageBackend().txt2img(config(model="fake-model-xl"))

    assert output.resolved["model"] == "fake-model-xl"
    assert output.backend.model_hash == model_hash("fake-model-xl")
    assert parse_infotext(chunks(output.images[0])["parameters"]).model == "fake-model-xl"


def test_describe_reports_the_default_model_and_its_hash() -> None:
    info = FakeImageBackend(model="my-model").describe()

    assert (info.kind, info.version, info.model) == ("fake", "fake-1", "my-model")
    assert info.model_hash is not None
    assert len(info.model_hash) == 10
    assert int(info.model_hash, 16) >= 0


def test_upscale_keeps_parameters_and_adds_postprocessing() -> None:
    backend = FakeImageBackend()
    source = backend.txt2img(config(prompt="🐱 שלום")).images[0]

    output = backend.upscale(source, "lanczos", 2)

    info = chunks(output.images[0])
    assert info["parameters"] == chunks(source)["parameters"]
    assert info["postprocessing"] == "Postprocess upscale by: 2, Postprocess upscaler: Lanczos"
    assert output.resolved["upscaler"] == "Lanczos"
    assert output.images[0].seed == source.seed


def test_upscale_resamples_the_source_rather_than_drawing_anew() -> None:
    backend = FakeImageBackend()
    source = backend.txt2img(config(seed=1)).images[0]

    bigger = rgb(backend.upscale(source, "Nearest", 2).images[0])

    assert mean_difference(bigger.resize((128, 128), Image.Resampling.NEAREST), rgb(source)) == 0


def test_upscale_refuses_an_unknown_upscaler() -> None:
    backend = FakeImageBackend()
    source = backend.txt2img(config()).images[0]

    with pytest.raises(BackendError, match="HyperZoom"):
        backend.upscale(source, "HyperZoom", 2)


def test_generation_refuses_names_the_catalogue_lacks() -> None:
    with pytest.raises(BackendError, match="Quantum"):
        FakeImageBackend().txt2img(config(sampler="Quantum"))


def test_prepare_suggests_close_names() -> None:
    with pytest.raises(BackendError) as caught:
        FakeImageBackend().prepare(config(sampler="Euler b"))

    assert caught.value.hint is not None
    assert "Euler a" in caught.value.hint


def test_report_gives_the_fake_names_without_a_url() -> None:
    backend = FakeImageBackend()

    report = backend.report()

    assert report.kind == "fake"
    assert (report.url, report.flavor, report.devices) == (None, None, None)
    assert report.models == backend.catalog.models
    assert report.current_model == backend.describe().model
    assert "Euler a" in report.samplers


def test_oom_above_fails_larger_generations_like_a_gpu_out_of_memory() -> None:
    backend = FakeImageBackend(oom_above=128 * 128)
    assert backend.txt2img(config()).images  # exactly the limit: fine
    for too_big in (config(width=136), config(batch_size=2)):
        with pytest.raises(BackendError, match="out of memory") as caught:
            backend.txt2img(too_big)
        assert caught.value.retryable is False
    small = backend.txt2img(config(width=64, height=64)).images[0]
    big = ImageData(backend.txt2img(config()).images[0].data, 128, 128)
    assert backend.img2img(config(), small, 0.5).images
    with pytest.raises(BackendError, match="out of memory"):
        FakeImageBackend(oom_above=64 * 64).img2img(config(), big, 0.5)
