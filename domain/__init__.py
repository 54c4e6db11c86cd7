"""The domain: what a pipeline run and its learning record are, and the ports the use cases need.

Standard library only.
"""

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
from domain.images import BackendInfo, BackendReport, ImageArtifact, ImageData, StageOutput
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
