"""A1111ImageBackend: the ImageBackend port over the AUTOMATIC1111 WebUI API (A1111, Forge, SD.Next)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from adapters.backends.a1111 import payloads
from adapters.backends.a1111.catalog import ServerCatalog, fetch_catalog
from adapters.backends.a1111.client import WebuiClient
from adapters.backends.a1111.flavors import Flavor, flavor_named
from adapters.backends.a1111.responses import decode_image, generation_result, progress_of, resolved_values
from adapters.urls import split_credentials
from domain.backend_report import BackendReport
from domain.config import PipelineConfig
from domain.errors import BackendError, GenerationInterrupted
from domain.images import BackendInfo, ImageData, StageOutput
from domain.ports import BackendInspector, ImageBackend, ProgressReporter
from domain.run import StageProgress

logger = logging.getLogger(__name__)
KIND = "a1111"
T = TypeVar("T")


class A1111ImageBackend(ImageBackend, ProgressReporter, BackendInspector):
    """Generates through ``/sdapi/v1`` with every relevant field sent explicitly.

    The catalogues are read once per instance (first ``prepare`` or generation). Generation
    calls are sent once: a timeout or a dropped connection is reported, never re-sent. Ctrl-C
    during a generation sends ``/interrupt`` and raises GenerationInterrupted.
    """

    def __init__(
        self,
        url: str,
        *,
        username: str | None,
        password: str | None,
        flavor: str,
        connect_timeout: float,
        read_timeout: float,
        get_retries: int = 2,
    ) -> None:
        clean_url, url_user, url_password = split_credentials(url)
        # The username setting brings its own password; a user named only in the URL may take
        # the password from the setting, so no secret has to be written into the URL.
        user = username or url_user
        secret = password if username else (password or url_password)
        self._flavor: Flavor = flavor_named(flavor)
        self._client = WebuiClient(
            clean_url,
            auth=(user, secret or "") if user else None,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            get_retries=get_retries,
        )
        self._catalog: ServerCatalog | None = None
        self._last_info = BackendInfo(kind=KIND)

    def __repr__(self) -> str:
        return f"A1111ImageBackend(url={self.url!r}, flavor={self._flavor.name!r})"

    @property
    def url(self) -> str:
        return self._client.url

    def close(self) -> None:
        self._client.close()

    # -- the port -------------------------------------------------------------------------

    def prepare(self, config: PipelineConfig) -> None:
        self.catalog().resolve(config, send_scheduler=self._flavor.has_schedulers)

    def txt2img(self, config: PipelineConfig) -> StageOutput:
        names = self.catalog().resolve(config, send_scheduler=self._flavor.has_schedulers)
        payload = payloads.txt2img_payload(config, self._flavor, names)
        return self._generate("/txt2img", payload, "txt2img")

    def img2img(self, config: PipelineConfig, image: ImageData, denoising_strength: float) -> StageOutput:
        names = self.catalog().resolve(config, send_scheduler=self._flavor.has_schedulers)
        payload = payloads.img2img_payload(
            config,
            self._flavor,
            image=image.data,
            width=image.width,
            height=image.height,
            denoising_strength=denoising_strength,
            names=names,
        )
        return self._generate("/img2img", payload, "img2img")

    def upscale(self, image: ImageData, upscaler: str, scale: float) -> StageOutput:
        name = self.catalog().upscaler(upscaler)
        payload = payloads.upscale_payload(image.data, name, scale)
        where = "POST /sdapi/v1/extra-single-image"
        body = self._interruptible(lambda: self._client.post("/extra-single-image", payload, action=where))
        if not isinstance(body, dict):
            raise BackendError(f"{where} answered with something other than an object")
        result = decode_image(body.get("image"), seed=image.seed, infotext=None, where=where)
        resolved = {
            "upscaler": name,
            "scale": scale,
            "seed": image.seed,
            "width": result.width,
            "height": result.height,
            "postprocessing": body.get("html_info") if isinstance(body.get("html_info"), str) else None,
            "request": payloads.without_images(payload),
        }
        return StageOutput(images=(result,), resolved=resolved, backend=self._last_info)

    def progress(self) -> StageProgress | None:
        """The WebUI's own progress report of the job it is running (A1111, Forge and SD.Next)."""
        return progress_of(self._client.progress())

    def describe(self) -> BackendInfo:
        """Kind, version and current model. A1111 and Forge report their version only with a
        generation, so it is None until one ran (SD.Next answers ``/version``)."""
        options = self._client.get("/options")
        current = options.get("sd_model_checkpoint") if isinstance(options, dict) else None
        model, model_hash = self._model_identity(current if isinstance(current, str) else None)
        return BackendInfo(
            kind=KIND,
            version=self._last_info.version or self._version(),
            model=model or self._last_info.model,
            model_hash=model_hash or self._last_info.model_hash,
        )

    # -- beyond the port --------------------------------------------------------------------

    def catalog(self) -> ServerCatalog:
        """The server's names, read on first use and kept for the life of this backend."""
        if self._catalog is None:
            self._catalog = fetch_catalog(self._client)
        return self._catalog

    def report(self) -> BackendReport:
        names = self.catalog().names()
        info = self.describe()
        return BackendReport(
            kind=KIND,
            version=info.version,
            current_model=info.model,
            models=names.models,
            samplers=names.samplers,
            schedulers=names.schedulers,
            upscalers=names.upscalers,
            url=self.url,
            flavor=self._flavor.name,
        )

    # -- internals --------------------------------------------------------------------------

    def _generate(self, path: str, payload: dict[str, Any], stage: str) -> StageOutput:
        where = f"POST /sdapi/v1{path}"
        body = self._interruptible(lambda: self._client.post(path, payload, action=where))
        images, info = generation_result(body, where)
        resolved = resolved_values(info, images)
        resolved["request"] = payloads.without_images(payload)
        checkpoint = payload.get("override_settings", {}).get("sd_model_checkpoint")
        self._last_info = BackendInfo(
            kind=KIND,
            version=_text(info.get("version")),
            model=_text(info.get("sd_model_name")) or checkpoint,
            model_hash=_text(info.get("sd_model_hash")),
        )
        if resolved["model"] is None:
            resolved["model"] = self._last_info.model
        logger.debug("%s made %d image(s) with seeds %s", stage, len(images), resolved["seeds"])
        return StageOutput(images=tuple(images), resolved=resolved, backend=self._last_info)

    def _interruptible(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except KeyboardInterrupt:
            stopped = self._client.interrupt()
            logger.info("generation interrupted by the user; server told to stop: %s", stopped)
            raise GenerationInterrupted(
                "interrupted by the user" + ("" if stopped else "; the server could not be told to stop")
            ) from None

    def _model_identity(self, current: str | None) -> tuple[str | None, str | None]:
        if not current:
            return None, None
        for choice in self.catalog().models:
            if choice.matches(current):
                # aliases start with model_name, the name generations report as sd_model_name
                short_hash = next((a for a in choice.aliases if len(a) == 10 and _is_hex(a)), None)
                return (choice.aliases[0] if choice.aliases else choice.name), short_hash
        return current, None

    def _version(self) -> str | None:
        try:
            body = self._client.get("/version", missing_ok=True)
        except BackendError:
            return None
        if isinstance(body, dict):
            if isinstance(body.get("version"), str):
                return str(body["version"])
            parts = [str(body[key]) for key in ("app", "updated", "hash") if isinstance(body.get(key), str)]
            return " ".join(parts) or None
        return body if isinstance(body, str) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_hex(text: str) -> bool:
    return all(ch in "0123456789abcdefABCDEF" for ch in text)
