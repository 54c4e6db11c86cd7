"""ComfyUIImageBackend: the ImageBackend port over ComfyUI's HTTP API, one core-node graph per stage."""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from adapters.backends.comfyui import errors, graphs
from adapters.backends.comfyui.catalog import NODES, ComfyCatalog, catalog_from
from adapters.backends.comfyui.client import ComfyClient
from adapters.backends.comfyui.events import ProgressEvents
from adapters.backends.comfyui.prompts import PromptQueue, prompt_id_for
from adapters.urls import split_credentials
from domain.backend_report import BackendReport
from domain.config import PipelineConfig
from domain.images import BackendInfo, ImageData, StageOutput
from domain.ports import BackendInspector, ImageBackend, ProgressReporter, RunScoped
from domain.run import StageProgress

logger = logging.getLogger(__name__)
KIND = "comfyui"
MAX_SEED = 2**32 - 1  # a random seed is drawn client-side: ComfyUI refuses -1


class ComfyUIImageBackend(ImageBackend, ProgressReporter, RunScoped, BackendInspector):
    """Queues one graph per call with ``POST /prompt`` and waits on ``GET /history/{prompt_id}``.

    The catalogue (``/object_info`` of the nodes used) and ``/system_stats`` are read once per
    instance. A prompt is sent once; its id is derived from the run id, the stage and the call's
    number, so a request already queued is recognised and waited for, never queued twice. Ctrl-C
    interrupts only this run's prompt (``/interrupt`` with its id, and removal from the queue).
    With ``websocket``, the progress events of ``/ws`` drive ``progress`` and wake the waiting
    loop early; ``/history`` stays the source of truth, polled with backoff either way.
    """

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 600.0,
        websocket: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        clean_url, url_user, url_password = split_credentials(url)
        user = username or url_user
        secret = password if username else (password or url_password)
        auth = (user, secret or "") if user else None
        self._client = ComfyClient(
            clean_url, auth=auth, connect_timeout=connect_timeout, read_timeout=read_timeout
        )
        client_id = uuid.uuid4().hex
        self._events = ProgressEvents(clean_url, client_id, auth) if websocket else None
        self._prompts = PromptQueue(
            self._client, self._events, client_id=client_id, deadline=read_timeout, sleep=sleep
        )
        self._run_id = uuid.uuid4().hex  # until the runner names the run
        self._calls: dict[str, int] = {}
        self._catalog: ComfyCatalog | None = None
        self._stats: dict[str, Any] | None = None
        self._last_model: str | None = None

    def __repr__(self) -> str:
        return f"ComfyUIImageBackend(url={self.url!r})"

    @property
    def url(self) -> str:
        return self._client.url

    def close(self) -> None:
        if self._events is not None:
            self._events.close()
        self._client.close()

    # -- the port -------------------------------------------------------------------------

    def begin_run(self, run_id: str) -> None:
        self._run_id = run_id
        self._calls = {}

    def prepare(self, config: PipelineConfig) -> None:
        """Check every name against ``/object_info``; read ``/system_stats`` (the version for the
        record) too, so an unreachable or foreign server is found before anything is queued."""
        self.catalog().resolve(config)
        self.system_stats()

    def txt2img(self, config: PipelineConfig) -> StageOutput:
        names = self.catalog().resolve(config)
        seed = _concrete_seed(config.seed)
        prompt_id, prefix = self._ids("txt2img")
        graph = graphs.txt2img(config, names, seed, prefix)
        images, timing = self._run(graph, prompt_id, seeds=[seed + i for i in range(config.batch_size)])
        resolved = self._resolved(config, names.checkpoint, names.sampler, names.scheduler, seed, images)
        return self._output(images, resolved, graph, timing, names.checkpoint)

    def img2img(self, config: PipelineConfig, image: ImageData, denoising_strength: float) -> StageOutput:
        names = self.catalog().resolve(config)
        seed = _concrete_seed(config.seed)
        prompt_id, prefix = self._ids("img2img")
        uploaded = self._upload(image, prefix)
        graph = graphs.img2img(config, names, seed, uploaded, denoising_strength, prefix)
        images, timing = self._run(graph, prompt_id, seeds=[seed])
        resolved = self._resolved(config, names.checkpoint, names.sampler, names.scheduler, seed, images)
        resolved["denoising_strength"] = denoising_strength
        resolved["input_image"] = uploaded
        return self._output(images, resolved, graph, timing, names.checkpoint)

    def upscale(self, image: ImageData, upscaler: str, scale: float) -> StageOutput:
        means = self.catalog().upscaler(upscaler)
        width, height = round(image.width * scale), round(image.height * scale)
        prompt_id, prefix = self._ids("upscale")
        uploaded = self._upload(image, prefix)
        graph = graphs.upscale(uploaded, means, width, height, prefix)
        images, timing = self._run(graph, prompt_id, seeds=[image.seed])
        resolved: dict[str, Any] = {
            "upscaler": means.model or means.method,
            "upscale_model": means.model,
            "resize_method": means.method,
            "scale": scale,
            "seed": image.seed,
            "width": images[0].width,
            "height": images[0].height,
            "input_image": uploaded,
        }
        return self._output(images, resolved, graph, timing, self._last_model)

    def progress(self) -> StageProgress | None:
        """The sampler's steps of the prompt being waited for, from the websocket's ``progress``
        events; None without a socket or before the first event."""
        return self._prompts.progress()

    def describe(self) -> BackendInfo:
        return BackendInfo(kind=KIND, version=self.version(), model=self._last_model)

    # -- beyond the port --------------------------------------------------------------------

    def catalog(self) -> ComfyCatalog:
        """The server's names from ``/object_info/<node>`` for each node used, read once."""
        if self._catalog is None:
            info: dict[str, Any] = {}
            for node in NODES:
                body = self._client.get_json(f"/object_info/{node}")
                if isinstance(body, dict):
                    info.update(body)
            self._catalog = catalog_from(info)
        return self._catalog

    def system_stats(self) -> dict[str, Any]:
        if self._stats is None:
            body = self._client.get_json("/system_stats")
            if not isinstance(body, dict):
                raise errors.bad_answer(self.url, "GET /system_stats", "something other than an object")
            self._stats = body
        return self._stats

    def version(self) -> str | None:
        system = self.system_stats().get("system")
        version = system.get("comfyui_version") if isinstance(system, dict) else None
        return version if isinstance(version, str) and version else None

    def report(self) -> BackendReport:
        """Version and devices from ``/system_stats``, the names from ``/object_info``. ComfyUI
        has no current model."""
        catalog = self.catalog()
        devices = self.system_stats().get("devices")
        return BackendReport(
            kind=KIND,
            url=self.url,
            version=self.version(),
            current_model=None,
            devices=tuple(_device(d) for d in devices if isinstance(d, dict))
            if isinstance(devices, list)
            else (),
            models=tuple(c.name for c in catalog.checkpoints),
            samplers=tuple(c.name for c in catalog.samplers),
            schedulers=tuple(c.name for c in catalog.schedulers),
            upscalers=tuple(c.name for c in (*catalog.upscale_models, *catalog.resize_methods)),
        )

    # -- internals --------------------------------------------------------------------------

    def _ids(self, stage: str) -> tuple[str, str]:
        """The prompt id (stable for this run, stage and call) and the SaveImage prefix unique to it."""
        number = self._calls.get(stage, 0)
        self._calls[stage] = number + 1
        return prompt_id_for(self._run_id, stage, number), f"stablenew/{self._run_id}-{stage}-{number}"

    def _upload(self, image: ImageData, prefix: str) -> str:
        body = self._client.upload_image(prefix.replace("/", "-") + "-input.png", image.data)
        subfolder = body.get("subfolder")
        name = str(body["name"])
        return f"{subfolder}/{name}" if isinstance(subfolder, str) and subfolder else name

    def _run(
        self, graph: graphs.Graph, prompt_id: str, *, seeds: list[int | None]
    ) -> tuple[list[ImageData], dict[str, Any]]:
        self.version()  # the version for the record, read before anything is queued
        return self._prompts.run(graph, prompt_id, seeds=seeds)

    def _resolved(
        self,
        config: PipelineConfig,
        checkpoint: str,
        sampler: str,
        scheduler: str,
        seed: int,
        images: list[ImageData],
    ) -> dict[str, Any]:
        return {
            "seed": seed,
            "all_seeds": [image.seed for image in images],
            "sampler": sampler,
            "scheduler": scheduler,
            "steps": config.steps,
            "cfg_scale": config.cfg_scale,
            "width": images[0].width,
            "height": images[0].height,
            "model": checkpoint,
            "model_hash": None,  # ComfyUI does not report checkpoint hashes
        }

    def _output(
        self,
        images: list[ImageData],
        resolved: dict[str, Any],
        graph: graphs.Graph,
        timing: dict[str, Any],
        model: str | None,
    ) -> StageOutput:
        self._last_model = model
        # the id the server queued it under (an old server answers its own)
        resolved.update(
            comfyui_version=self.version(), prompt_id=timing["prompt_id"], graph=graph, timing=timing
        )
        info = BackendInfo(kind=KIND, version=self.version(), model=model)
        return StageOutput(images=tuple(images), resolved=resolved, backend=info)


def _concrete_seed(seed: int) -> int:
    return secrets.randbelow(MAX_SEED + 1) if seed == -1 else seed


def _device(device: dict[str, Any]) -> str:
    name = str(device.get("name") or device.get("type") or "?")
    total = device.get("vram_total")
    return f"{name} ({total / 2**30:.1f} GiB VRAM)" if isinstance(total, int | float) and total else name


__all__ = ["ComfyUIImageBackend", "prompt_id_for"]
