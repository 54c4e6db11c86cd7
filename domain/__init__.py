"""The domain: what a pipeline run and its learning record are, and the ports the use cases need.

Standard library only. The names below are loaded on first use (PEP 562): importing one domain
module, or ``domain``, does not build every dataclass of the package, which every command's
start-up would pay for.
"""

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from domain.backend_report import BackendReport
    from domain.config import (
        STAGE_NAMES,
        Img2ImgStage,
        PipelineConfig,
        StageSpec,
        Txt2ImgStage,
        UpscaleStage,
        stage_from_dict,
        stages_from_names,
    )
    from domain.errors import (
        BackendError,
        ConfigError,
        GenerationInterrupted,
        RecordSerializationError,
        RecordStoreError,
        StableNewError,
        UnsupportedSchemaVersion,
    )
    from domain.images import BackendInfo, ImageArtifact, ImageData, StageOutput
    from domain.ports import ArtifactStore, Clock, ImageBackend, RecordReader, RecordSink, SinkFactory
    from domain.record import SCHEMA_VERSION, LearningRecord, RunMetrics
    from domain.run import (
        LearningOutcome,
        PipelineRunResult,
        RunContext,
        RunStatus,
        StageEvent,
        StageStatus,
    )
    from domain.store_health import BadLine
    from domain.timefmt import format_timestamp, parse_timestamp

_HOME = {
    "ArtifactStore": "domain.ports",
    "BackendError": "domain.errors",
    "BackendInfo": "domain.images",
    "BackendReport": "domain.backend_report",
    "BadLine": "domain.store_health",
    "Clock": "domain.ports",
    "ConfigError": "domain.errors",
    "GenerationInterrupted": "domain.errors",
    "ImageArtifact": "domain.images",
    "ImageBackend": "domain.ports",
    "ImageData": "domain.images",
    "Img2ImgStage": "domain.config",
    "LearningOutcome": "domain.run",
    "LearningRecord": "domain.record",
    "PipelineConfig": "domain.config",
    "PipelineRunResult": "domain.run",
    "RecordReader": "domain.ports",
    "RecordSerializationError": "domain.errors",
    "RecordSink": "domain.ports",
    "RecordStoreError": "domain.errors",
    "RunContext": "domain.run",
    "RunMetrics": "domain.record",
    "RunStatus": "domain.run",
    "SCHEMA_VERSION": "domain.record",
    "STAGE_NAMES": "domain.config",
    "SinkFactory": "domain.ports",
    "StableNewError": "domain.errors",
    "StageEvent": "domain.run",
    "StageOutput": "domain.images",
    "StageSpec": "domain.config",
    "StageStatus": "domain.run",
    "Txt2ImgStage": "domain.config",
    "UnsupportedSchemaVersion": "domain.errors",
    "UpscaleStage": "domain.config",
    "format_timestamp": "domain.timefmt",
    "parse_timestamp": "domain.timefmt",
    "stage_from_dict": "domain.config",
    "stages_from_names": "domain.config",
}


def lazy_names(package: str, home: Mapping[str, str]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: ``name`` comes from the module ``home[name]``,
    imported on first use and then kept in the package like an ordinary attribute."""

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


__getattr__ = lazy_names(__name__, _HOME)

__all__ = [
    "SCHEMA_VERSION",
    "STAGE_NAMES",
    "ArtifactStore",
    "BackendError",
    "BackendInfo",
    "BackendReport",
    "BadLine",
    "Clock",
    "ConfigError",
    "GenerationInterrupted",
    "ImageArtifact",
    "ImageBackend",
    "ImageData",
    "Img2ImgStage",
    "LearningOutcome",
    "LearningRecord",
    "PipelineConfig",
    "PipelineRunResult",
    "RecordReader",
    "RecordSerializationError",
    "RecordSink",
    "RecordStoreError",
    "RunContext",
    "RunMetrics",
    "RunStatus",
    "SinkFactory",
    "StableNewError",
    "StageEvent",
    "StageOutput",
    "StageSpec",
    "StageStatus",
    "Txt2ImgStage",
    "UnsupportedSchemaVersion",
    "UpscaleStage",
    "format_timestamp",
    "parse_timestamp",
    "stage_from_dict",
    "stages_from_names",
]
