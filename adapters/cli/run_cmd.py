"""``stablenew run``: one pipeline run, with progress, a summary, and (if on) its learning record."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adapters.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    SettingsOption,
    exit_with,
    load_settings_or_exit,
    stderr,
    stdout,
)
from domain.config import STAGE_NAMES, Img2ImgStage, PipelineConfig, UpscaleStage, field_default

if TYPE_CHECKING:
    from adapters.container import Container
    from adapters.settings import PipelineSettings, PresetLayer, Settings, SettingsLayers
    from domain import PipelineConfig, PipelineRunResult, StageEvent
    from domain.preset import Preset
    from domain.recall import RecalledRun
    from domain.run import StageProgress


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def _setting(name: str, help: str, built_in: object | type = PipelineConfig) -> Any:
    """A flag over the pipeline setting ``name``; its help shows the setting and the built-in default
    (the real default is what the settings say, so no single value would be true)."""
    if isinstance(built_in, type):
        built_in = field_default(built_in, name)
    return _defaulted(help, f"pipeline.{name}", built_in)


def _defaulted(help: str, setting: str, built_in: object) -> Any:
    shown = repr(built_in) if built_in == "" else built_in
    return typer.Option(help=f"{help} Default: the {setting} setting, else {shown}.", show_default=False)


def run(
    prompt: Annotated[
        str | None, typer.Option("--prompt", "-p", help="What to draw (with --from: the recorded prompt).")
    ] = None,
    from_run: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Run a recorded run again (its id or a unique prefix): its prompt, settings and the seed "
            "it used; any flag given overrides its value.",
            show_default=False,
        ),
    ] = None,
    preset_name: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="Apply a preset (stablenew preset list): its settings win over the settings file and "
            "the environment; any flag given overrides its value.",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="With --preset: refuse to run a model other than the preset's."),
    ] = False,
    negative_prompt: Annotated[str | None, _setting("negative_prompt", "What to avoid.")] = None,
    stages: Annotated[
        str | None, _setting("stages", "Comma-separated: txt2img,img2img,upscale.", ",".join(STAGE_NAMES))
    ] = None,
    seed: Annotated[int | None, _setting("seed", "-1 for random.")] = None,
    steps: Annotated[int | None, _setting("steps", "Sampling steps.")] = None,
    cfg_scale: Annotated[float | None, _setting("cfg_scale", "How closely to follow the prompt.")] = None,
    sampler: Annotated[str | None, _setting("sampler", "Sampler name, as the backend lists it.")] = None,
    scheduler: Annotated[str | None, _setting("scheduler", "Scheduler (empty: the sampler's own).")] = None,
    model: Annotated[
        str | None, _setting("model", "Checkpoint name (empty: the backend's current one).")
    ] = None,
    width: Annotated[int | None, _setting("width", "Image width in pixels.")] = None,
    height: Annotated[int | None, _setting("height", "Image height in pixels.")] = None,
    batch_size: Annotated[int | None, _setting("batch_size", "Images per txt2img call.")] = None,
    denoising_strength: Annotated[
        float | None, _setting("denoising_strength", "img2img strength, 0..1.", Img2ImgStage)
    ] = None,
    upscaler: Annotated[str | None, _setting("upscaler", "Upscaler name.", UpscaleStage)] = None,
    upscale_factor: Annotated[
        float | None,
        _setting("upscale_factor", "How many times larger.", field_default(UpscaleStage, "scale")),
    ] = None,
    init_image: Annotated[
        list[Path] | None, typer.Option(help="Input image when img2img runs first.")
    ] = None,
    prompt_pack: Annotated[str | None, typer.Option(help="Prompt pack id, kept in the record.")] = None,
    prompt_id: Annotated[str | None, typer.Option(help="Prompt id within the pack.")] = None,
    learning: Annotated[
        bool | None,
        typer.Option(
            "--learning/--no-learning",
            help="Record this run. Default: the learning.enabled setting, else off.",
            show_default=False,
        ),
    ] = None,
    records: Annotated[
        Path | None,
        _defaulted("Records file (JSON lines).", "learning.records_path", "records/learning_records.jsonl"),
    ] = None,
    output: Annotated[Path | None, _defaulted("Folder for the images.", "output.dir", "output")] = None,
    settings: SettingsOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
) -> None:
    """Run a pipeline on the configured backend and, with learning on, record it."""
    import orjson

    from adapters.container import build_container
    from domain import ConfigError, RunStatus

    loaded, config, preset = resolve_config(
        prompt=prompt,
        from_run=from_run,
        preset_name=preset_name,
        strict=strict,
        negative_prompt=negative_prompt,
        stages=stages,
        seed=seed,
        steps=steps,
        cfg_scale=cfg_scale,
        sampler=sampler,
        scheduler=scheduler,
        model=model,
        width=width,
        height=height,
        batch_size=batch_size,
        denoising_strength=denoising_strength,
        upscaler=upscaler,
        upscale_factor=upscale_factor,
        init_image=init_image,
        prompt_pack=prompt_pack,
        prompt_id=prompt_id,
        learning=learning,
        records=records,
        output=output,
        settings=settings,
    )
    container = build_container(loaded)
    checked_model = _check_preset_model(preset, container, loaded.pipeline.model, strict) if preset else True
    try:
        controller = container.controller()
    except ConfigError as exc:
        exit_with(f"invalid setting {exc}", EXIT_USAGE)
    result = controller.run(config, observer=None if json_output else _Progress())
    if preset is not None and not checked_model:
        _warn_on_run_model(preset, result)
    if json_output:
        stdout.print(orjson.dumps(result_to_json(result, loaded)).decode())
    else:
        _print_summary(result, loaded)
    if result.status is RunStatus.INTERRUPTED:
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.status is RunStatus.FAILED:
        raise typer.Exit(EXIT_FAILED)


def resolve_config(
    *,
    prompt: str | None,
    from_run: str | None,
    preset_name: str | None,
    strict: bool,
    negative_prompt: str | None,
    stages: str | None,
    seed: int | None,
    steps: int | None,
    cfg_scale: float | None,
    sampler: str | None,
    scheduler: str | None,
    model: str | None,
    width: int | None,
    height: int | None,
    batch_size: int | None,
    denoising_strength: float | None,
    upscaler: str | None,
    upscale_factor: float | None,
    init_image: list[Path] | None,
    prompt_pack: str | None,
    prompt_id: str | None,
    learning: bool | None,
    records: Path | None,
    output: Path | None,
    settings: Path | None,
) -> tuple[Settings, PipelineConfig, Preset | None]:
    """The settings and the run's config from ``run``'s flags (``submit`` takes the same); a bad
    value exits 2 with one line naming it and where it came from."""
    from adapters.settings import PresetLayer

    if prompt is None and from_run is None:
        exit_with("give --prompt (what to draw) or --from RUN_ID (a recorded run to run again)", EXIT_USAGE)
    recalled = _recall_or_exit(from_run, settings, records) if from_run is not None else None
    flags: dict[str, Any] = {
        "learning": {"enabled": learning, "records_path": records},
        "output": {"dir": output},
        "pipeline": {
            "negative_prompt": negative_prompt,
            "model": model,
            "sampler": sampler,
            "scheduler": scheduler,
            "steps": steps,
            "cfg_scale": cfg_scale,
            "width": width,
            "height": height,
            "seed": seed,
            "batch_size": batch_size,
            "stages": stages.split(",") if stages is not None else None,
            "denoising_strength": denoising_strength,
            "upscaler": upscaler,
            "upscale_factor": upscale_factor,
        },
    }
    preset = _preset_or_exit(preset_name, settings, flags, strict=strict)
    preset_layer = PresetLayer.of_pipeline(preset.name, preset.settings) if preset else None
    recalled_sources = (
        _put_recalled_under_flags(recalled, flags["pipeline"], preset_layer) if recalled else {}
    )
    loaded, layers = load_settings_or_exit(settings, flags, preset_layer)
    for path in init_image or []:
        if path.is_dir():
            exit_with(f"--init-image {path}: is a directory, not an image file", EXIT_USAGE)
        if not path.is_file():
            exit_with(f"--init-image {path}: no such file", EXIT_USAGE)
    if init_image and "img2img" not in loaded.pipeline.stage_names:
        where = recalled_sources.get("pipeline.stages") or layers.source_of("pipeline.stages")
        exit_with(
            f"--init-image is used only by img2img, which the stages (from {where}) leave out", EXIT_USAGE
        )
    init_images = list(init_image or [])
    if recalled is not None:
        if prompt is None:
            if recalled.prompt is None:
                exit_with(f"run {recalled.run_id} recorded no prompt; give --prompt", EXIT_USAGE)
            prompt = recalled.prompt
            recalled_sources["pipeline.prompt"] = f"run {recalled.run_id}"
        if not init_images:
            init_images = _recalled_init_images(recalled, loaded.pipeline.stage_names)
        prompt_pack = prompt_pack if prompt_pack is not None else recalled.prompt_pack_id
        prompt_id = prompt_id if prompt_id is not None else recalled.prompt_id
    assert prompt is not None  # checked above: without --from, --prompt is given
    config = _config_or_exit(
        loaded.pipeline,
        layers,
        recalled_sources,
        prompt,
        init_images,
        prompt_pack,
        prompt_id,
        _metadata(recalled, preset),
    )
    return loaded, config, preset


def _recall_or_exit(text: str, settings: Path | None, records: Path | None) -> RecalledRun:
    """The recorded run ``text`` names in the records file; an unknown or ambiguous id exits 2."""
    from adapters.cli.history_session import open_session

    with open_session(settings, records, None) as session:
        return session.history.recall(text)


def _preset_or_exit(
    name: str | None, settings_file: Path | None, flags: dict[str, Any], *, strict: bool
) -> Preset | None:
    """The preset ``name`` from the configured presets folder (None without ``--preset``); a missing
    or bad one, or ``--strict`` alone, exits 2."""
    from adapters.container import build_container
    from domain.preset import PresetError

    if name is None:
        if strict:
            exit_with("--strict needs --preset NAME (it checks the preset's model)", EXIT_USAGE)
        return None
    loaded, _layers = load_settings_or_exit(settings_file, flags)
    try:
        return build_container(loaded).preset_store().load(name)
    except PresetError as exc:
        exit_with(str(exc), EXIT_USAGE)


def _metadata(recalled: RecalledRun | None, preset: Preset | None) -> dict[str, Any]:
    """The run's metadata: ``from_run`` with ``--from``, ``preset`` with ``--preset``."""
    metadata = dict(recalled.metadata) if recalled else {}
    if preset is not None:
        metadata["preset"] = preset.record_metadata()
    return metadata


def _check_preset_model(preset: Preset, container: Container, run_model: str, strict: bool) -> bool:
    """Print the preset's model warnings (``strict``: exit 2 on a different or uncheckable model hash);
    True when the hash was checked before the run."""
    fit = container.check_preset_model()(preset, run_model)
    if strict and fit.mismatch:
        exit_with(f"--strict: {fit.warnings[-1]}", EXIT_USAGE)
    if strict and not fit.checked:
        exit_with(
            f"--strict: cannot check before the run that model {run_model or '(current)'} has the "
            f"preset's model hash {preset.model_hash}",
            EXIT_USAGE,
        )
    for warning in fit.warnings:
        stderr.print(f"warning: {warning}")
    return fit.checked


def _warn_on_run_model(preset: Preset, result: PipelineRunResult) -> None:
    warning = preset.model_warning(result.backend.model_hash if result.backend else None)
    if warning:
        stderr.print(f"warning: {warning}")


def _put_recalled_under_flags(
    recalled: RecalledRun, pipeline_flags: dict[str, Any], preset: PresetLayer | None = None
) -> dict[str, str]:
    """Fill the pipeline flags not given with the recalled values (so a flag wins, then a preset, then
    the record, then the settings); the settings each recalled value now sets, mapped to where it came
    from."""
    from adapters.settings import PipelineSettings

    preset_keys = set(preset.values.get("pipeline", {})) if preset else set()
    sources: dict[str, str] = {}
    for key, value in PipelineSettings.recalled_layer(recalled.values).items():
        if pipeline_flags.get(key) is None and key not in preset_keys:
            pipeline_flags[key] = value
            sources[f"pipeline.{key}"] = f"run {recalled.run_id}"
    return sources


def _recalled_init_images(recalled: RecalledRun, stages: list[str]) -> list[Path]:
    """The recorded init images when img2img runs first (they are used only then); each must still exist."""
    if stages[:1] != ["img2img"]:
        return []
    for path in recalled.init_images:
        if not Path(path).is_file():
            exit_with(
                f"init image {path} of run {recalled.run_id} no longer exists (give --init-image)", EXIT_USAGE
            )
    return [Path(path) for path in recalled.init_images]


def _config_or_exit(
    pipeline: PipelineSettings,
    layers: SettingsLayers,
    recalled_sources: dict[str, str],
    prompt: str,
    init_images: list[Path],
    prompt_pack_id: str | None,
    prompt_id: str | None,
    metadata: dict[str, Any] | None,
) -> PipelineConfig:
    from domain import ConfigError

    try:
        return pipeline.pipeline_config(prompt, init_images, prompt_pack_id, prompt_id, metadata)
    except ConfigError as exc:
        key = pipeline.setting_of(exc.field)
        where = recalled_sources.get(key) or (
            "--prompt" if key == "pipeline.prompt" else layers.source_of(key)
        )
        exit_with(
            f"invalid pipeline setting {key.removeprefix('pipeline.')}: {exc.message} (from {where})",
            EXIT_USAGE,
        )


class _Progress:
    """Shows each stage on stderr as it starts and ends, and a bar while it generates when stderr
    is a terminal (the runner tells progress from a side thread; never after the stage ended)."""

    def __init__(self) -> None:
        self._live = sys.stderr.isatty()
        self._bar: Any = None  # a rich Progress while a stage generates

    def stage_started(self, stage: str) -> None:
        from rich.markup import escape

        stderr.print(f"[bold]{escape(stage)}[/] running...", markup=True)

    def stage_progress(self, stage: str, progress: StageProgress) -> None:
        if not self._live:
            return
        if self._bar is None:
            from rich.markup import escape
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            extra = TextColumn("{task.fields[detail]}")
            columns = (TextColumn(escape(stage)), BarColumn(), TaskProgressColumn(), extra)
            self._bar = Progress(*columns, console=stderr.console, transient=True)
            self._bar.start()
            self._bar.add_task(stage, total=1.0, detail="")
        detail = f"step {progress.step}/{progress.steps}" if progress.steps else ""
        if progress.eta_seconds is not None:
            detail += f"  about {progress.eta_seconds:.0f} s left"
        self._bar.update(0, completed=progress.fraction, detail=detail)

    def stage_finished(self, event: StageEvent) -> None:
        from rich.markup import escape

        from domain import StageStatus

        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if event.status is StageStatus.SUCCEEDED:
            done = f"done in {event.duration_ms} ms, {event.image_count} image(s)"
            stderr.print(f"[green]{escape(event.stage)}[/] {done}", markup=True)
        else:
            # Why it failed is said once, in the run's final error line.
            stderr.print(f"[red]{escape(event.stage)} {event.status}[/]", markup=True)


def _print_summary(result: PipelineRunResult, settings: Settings) -> None:
    from rich.markup import escape

    colour = "green" if result.succeeded else "red"
    stdout.print(f"run [bold]{escape(result.run_id)}[/] [{colour}]{result.status}[/]", markup=True)
    seed = _used_seed(result)
    if seed is not None:
        stdout.print(f"seed {seed}")
    for event in result.stage_events:
        took = f"{event.duration_ms} ms" if event.duration_ms is not None else "-"
        stdout.print(f"  {event.stage:<8} {event.status!s:<11} {took:>9}")
    if result.artifacts:
        stdout.print(f"images in {settings.output.dir}:")
        for artifact in result.artifacts:
            stdout.print(f"  {artifact.path}  ({artifact.width}x{artifact.height})")
    stdout.print(_learning_line(result, settings))
    if result.error:
        stderr.print(f"error: {' '.join(result.error.split())}")


def _used_seed(result: PipelineRunResult) -> int | None:
    """The seed the backend really used (a requested -1 resolved), else the configured one if it is fixed."""
    from domain.run import resolved_seed

    used = resolved_seed(result.stages_executed, result.resolved)
    if used is not None:
        return used
    return result.config.seed if result.config.seed >= 0 else None


def _learning_line(result: PipelineRunResult, settings: Settings) -> str:
    outcome = result.learning
    if not outcome.enabled:
        return "learning off: no record written (use --learning to keep one)"
    where = settings.learning.records_path if settings.learning.sink == "jsonl" else "the null sink"
    if outcome.recorded:
        return f"learning record appended to {where}"
    if outcome.error:
        return f"warning: learning record NOT stored in {where}: {outcome.error}"
    return f"no learning record: the run {result.status} (record_failures is off)"


def result_to_json(result: PipelineRunResult, settings: Settings) -> dict[str, Any]:
    learning = result.learning
    return {
        "run_id": result.run_id,
        "status": str(result.status),
        "error": result.error,
        "stages": [event.to_dict() for event in result.stage_events],
        "outputs": [artifact.to_dict() for artifact in result.artifacts],
        "backend": result.backend.to_dict() if result.backend else None,
        "resolved": {stage: dict(values) for stage, values in result.resolved.items()},
        "learning": {
            "enabled": learning.enabled,
            "recorded": learning.recorded,
            "records_path": str(settings.learning.records_path) if learning.enabled else None,
            "error": learning.error,
        },
    }
