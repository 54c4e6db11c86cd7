"""``stablenew backend check``: what the configured image backend serves, or why it cannot be reached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from adapters.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    SettingsOption,
    exit_with,
    load_settings_or_exit,
    stdout,
)

if TYPE_CHECKING:
    from application.check_backend import BackendCheck


def register(app: typer.Typer) -> None:
    backend_app = typer.Typer(help="Inspect the configured image backend.", no_args_is_help=True)
    backend_app.command("check")(check)
    app.add_typer(backend_app, name="backend")


def check(
    settings: SettingsOption = None,
    generate: Annotated[
        bool,
        typer.Option(
            "--generate",
            help="Also make one 64x64, one-step image with the current model: proves generation works "
            "and learns the server's version (A1111 and Forge report it only with a generation).",
        ),
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print the backend's version, models, samplers, schedulers and upscalers (exit 1 if unreachable)."""
    import orjson

    from adapters.container import build_container
    from domain import BackendError, ConfigError, GenerationInterrupted

    loaded, _ = load_settings_or_exit(settings)
    try:
        check_backend = build_container(loaded).check_backend()
    except ConfigError as exc:
        exit_with(str(exc), EXIT_USAGE)
    try:
        result = check_backend(generate=generate)
    except BackendError as exc:
        exit_with(str(exc), EXIT_FAILED)
    except GenerationInterrupted:
        exit_with("backend check interrupted", EXIT_INTERRUPTED)
    facts = _facts(result)
    if json_output:
        stdout.print(orjson.dumps(facts).decode())
    else:
        stdout.print(_render(facts))


def _facts(result: BackendCheck) -> dict[str, Any]:
    """The report as JSON values; ``url``, ``flavor`` and ``devices`` only where they apply."""
    report = result.report
    facts: dict[str, Any] = {"kind": report.kind}
    if report.url is not None:
        facts["url"] = report.url
    if report.flavor is not None:
        facts["flavor"] = report.flavor
    facts["version"] = report.version
    if report.devices is not None:
        facts["devices"] = list(report.devices)
    return facts | {
        "current_model": report.current_model,
        "models": list(report.models),
        "samplers": list(report.samplers),
        "schedulers": None if report.schedulers is None else list(report.schedulers),
        "upscalers": list(report.upscalers),
        "generation": None if result.generation is None else asdict(result.generation),
    }


def _render(facts: dict[str, Any]) -> str:
    flavor = f" (flavor {facts['flavor']})" if "flavor" in facts else ""
    where = f" at {facts['url']}{flavor}" if "url" in facts else ""
    version = facts["version"] or (
        "unknown until a generation reports it (try --generate)" if "flavor" in facts else "unknown"
    )
    current = facts["current_model"] or (
        "none (each ComfyUI graph names its checkpoint)" if "devices" in facts else "none loaded"
    )
    lines = [
        f"backend: {facts['kind']}{where}",
        f"version: {version}",
        *([_listing("devices", facts["devices"])] if "devices" in facts else []),
        f"current model: {current}",
        _listing("models", facts["models"]),
        _listing("samplers", facts["samplers"]),
        "schedulers: none (this server has no scheduler choice)"
        if facts["schedulers"] is None
        else _listing("schedulers", facts["schedulers"]),
        _listing("upscalers", facts["upscalers"]),
    ]
    if facts["generation"] is not None:
        lines.append(_generation_line(facts["generation"]))
    return "\n".join(lines)


def _generation_line(probe: dict[str, Any]) -> str:
    seed = "unknown" if probe["seed"] is None else probe["seed"]
    return (
        f"generation: ok, one {probe['width']}x{probe['height']} image in {probe['duration_ms']} ms "
        f"({probe['steps']} step, sampler {probe['sampler']}, seed {seed}, "
        f"model {probe['model'] or 'unknown'})"
    )


def _listing(title: str, names: Sequence[str]) -> str:
    if not names:
        return f"{title} (0): none"
    return f"{title} ({len(names)}):\n" + "\n".join(f"  {name}" for name in names)
