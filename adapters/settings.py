"""Settings: built-in defaults < settings.toml < STABLENEW_* environment < a preset < command-line flags.

The TOML file is ``--settings PATH``, else ``$STABLENEW_SETTINGS``, else ``./settings.toml`` when
it exists (no file at all means defaults; anything but a regular file is refused). Relative paths
in the file resolve against the file's folder; relative paths from the environment or flags
resolve against the working directory.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from adapters.urls import parse_http_url, redact_url
from domain.config import (
    STAGE_NAMES,
    Img2ImgStage,
    PipelineConfig,
    UpscaleStage,
    field_default,
    stage_from_dict,
)

ENV_PREFIX = "STABLENEW_"
SETTINGS_FILE_ENV = "STABLENEW_SETTINGS"
DEFAULT_SETTINGS_FILE = Path("settings.toml")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _not_empty(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        # An empty path would mean the working directory: files and lock files would land there.
        raise ValueError("must not be empty (leave the setting out to get its default)")
    return value


SettingPath = Annotated[Path, BeforeValidator(_not_empty)]


class LearningSettings(_Section):
    enabled: bool = False
    sink: Literal["jsonl", "null", "postgres"] = "jsonl"
    records_path: SettingPath = Path("records/learning_records.jsonl")
    durability: Literal["fsync", "none"] = "fsync"
    record_failures: bool = False


DEFAULT_URLS = {"a1111": "http://127.0.0.1:7860", "comfyui": "http://127.0.0.1:8188"}
"""The URL each server kind listens on out of the box; an empty ``backend.url`` means this one."""


class BackendSettings(_Section):
    kind: Literal["fake", "a1111", "comfyui"] = "fake"
    url: str = ""  # empty: the kind's own default (DEFAULT_URLS)
    username: str = ""
    password: SecretStr = SecretStr("")
    flavor: Literal["a1111", "forge", "sdnext"] = "a1111"
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=600.0, gt=0)
    fake_latency: float = Field(default=0.0, ge=0)
    fake_fail_stage: Literal["", "txt2img", "img2img", "upscale"] = ""
    fake_oom_above: int = Field(default=0, ge=0)
    fake_models: list[str] = Field(default_factory=list)
    fake_kill_prompt: str = ""

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.strip():
            return ""
        parse_http_url(value)  # the backend would fail later, with a traceback, on what this refuses
        return value.strip()


def backend_url(kind: str, url: str) -> str:
    """``backend.url``, or the kind's default when it is empty."""
    return url or DEFAULT_URLS.get(kind, DEFAULT_URLS["a1111"])


class QueueSettings(_Section):
    """The shared job queue's timing (docs/scale-out.md); the queue lives in ``[postgres] dsn``."""

    heartbeat_seconds: float = Field(default=10.0, gt=0)
    stalled_after_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    poll_seconds: float = Field(default=5.0, gt=0)
    worker_name: str = ""  # empty: host name and process id

    @model_validator(mode="after")
    def _stalled_well_above_the_heartbeat(self) -> QueueSettings:
        # Tighter margins re-queued live workers' jobs (a slow heartbeat under load is no death).
        if self.stalled_after_seconds < 5 * self.heartbeat_seconds:
            raise ValueError(
                f"stalled_after_seconds ({self.stalled_after_seconds:g}) must be at least 5 times "
                f"heartbeat_seconds ({self.heartbeat_seconds:g})"
            )
        return self


class OutputSettings(_Section):
    dir: SettingPath = Path("output")


class PresetsSettings(_Section):
    dir: SettingPath = Path("presets")


class FeedbackSettings(_Section):
    path: SettingPath | None = None  # None: feedback.jsonl in the records file's folder
    store: Literal["jsonl", "postgres"] = "jsonl"
    user: str = ""

    @field_validator("user")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # The name is stored with every rating and printed in one-line lists ("rated ... as NAME").
        if not value.isprintable():
            raise ValueError("must be one line of printable text (no newline, tab or control character)")
        return value


_SETTING_OF_STAGE_FIELD = {
    "stages.img2img.denoising_strength": "denoising_strength",
    "stages.upscale.scale": "upscale_factor",
    "stages.upscale.upscaler": "upscaler",
}


class PipelineSettings(_Section):
    negative_prompt: str = field_default(PipelineConfig, "negative_prompt")
    model: str = field_default(PipelineConfig, "model")
    sampler: str = field_default(PipelineConfig, "sampler")
    scheduler: str = field_default(PipelineConfig, "scheduler")
    steps: int = field_default(PipelineConfig, "steps")
    cfg_scale: float = field_default(PipelineConfig, "cfg_scale")
    width: int = field_default(PipelineConfig, "width")
    height: int = field_default(PipelineConfig, "height")
    seed: int = field_default(PipelineConfig, "seed")
    batch_size: int = field_default(PipelineConfig, "batch_size")
    stages: list[str] = Field(default_factory=lambda: list(STAGE_NAMES))
    denoising_strength: float = field_default(Img2ImgStage, "denoising_strength")
    upscaler: str = field_default(UpscaleStage, "upscaler")
    upscale_factor: float = field_default(UpscaleStage, "scale")

    @property
    def stage_names(self) -> list[str]:
        """The stages to run, as named (``--stages "txt2img, upscale"`` allows spaces)."""
        return [name.strip() for name in self.stages]

    @staticmethod
    def setting_of(config_field: str) -> str:
        """The setting behind a ConfigError field (``stages.upscale.scale``: ``pipeline.upscale_factor``)."""
        name = _SETTING_OF_STAGE_FIELD.get(config_field) or config_field.partition(".")[0]
        return f"pipeline.{name}"

    @staticmethod
    def recalled_layer(values: Mapping[str, Any]) -> dict[str, Any]:
        """A recalled run's values (keyed like ConfigError fields) as pipeline settings, to go
        between the lower layers and the command-line flags."""
        return {
            PipelineSettings.setting_of(key).removeprefix("pipeline."): value for key, value in values.items()
        }

    def pipeline_config(
        self,
        prompt: str,
        init_images: Sequence[Path] = (),
        prompt_pack_id: str | None = None,
        prompt_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> PipelineConfig:
        """The domain configuration that runs ``prompt`` with these settings; raises ConfigError."""
        per_stage: dict[str, dict[str, Any]] = {
            "img2img": {
                "denoising_strength": self.denoising_strength,
                "init_images": [str(path.absolute()) for path in init_images],
            },
            "upscale": {"upscaler": self.upscaler, "scale": self.upscale_factor},
        }
        return PipelineConfig(
            prompt=prompt,
            negative_prompt=self.negative_prompt,
            model=self.model,
            sampler=self.sampler,
            scheduler=self.scheduler,
            steps=self.steps,
            cfg_scale=self.cfg_scale,
            width=self.width,
            height=self.height,
            seed=self.seed,
            batch_size=self.batch_size,
            stages=tuple(
                stage_from_dict({"name": name, **per_stage.get(name, {})}) for name in self.stage_names
            ),
            prompt_pack_id=prompt_pack_id,
            prompt_id=prompt_id,
            metadata=metadata or {},
        )


class PostgresSettings(_Section):
    """The shared history's server (docs/scale-out.md); unused unless a sink or store is "postgres"."""

    # URL (postgresql://user:password@host:5432/db) or key=value form; a secret either way.
    dsn: SecretStr = SecretStr("")
    connect_timeout: float = Field(default=5.0, gt=0)


class Settings(BaseSettings):
    """Every setting of the service; ``settings.toml`` at the project root documents each one."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    learning: LearningSettings = Field(default_factory=LearningSettings)
    backend: BackendSettings = Field(default_factory=BackendSettings)
    output: OutputSettings = Field(default_factory=OutputSettings)
    presets: PresetsSettings = Field(default_factory=PresetsSettings)
    feedback: FeedbackSettings = Field(default_factory=FeedbackSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)

    @model_validator(mode="after")
    def _feedback_beside_records(self) -> Settings:
        if self.feedback.path is None:
            self.feedback.path = self.feedback_path
        return self

    @property
    def feedback_path(self) -> Path:
        """``feedback.path``; unset, it is feedback.jsonl in the records file's folder."""
        return self.feedback.path or self.learning.records_path.parent / "feedback.jsonl"


@dataclass(frozen=True, slots=True)
class PresetLayer:
    """A preset's values (nested like the settings: ``{"pipeline": {"sampler": ...}}``), to go
    between the environment and the command-line flags."""

    name: str
    values: dict[str, Any]

    @staticmethod
    def of_pipeline(name: str, pipeline_values: Mapping[str, Any]) -> PresetLayer:
        return PresetLayer(name, {"pipeline": dict(pipeline_values)})


class SettingsError(ValueError):
    """Settings that cannot be used; the message is one line naming the key and its source."""


@dataclass(frozen=True, slots=True)
class SettingsLayers:
    """Each source's raw values, kept to say where an effective value came from."""

    file: Path | None
    file_values: dict[str, Any]
    env_values: dict[str, Any]
    env_names: dict[str, str]
    flag_values: dict[str, Any]
    preset: PresetLayer | None = None

    def source_of(self, dotted_key: str) -> str:
        """The layer that set ``dotted_key``; a part of a setting (``pipeline.stages.0``) is
        blamed on the layer that gave the whole setting."""
        dotted_key = ".".join(dotted_key.split(".")[:2])
        if _lookup(self.flag_values, dotted_key) is not _MISSING:
            return "command line"
        if self.preset is not None and _lookup(self.preset.values, dotted_key) is not _MISSING:
            return f"preset {self.preset.name}"
        if dotted_key in self.env_names:
            return f"environment {self.env_names[dotted_key]}"
        if _lookup(self.file_values, dotted_key) is not _MISSING:
            return str(self.file)
        return "default"


def load_settings(
    settings_file: Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    preset: PresetLayer | None = None,
) -> tuple[Settings, SettingsLayers]:
    """The effective settings and where each value came from; raises SettingsError."""
    environ = os.environ if environ is None else environ
    layers = _read_layers(settings_file, dict(flags or {}), environ, preset)
    _check_file_types(layers)
    file_values = layers.file_values

    class _LayeredSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (
                init_settings,
                _MappingSource(settings_cls, layers.env_values),
                _MappingSource(settings_cls, file_values),
            )

    try:
        loaded = _LayeredSettings(
            **_merged(layers.preset.values if layers.preset else {}, layers.flag_values)
        )
    except ValidationError as exc:
        raise SettingsError(_describe(exc, layers)) from None
    _require_dsn(loaded, layers)
    return _absolute_paths(loaded), layers


POSTGRES_INSTALL_HINT = "uv sync --extra postgres (or pip install 'stablenew[postgres]')"


def _require_dsn(settings: Settings, layers: SettingsLayers) -> None:
    """The shared history needs its server and psycopg: say so at load time, not at the first record."""
    from importlib.util import find_spec  # finds psycopg without importing it

    chosen = (("learning.sink", settings.learning.sink), ("feedback.store", settings.feedback.store))
    for key, value in chosen:
        if value != "postgres":
            continue
        if not settings.postgres.dsn.get_secret_value().strip():
            raise SettingsError(
                f'{key} = "postgres" needs postgres.dsn (set STABLENEW_POSTGRES__DSN or [postgres] dsn; '
                f"{key} from {layers.source_of(key)})"
            )
        if find_spec("psycopg") is None:
            raise SettingsError(f'{key} = "postgres" needs psycopg: {POSTGRES_INSTALL_HINT}')


class _MappingSource(PydanticBaseSettingsSource):
    """A settings source that hands over an already-read nested mapping."""

    def __init__(self, settings_cls: type[BaseSettings], values: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._values = values

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._values


def _merged(lower: Mapping[str, Any], upper: Mapping[str, Any]) -> dict[str, Any]:
    """``upper`` over ``lower``, section by section."""
    merged = {key: dict(value) if isinstance(value, Mapping) else value for key, value in lower.items()}
    for key, value in upper.items():
        below = merged.get(key)
        merged[key] = {**below, **value} if isinstance(below, dict) and isinstance(value, Mapping) else value
    return merged


def _read_layers(
    settings_file: Path | None,
    flags: dict[str, Any],
    environ: Mapping[str, str],
    preset: PresetLayer | None = None,
) -> SettingsLayers:
    chosen = settings_file or (Path(environ[SETTINGS_FILE_ENV]) if environ.get(SETTINGS_FILE_ENV) else None)
    path = chosen or (DEFAULT_SETTINGS_FILE if DEFAULT_SETTINGS_FILE.exists() else None)
    file_values = _read_toml(path.absolute()) if path else {}
    env_values, env_names = _read_env(environ)
    return SettingsLayers(path.resolve() if path else None, file_values, env_values, env_names, flags, preset)


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's values; ``path`` is read as given (``/dev/stdin`` resolves to a name that does
    not exist), and relative paths in it resolve against the real file's folder."""
    try:
        data = tomllib.loads(_read_regular_file(path))
    except FileNotFoundError:
        raise SettingsError(f"settings file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(
            f"settings file {path} cannot be read: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per [ or { level
        raise SettingsError(
            f"settings file {path} is not valid TOML: arrays or tables nested too deeply"
        ) from None
    folder = path.resolve().parent
    for section, model in _sections().items():
        values = data.get(section)
        if not isinstance(values, dict):
            continue
        for key in _path_keys(model):
            if isinstance(values.get(key), str) and values[key] and not Path(values[key]).is_absolute():
                values[key] = str(folder / values[key])
    return data


def _read_regular_file(path: Path) -> str:
    """The file's text; anything but a regular file is refused before a byte is read.

    A FIFO would block the open (or the read) forever, and a device may never end: the open is
    non-blocking and the type is checked again on the opened descriptor, so a swap is caught too.
    """
    _require_regular(path, path.stat().st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    with open(fd, "rb") as file:
        _require_regular(path, os.fstat(fd).st_mode)
        return file.read().decode("utf-8")


_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _require_regular(path: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise SettingsError(f"settings file {path} is a directory")
    kind = next((name for is_kind, name in _SPECIAL_FILES if is_kind(mode)), "a special file")
    raise SettingsError(f"settings file {path} is not a regular file ({kind})")


def _read_env(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    names: dict[str, str] = {}
    sections = _sections()
    for name, raw in environ.items():
        if not name.upper().startswith(ENV_PREFIX) or name.upper() == SETTINGS_FILE_ENV:
            continue
        parts = name[len(ENV_PREFIX) :].lower().split("__")
        if len(parts) != 2 or parts[0] not in sections or parts[1] not in sections[parts[0]].model_fields:
            raise SettingsError(f"unknown setting in environment variable {name}")
        section, key = parts
        values.setdefault(section, {})[key] = _env_value(raw, sections[section], key)
        names[f"{section}.{key}"] = name
    return values, names


def _env_value(raw: str, model: type[BaseModel], key: str) -> Any:
    """Lists come from the environment as JSON (``["txt2img","upscale"]``) or comma-separated text."""
    annotation = model.model_fields[key].annotation
    if annotation == list[str]:
        text = raw.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                return text
        return [item.strip() for item in text.split(",") if item.strip()]
    return raw


def _sections() -> dict[str, type[BaseModel]]:
    return {name: field.annotation for name, field in Settings.model_fields.items()}  # type: ignore[misc]


def _path_keys(model: type[BaseModel]) -> list[str]:
    return [name for name, field in model.model_fields.items() if _is_path(field.annotation)]


def _is_path(annotation: Any) -> bool:
    return annotation is Path or any(_is_path(arg) for arg in get_args(annotation))


def _absolute_paths(settings: Settings) -> Settings:
    updates: dict[str, BaseModel] = {}
    for section in _sections():
        model = getattr(settings, section)
        changed = {
            key: value.absolute()
            for key in _path_keys(type(model))
            if (value := getattr(model, key)) is not None
        }
        updates[section] = model.model_copy(update=changed)
    return settings.model_copy(update=updates)


def _check_file_types(layers: SettingsLayers) -> None:
    """TOML has types: in the file, ``"yes"`` is not a boolean and ``"7"`` is not a number.

    Environment values are text and are converted; the file's must already be of their setting's type.
    """
    for section, model in _sections().items():
        values = layers.file_values.get(section)
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            field = model.model_fields.get(key)
            if field is None or field.annotation is None:
                continue  # an unknown key: the settings themselves say so
            try:
                TypeAdapter(field.annotation).validate_json(json.dumps(value, default=str), strict=True)
            except ValidationError as exc:
                raise SettingsError(_describe(exc, layers, f"{section}.{key}")) from None


def _describe(exc: ValidationError, layers: SettingsLayers, section: str = "") -> str:
    error = exc.errors()[0]
    key = ".".join(str(part) for part in (section, *error["loc"]) if part != "")
    if error["type"] == "extra_forbidden":
        where = layers.file if _lookup(layers.file_values, key) is not _MISSING else layers.source_of(key)
        return f"unknown setting {key} (in {where})"
    given = error.get("input")
    # A URL may carry user:password@; a DSN may carry password=... too.
    secret_bearing = key.endswith((".password", ".url", ".dsn"))
    if isinstance(given, str):
        given = redact_url(given)
    shown = "" if secret_bearing or isinstance(given, (dict, list)) else f", got {given!r}"
    message = error["msg"].removeprefix("Value error, ")
    return f"invalid setting {key}: {message}{shown} (from {layers.source_of(key)})"


_MISSING = object()


def _lookup(values: Mapping[str, Any], dotted_key: str) -> Any:
    current: Any = values
    for part in dotted_key.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current
