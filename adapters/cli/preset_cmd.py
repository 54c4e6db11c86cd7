"""``stablenew preset``: derive presets from ratings, list and show them, verify they still hold.

Exit codes: 0 done (verify: the preset still holds); 1 nothing is confidently best, or a file could
not be read; 2 a bad request or a bad preset file; 3 (verify) today's ratings say something else.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adapters.cli.common import EXIT_FAILED, EXIT_USAGE, SettingsOption, exit_with, stdout
from adapters.cli.history_session import FeedbackOption, JsonOption, RecordsOption, open_session

if TYPE_CHECKING:
    from domain.ports import PresetStore
    from domain.preset import Preset

EXIT_CHANGED = 3

PresetsDirOption = Annotated[
    Path | None,
    typer.Option("--presets-dir", help="Folder of the presets (default: presets.dir).", show_default=False),
]
NameArgument = Annotated[str, typer.Argument(help="The preset's name.", show_default=False)]


def register(app: typer.Typer) -> None:
    presets = typer.Typer(
        help="Presets: the settings your ratings found best (docs/presets.md).", no_args_is_help=True
    )
    presets.command("derive")(derive)
    presets.command("list")(list_presets)
    presets.command("show")(show)
    presets.command("verify")(verify)
    presets.command("export")(export)
    app.add_typer(presets, name="preset")


def derive(
    pack: Annotated[
        str, typer.Option("--pack", help="The prompt pack whose ratings count.", show_default=False)
    ],
    name: Annotated[
        str, typer.Option("--name", help="The preset's name (its file is NAME.toml).", show_default=False)
    ],
    model: Annotated[str | None, typer.Option("--model", help="Only runs of this model.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a preset of that name.")] = False,
    presets_dir: PresetsDirOption = None,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Write a preset of the settings whose best value is confidently better than the runner-up.

    Exit codes: 0 written; 1 nothing is confidently best (nothing written); 2 bad request or name taken.
    """
    from domain.insights import InsightsError
    from domain.preset import NothingConfident, PresetError

    with open_session(settings, records, feedback, presets_dir=presets_dir) as session:
        try:
            preset = session.derive_preset()(name=name, pack=pack, model=model, overwrite=force)
        except NothingConfident as exc:
            exit_with(str(exc), EXIT_FAILED)
        except InsightsError as exc:
            exit_with(str(exc), EXIT_USAGE if exc.usage else EXIT_FAILED)
        except PresetError as exc:
            exit_with(str(exc), EXIT_USAGE)
        stdout.print(
            f"preset {preset.name} written to {session.settings.presets.dir / (preset.name + '.toml')}"
        )
        for line in _settings_lines(preset):
            stdout.print(line)


def list_presets(presets_dir: PresetsDirOption = None, settings: SettingsOption = None) -> None:
    """The stored presets, one a line: name, pack and what each sets. Unreadable files are named."""
    from domain.preset import PresetError

    with open_session(settings, None, None, require_records=False, presets_dir=presets_dir) as session:
        store = session.presets()
        names = store.names()
        if not names:
            stdout.print(f"no presets in {session.settings.presets.dir}")
        for name in names:
            try:
                preset = store.load(name)
            except PresetError as exc:
                stdout.print(f"{name}  (unusable: {exc})")
                continue
            sets = ", ".join(f"{key}={value}" for key, value in preset.settings.items())
            stdout.print(f"{name}  pack {preset.pack}  {sets}")


def show(
    name: NameArgument,
    json_output: JsonOption = False,
    presets_dir: PresetsDirOption = None,
    settings: SettingsOption = None,
) -> None:
    """One preset: where it came from, each setting and its evidence. Exit 2 when it is missing or bad."""
    with open_session(settings, None, None, require_records=False, presets_dir=presets_dir) as session:
        preset = _load_or_exit(session.presets(), name)
    if json_output:
        import orjson

        text = orjson.dumps(preset.to_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        sys.stdout.write(text.decode("utf-8") + "\n")
        return
    model = preset.model or "any model"
    stdout.print(f"preset {preset.name}: pack {preset.pack}, {model}, model hash {preset.model_hash or '-'}")
    stdout.print(
        f"  derived {preset.created} from the ratings of {preset.rater} (insights {preset.fingerprint[:12]})"
    )
    for line in _settings_lines(preset):
        stdout.print(line)


def verify(
    name: NameArgument,
    presets_dir: PresetsDirOption = None,
    records: RecordsOption = None,
    feedback: FeedbackOption = None,
    settings: SettingsOption = None,
) -> None:
    """Derive the preset again from today's history; nothing is written.

    Exit codes: 0 every value still holds; 3 a value changed or lost its evidence (the diff is printed);
    2 no such preset or a bad file; 1 unreadable history.
    """
    with open_session(settings, records, feedback, presets_dir=presets_dir) as session:
        _load_or_exit(session.presets(), name)
        verification = session.verify_preset()(name)
    if verification.unchanged:
        stdout.print(f"preset {name} holds: today's ratings give the same settings")
        return
    stdout.print(f"preset {name} no longer holds; today's ratings say:")
    for change in verification.changes:
        stdout.print(f"  {change.describe()}")
    raise typer.Exit(EXIT_CHANGED)


def export(
    name: NameArgument,
    format_name: Annotated[
        str,
        typer.Option("--format", help="fooocus: a Fooocus preset (presets/NAME.json).", show_default=False),
    ],
    presets_dir: PresetsDirOption = None,
    settings: SettingsOption = None,
) -> None:
    """Print the preset in another tool's format (only what it sets). Exit 2 for an unknown format
    or a setting that format cannot express."""
    from adapters.container import preset_exporter
    from domain.preset import PresetError

    try:
        exporter = preset_exporter(format_name)
    except ValueError as exc:
        exit_with(f"--format: {exc}", EXIT_USAGE)
    with open_session(settings, None, None, require_records=False, presets_dir=presets_dir) as session:
        preset = _load_or_exit(session.presets(), name)
    try:
        text = exporter.render(preset)
    except PresetError as exc:
        exit_with(f"preset {name}: {exc}", EXIT_USAGE)
    sys.stdout.write(text)


def _load_or_exit(store: PresetStore, name: str) -> Preset:
    from domain.preset import PresetError

    try:
        return store.load(name)
    except PresetError as exc:
        exit_with(str(exc), EXIT_USAGE)


def _settings_lines(preset: Preset) -> list[str]:
    lines = []
    for parameter, evidence in preset.evidence.items():
        lines.append(
            f"  {parameter} = {evidence.value}: mean {evidence.mean:.2f} ({evidence.mean_low:.2f}-"
            f"{evidence.mean_high:.2f}) over {evidence.ratings} rating(s) by {evidence.raters}, "
            f"runner-up {evidence.runner_up} {evidence.runner_up_mean:.2f}, {evidence.evidence}"
        )
    return lines
