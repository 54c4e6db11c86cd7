"""``stablenew settings show``: the effective settings and where each value came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from adapters.cli.common import SettingsOption, load_settings_or_exit, stdout

if TYPE_CHECKING:
    from adapters.settings import Settings, SettingsLayers


def register(app: typer.Typer) -> None:
    settings_app = typer.Typer(help="Inspect the effective settings.", no_args_is_help=True)
    settings_app.command("show")(show)
    app.add_typer(settings_app, name="settings")


def show(settings: SettingsOption = None) -> None:
    """Print every setting as TOML, each with the layer it came from (secrets masked)."""
    loaded, layers = load_settings_or_exit(settings)
    stdout.print(render(loaded, layers))


def render(settings: Settings, layers: SettingsLayers) -> str:
    from adapters.settings import backend_url
    from adapters.urls import redact_url

    lines = [f"# settings file: {layers.file or 'none (built-in defaults)'}"]
    for section in type(settings).model_fields:
        lines.append(f"\n[{section}]")
        for key, value in getattr(settings, section):
            shown = redact_url(value) if isinstance(value, str) and key == "url" else value
            note = layers.source_of(f"{section}.{key}")
            if section == "backend" and key == "url" and not value and settings.backend.kind != "fake":
                note += f": {backend_url(settings.backend.kind, value)} for kind {settings.backend.kind}"
            lines.append(f"{key} = {_toml_value(shown)}  # {note}")
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    from pydantic import SecretStr

    from adapters.urls import MASK

    if isinstance(value, SecretStr):
        return json.dumps(MASK if value.get_secret_value() else "")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Path):
        return json.dumps(str(value), ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)
