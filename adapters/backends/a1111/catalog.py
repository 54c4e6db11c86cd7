"""The names a WebUI serves, read once from its catalogue endpoints, with every alias it accepts."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from adapters.backends.a1111 import errors
from adapters.backends.a1111.client import WebuiClient
from adapters.backends.catalog import BackendCatalog, Choice, refuse_unknown
from domain.config import PipelineConfig


@dataclass(frozen=True, slots=True)
class Resolved:
    """What to send for one config: checkpoint title (None: the server's current), sampler, scheduler."""

    checkpoint: str | None
    sampler: str
    scheduler: str | None


@dataclass(frozen=True, slots=True)
class ServerCatalog:
    """``schedulers`` is None when the server has no ``/schedulers`` (SD.Next, A1111 before v1.9)."""

    models: tuple[Choice, ...]
    samplers: tuple[Choice, ...]
    schedulers: tuple[Choice, ...] | None
    upscalers: tuple[Choice, ...]

    def resolve(self, config: PipelineConfig, *, send_scheduler: bool) -> Resolved:
        """Check every name of ``config`` (BackendError with close matches) and return what to send."""
        if config.model:
            _require_known("model", config.model, self.models)
        checked = dataclasses.replace(
            config,
            model=_canonical(self.models, config.model),
            sampler=_canonical(self.samplers, config.sampler),
            scheduler=_canonical(self.schedulers or (), config.scheduler),
        )
        self.names().check(checked)
        return Resolved(
            checkpoint=checked.model or None,
            sampler=checked.sampler,
            scheduler=checked.scheduler or None if send_scheduler and self.schedulers is not None else None,
        )

    def upscaler(self, wanted: str) -> str:
        """The server's spelling of ``wanted``; BackendError with close matches when unknown."""
        _require_known("upscaler", wanted, self.upscalers)
        return _canonical(self.upscalers, wanted)

    def names(self) -> BackendCatalog:
        return BackendCatalog(
            models=tuple(c.name for c in self.models),
            samplers=tuple(c.name for c in self.samplers),
            schedulers=None if self.schedulers is None else tuple(c.name for c in self.schedulers),
            upscalers=tuple(c.name for c in self.upscalers),
        )


def _require_known(kind: str, wanted: str, choices: tuple[Choice, ...]) -> None:
    if not any(choice.matches(wanted) for choice in choices):
        raise refuse_unknown(kind, wanted, choices)


def _canonical(choices: Iterable[Choice], wanted: str) -> str:
    if not wanted:
        return wanted
    return next((choice.name for choice in choices if choice.matches(wanted)), wanted)


def fetch_catalog(client: WebuiClient) -> ServerCatalog:
    """Read ``/sd-models``, ``/samplers``, ``/schedulers`` (404 tolerated) and ``/upscalers``."""
    models = _items(client, "/sd-models", client.get("/sd-models"))
    samplers = _items(client, "/samplers", client.get("/samplers"))
    schedulers_body = client.get("/schedulers", missing_ok=True)
    schedulers = None if schedulers_body is None else _items(client, "/schedulers", schedulers_body)
    upscalers = _items(client, "/upscalers", client.get("/upscalers"))
    return ServerCatalog(
        models=tuple(_model(item) for item in models if _text(item, "title")),
        samplers=tuple(
            Choice(_text(item, "name"), _texts(item.get("aliases")))
            for item in samplers
            if _text(item, "name")
        ),
        schedulers=None
        if schedulers is None
        else tuple(
            Choice(
                _text(item, "label") or _text(item, "name"),
                (_text(item, "name"), *_texts(item.get("aliases"))),
            )
            for item in schedulers
            if _text(item, "label") or _text(item, "name")
        ),
        upscalers=tuple(Choice(_text(item, "name")) for item in upscalers if _text(item, "name")),
    )


def _model(item: dict[str, Any]) -> Choice:
    """A checkpoint is known by its title, model_name, file name (with or without folder and
    extension), short hash and sha256, as A1111 accepts in ``sd_model_checkpoint``."""
    title = _text(item, "title")
    filename = _text(item, "filename")
    base = os.path.basename(filename.replace("\\", "/"))
    stem = os.path.splitext(base)[0]
    bare_title = title.rsplit(" [", 1)[0] if title.endswith("]") else title
    aliases = (
        _text(item, "model_name"),
        filename,
        base,
        stem,
        bare_title,
        _text(item, "hash"),
        _text(item, "sha256"),
    )
    return Choice(title, tuple(alias for alias in aliases if alias))


def _items(client: WebuiClient, path: str, body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, list):
        raise errors.bad_answer(client.url, f"GET /sdapi/v1{path}", "something other than a list")
    return [item for item in body if isinstance(item, dict)]


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return value if isinstance(value, str) else ""


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
