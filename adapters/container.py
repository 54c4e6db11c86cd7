"""The composition root: the one place that knows which adapter serves which port."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers
from pydantic import SecretStr

from adapters.backends.fake import FakeImageBackend
from adapters.clock import SystemClock
from adapters.settings import Settings
from adapters.sinks.jsonl import JsonlRecordSink
from adapters.sinks.null import NullRecordSink
from adapters.storage.filesystem import FilesystemArtifactStore
from application.controller import PipelineController
from domain.ports import ImageBackend


def _a1111_backend(**settings: Any) -> ImageBackend:
    from adapters.backends.a1111 import A1111ImageBackend  # httpx is imported only when it is chosen

    return A1111ImageBackend(**settings)


def _reveal(secret: SecretStr) -> str | None:
    return secret.get_secret_value() or None


def _none_if_empty(value: str) -> str | None:
    return value or None


class Container(containers.DeclarativeContainer):
    """Selectors pick the sink and the backend by name; only the chosen one is ever built."""

    config = providers.Configuration(strict=True)

    clock = providers.Singleton(SystemClock)
    artifact_store = providers.Singleton(FilesystemArtifactStore, output_dir=config.output.dir)

    record_sink = providers.Selector(
        config.learning.sink,
        jsonl=providers.Singleton(
            JsonlRecordSink, records_path=config.learning.records_path, durability=config.learning.durability
        ),
        null=providers.Singleton(NullRecordSink),
    )

    image_backend = providers.Selector(
        config.backend.kind,
        fake=providers.Singleton(
            FakeImageBackend,
            latency=config.backend.fake_latency,
            fail_stage=providers.Callable(_none_if_empty, config.backend.fake_fail_stage),
        ),
        a1111=providers.Singleton(
            _a1111_backend,
            url=config.backend.url,
            username=providers.Callable(_none_if_empty, config.backend.username),
            password=providers.Callable(_reveal, config.backend.password),
            flavor=config.backend.flavor,
            connect_timeout=config.backend.connect_timeout,
            read_timeout=config.backend.read_timeout,
        ),
    )

    controller = providers.Factory(
        PipelineController,
        backend=image_backend,
        artifacts=artifact_store,
        clock=clock,
        sink_factory=record_sink.provider,
        learning_enabled=config.learning.enabled,
        record_failures=config.learning.record_failures,
    )


def build_container(settings: Settings) -> Container:
    """A fresh container filled from ``settings``; nothing is built until it is asked for."""
    container = Container()
    container.config.from_pydantic(settings)
    return container
