"""FakeImageBackend: a deterministic, offline ImageBackend that draws real PNGs with Pillow.

Pictures are seeded gradients with shapes placed by the prompt, so a seed and a prompt always
give the same bytes and different seeds give visibly different pictures. Every PNG carries an
A1111-style ``parameters`` chunk, so whatever reads A1111 output reads this backend's too.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import signal
import time
from collections.abc import Sequence
from typing import Any

from PIL import Image, ImageDraw, PngImagePlugin, UnidentifiedImageError

from adapters.backends.catalog import BackendCatalog
from domain.backend_report import BackendReport
from domain.config import STAGE_NAMES, PipelineConfig
from domain.errors import BackendError
from domain.images import BackendInfo, ImageData, StageOutput
from domain.infotext import format_infotext
from domain.ports import BackendInspector, ImageBackend, ProgressReporter
from domain.run import StageProgress

KIND = "fake"
VERSION = "fake-1"
DEFAULT_MODEL = "fake-model-v1"
OTHER_MODELS = ("fake-model-xl",)
# A1111 v1.10's built-in samplers and schedulers, and its usual upscalers.
SAMPLERS = (
    "DPM++ 2M", "DPM++ SDE", "DPM++ 2M SDE", "DPM++ 2M SDE Heun", "DPM++ 2S a", "DPM++ 3M SDE",
    "Euler a", "Euler", "LMS", "Heun", "DPM2", "DPM2 a", "DPM fast", "DPM adaptive", "Restart",
    "DDIM", "DDIM CFG++", "PLMS", "UniPC", "LCM",
)  # fmt: skip
SCHEDULERS = (
    "Automatic", "Uniform", "Karras", "Exponential", "Polyexponential", "SGM Uniform", "KL Optimal",
    "Align Your Steps", "Simple", "Normal", "DDIM", "Beta",
)  # fmt: skip
UPSCALERS = (
    "None", "Lanczos", "Nearest", "ESRGAN_4x", "LDSR", "R-ESRGAN 4x+", "R-ESRGAN 4x+ Anime6B",
    "ScuNET", "ScuNET PSNR", "SwinIR_4x",
)  # fmt: skip
_MAX_SEED = 2**32 - 1
_LEVELS = 248  # palette entries of the gradient; the rest are for shapes


def model_hash(model: str) -> str:
    """A1111-style short hash: the first 10 hex digits of sha256 (here of the model's name)."""
    return hashlib.sha256(model.encode("utf-8")).hexdigest()[:10]


class FakeImageBackend(ImageBackend, ProgressReporter, BackendInspector):
    """Offline stand-in for a Stable Diffusion server.

    ``latency`` seconds are slept in every generating call (and reported by ``progress`` as
    sampling steps going by); ``fail_stage`` ("txt2img", "img2img" or "upscale") makes that
    stage raise BackendError, to rehearse failures; ``oom_above`` (pixels, 0: never) makes a
    txt2img or img2img of more pixels than that (width x height x batch size) fail as a GPU out of
    memory does, after its latency, with a BackendError that a retry cannot mend.
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        fail_stage: str | None = None,
        model: str = DEFAULT_MODEL,
        oom_above: int = 0,
        models: Sequence[str] = (),
        kill_prompt: str = "",
    ) -> None:
        if latency < 0:
            raise ValueError(f"latency must be >= 0 seconds, got {latency!r}")
        if fail_stage is not None and fail_stage not in STAGE_NAMES:
            raise ValueError(f"fail_stage must be one of {', '.join(STAGE_NAMES)}, got {fail_stage!r}")
        if not model.strip():
            raise ValueError("model must not be empty")
        if oom_above < 0:
            raise ValueError(f"oom_above must be >= 0 pixels, got {oom_above!r}")
        self._oom_above = oom_above
        self._latency = latency
        self._busy: tuple[float, int | None] | None = None  # (monotonic start, steps) of the sleeping call
        self._fail_stage = fail_stage
        if any(not name.strip() for name in models):
            raise ValueError("models must not hold an empty name")
        self._model = models[0] if models else model
        self._kill_prompt = kill_prompt
        names = tuple(models) or (model, *(m for m in OTHER_MODELS if m != model))
        self.catalog = BackendCatalog(names, SAMPLERS, SCHEDULERS, UPSCALERS)

    def describe(self) -> BackendInfo:
        return self._info(self._model)

    def report(self) -> BackendReport:
        names = self.catalog
        return BackendReport(
            KIND, VERSION, self._model, names.models, names.samplers, names.schedulers, names.upscalers
        )

    def prepare(self, config: PipelineConfig) -> None:
        self.catalog.check(config)

    def progress(self) -> StageProgress | None:
        busy = self._busy
        if busy is None or not self._latency:
            return None
        started, steps = busy
        elapsed = time.monotonic() - started
        fraction = min(1.0, elapsed / self._latency)
        step = int(fraction * steps) if steps else None
        return StageProgress(fraction, step, steps, max(0.0, self._latency - elapsed))

    def txt2img(self, config: PipelineConfig) -> StageOutput:
        if self._kill_prompt and self._kill_prompt in config.prompt:
            os.kill(os.getpid(), signal.SIGKILL)
        self._start("txt2img", config.steps)
        self.catalog.check(config)
        self._check_memory(config.width, config.height, config.batch_size)
        first = _resolve_seed(config.seed)
        seeds = [first + i for i in range(config.batch_size)]
        resolved = self._resolved(config, seeds, config.width, config.height)
        images = tuple(
            self._encode(_draw(config.width, config.height, seed, config.prompt), config, seed, resolved)
            for seed in seeds
        )
        return StageOutput(images, resolved, self._info(resolved["model"]))

    def img2img(self, config: PipelineConfig, image: ImageData, denoising_strength: float) -> StageOutput:
        self._start("img2img", config.steps)
        self.catalog.check(config)
        if not 0 <= denoising_strength <= 1:
            raise BackendError(
                f"fake backend: denoising_strength must be 0..1, got {denoising_strength!r}",
                hint="pick a denoising strength between 0 and 1",
            )
        source = _decode(image, "img2img")
        self._check_memory(source.width, source.height, 1)
        seed = _resolve_seed(config.seed)
        resolved = self._resolved(config, [seed], source.width, source.height)
        resolved["denoising_strength"] = denoising_strength
        pattern = _draw(source.width, source.height, seed, config.prompt)
        picture = Image.blend(source, pattern.convert("RGB"), denoising_strength)
        encoded = self._encode(picture, config, seed, resolved)
        return StageOutput((encoded,), resolved, self._info(resolved["model"]))

    def upscale(self, image: ImageData, upscaler: str, scale: float) -> StageOutput:
        self._start("upscale")
        name = _canonical(upscaler, UPSCALERS, "upscaler")
        if not 1 <= scale <= 8:
            raise BackendError(f"fake backend: upscale scale must be 1..8, got {scale!r}", hint="use 1..8")
        source = _decode(image, "upscale")
        size = (max(1, round(source.width * scale)), max(1, round(source.height * scale)))
        method = Image.Resampling.NEAREST if name == "Nearest" else Image.Resampling.LANCZOS
        bigger = source.resize(size, method)
        chunks = {"postprocessing": f"Postprocess upscale by: {scale:g}, Postprocess upscaler: {name}"}
        parameters = _parameters_of(image)
        if parameters is not None:
            chunks = {"parameters": parameters, **chunks}
        data = _png(bigger, chunks)
        resolved = {"upscaler": name, "scale": scale, "width": size[0], "height": size[1], "seed": image.seed}
        out = ImageData(data, size[0], size[1], seed=image.seed, infotext=parameters)
        return StageOutput((out,), resolved, self.describe())

    def _start(self, stage: str, steps: int | None = None) -> None:
        if self._latency:
            self._busy = (time.monotonic(), steps)
            try:
                time.sleep(self._latency)
            finally:
                self._busy = None
        if stage == self._fail_stage:
            raise BackendError(
                f"fake backend: simulated failure in {stage}",
                hint="this failure was asked for with the fake backend's fail_stage setting; unset it",
            )

    def _check_memory(self, width: int, height: int, batch: int) -> None:
        pixels = width * height * batch
        if self._oom_above and pixels > self._oom_above:
            raise BackendError(
                f"fake backend: CUDA out of memory (simulated: {width}x{height} x{batch} is "
                f"{pixels} pixels, above {self._oom_above})",
                hint="use a smaller size or batch; this failure was asked for with the fake backend's "
                "oom_above setting",
            )

    def _info(self, model: str) -> BackendInfo:
        return BackendInfo(kind=KIND, version=VERSION, model=model, model_hash=model_hash(model))

    def _resolved(self, config: PipelineConfig, seeds: list[int], width: int, height: int) -> dict[str, Any]:
        model = _canonical(config.model, self.catalog.models, "model") if config.model else self._model
        return {
            "seed": seeds[0],
            "all_seeds": seeds,
            "sampler": _canonical(config.sampler, SAMPLERS, "sampler"),
            "scheduler": _canonical(config.scheduler or "Automatic", SCHEDULERS, "scheduler"),
            "steps": config.steps,
            "cfg_scale": config.cfg_scale,
            "width": width,
            "height": height,
            "model": model,
            "model_hash": model_hash(model),
        }

    def _encode(
        self, picture: Image.Image, config: PipelineConfig, seed: int, resolved: dict[str, Any]
    ) -> ImageData:
        text = format_infotext(
            config.prompt,
            config.negative_prompt,
            {
                "Steps": resolved["steps"],
                "Sampler": resolved["sampler"],
                "Schedule type": resolved["scheduler"],
                "CFG scale": resolved["cfg_scale"],
                "Seed": seed,
                "Size": f"{picture.width}x{picture.height}",
                "Model hash": resolved["model_hash"],
                "Model": resolved["model"],
                "Denoising strength": resolved.get("denoising_strength"),
                "Version": VERSION,
            },
        )
        return ImageData(_png(picture, {"parameters": text}), picture.width, picture.height, seed, text)


def _resolve_seed(seed: int) -> int:
    return random.randrange(_MAX_SEED) if seed == -1 else seed


def _canonical(name: str, known: tuple[str, ...], kind: str) -> str:
    for choice in known:
        if choice.casefold() == name.casefold():
            return choice
    raise BackendError(f"fake backend: unknown {kind} {name!r}", hint=f"pick one of: {', '.join(known)}")


def _draw(width: int, height: int, seed: int, prompt: str) -> Image.Image:
    """A seeded two-colour gradient with a few shapes whose places and colours follow the prompt.

    Drawn as a palette image (gradient levels, then one entry per shape): it encodes several
    times faster than RGB, which keeps the fake's overhead negligible in benchmarks.
    """
    rng = random.Random(seed)
    start, end = _colour(rng), _colour(rng)
    vertical, reverse = rng.random() < 0.5, rng.random() < 0.5
    length = height if vertical else width
    ramp = bytes(round(i * (_LEVELS - 1) / max(1, length - 1)) for i in range(length))
    line = Image.frombytes("P", (1, length) if vertical else (length, 1), ramp[::-1] if reverse else ramp)
    picture = line.resize((width, height), Image.Resampling.NEAREST)
    palette = [_mix(start, end, level / (_LEVELS - 1)) for level in range(_LEVELS)]
    shapes = random.Random(hashlib.sha256(f"{seed}\x00{prompt}".encode()).digest())
    draw = ImageDraw.Draw(picture)
    for index in range(shapes.randint(3, 6)):
        x0, x1 = sorted(shapes.randrange(width) for _ in range(2))
        y0, y1 = sorted(shapes.randrange(height) for _ in range(2))
        box = (x0, y0, max(x1, x0 + width // 8), max(y1, y0 + height // 8))
        shape = draw.ellipse if shapes.random() < 0.5 else draw.rectangle
        shape(box, fill=_LEVELS + index)
        palette.append(_colour(shapes))
    picture.putpalette([channel for colour in palette for channel in colour])
    return picture


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def _mix(start: tuple[int, int, int], end: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    r, g, b = (round(a + (z - a) * t) for a, z in zip(start, end, strict=True))
    return (r, g, b)


def _png(picture: Image.Image, chunks: dict[str, str]) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, text in chunks.items():
        info.add_text(key, text)  # tEXt when Latin-1 encodable, else iTXt (UTF-8)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", pnginfo=info, compress_level=1)
    return buffer.getvalue()


def _decode(image: ImageData, stage: str) -> Image.Image:
    try:
        with Image.open(io.BytesIO(image.data)) as opened:
            return opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise BackendError(
            f"fake backend: the {stage} input is not a readable image ({exc})",
            hint="pass PNG or JPEG bytes",
        ) from exc


def _parameters_of(image: ImageData) -> str | None:
    if image.infotext is not None:
        return image.infotext
    try:
        with Image.open(io.BytesIO(image.data)) as opened:
            value = opened.info.get("parameters")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return value if isinstance(value, str) else None
