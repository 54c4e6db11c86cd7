"""TomlPresetStore: one human-editable ``NAME.toml`` per preset in a folder (format: docs/presets.md).

Read with tomllib; written by hand (the format is small and fixed, so no TOML writer dependency),
to a temporary file that is fsynced and then linked or renamed into place: a reader never sees half
a file, and without ``overwrite`` an existing preset is never replaced, even by a racing writer.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from domain.ports import PresetStore
from domain.preset import (
    NAME_PATTERN,
    Preset,
    PresetError,
    PresetExists,
    PresetNotFound,
    SettingEvidence,
    check_name,
)

SUFFIX = ".toml"
_HEADER = (
    "# A StableNew preset: the settings rated confidently best (docs/presets.md).\n"
    "# You may edit it by hand; `stablenew preset verify NAME` checks it against today's ratings.\n"
)
_PRESET_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "pack": str,
    "model": str,
    "model_hash": str,
    "created": str,
    "fingerprint": str,
    "rater": str,
    "stages": list,
}
_EVIDENCE_KEYS: dict[str, type | tuple[type, ...]] = {
    "value": str,
    "mean": (int, float),
    "mean_low": (int, float),
    "mean_high": (int, float),
    "runner_up": str,
    "runner_up_mean": (int, float),
    "ratings": int,
    "raters": int,
    "evidence": str,
}


class TomlPresetStore(PresetStore):
    """Presets as ``folder/NAME.toml``; the folder is made on the first save."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_of(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}{SUFFIX}"

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        stems = (path.stem for path in self.folder.iterdir() if path.suffix == SUFFIX and path.is_file())
        return sorted(stem for stem in stems if NAME_PATTERN.fullmatch(stem))

    def load(self, name: str) -> Preset:
        path = self.path_of(name)
        if not path.is_file():
            if path.exists():
                raise PresetError(f"preset file {path} is not a regular file")
            raise PresetNotFound(f"no preset {name} (no file {path}); `stablenew preset list` shows them")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise PresetError(
                f"preset file {path} cannot be read: {getattr(exc, 'strerror', None) or exc}"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise PresetError(f"preset file {path} is not valid TOML: {exc}") from None
        except RecursionError:  # tomllib recurses once per [ or { level
            raise PresetError(
                f"preset file {path} is not valid TOML: arrays or tables nested too deeply"
            ) from None
        try:
            preset = preset_from_toml(data)
        except PresetError as exc:
            raise PresetError(f"preset file {path}: {exc}") from None
        if preset.name != name:
            raise PresetError(
                f"preset file {path}: preset.name is {preset.name!r}, not the file's name {name!r}"
            )
        return preset

    def save(self, preset: Preset, *, overwrite: bool = False) -> None:
        target = self.path_of(preset.name)
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{preset.name}.", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
                file.write(render(preset))
                file.flush()
                os.fsync(file.fileno())
            if overwrite:
                os.replace(temporary, target)
            else:
                _link_new(Path(temporary), target)
            _fsync_folder(self.folder)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def _link_new(temporary: Path, target: Path) -> None:
    """Put ``temporary`` at ``target`` only if nothing is there (a hard link fails if it is). Where the
    file system has no hard links, a check then a rename: a racing writer could win, never tear it."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise _exists(target) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        if os.path.lexists(target):
            raise _exists(target) from None
        os.replace(temporary, target)


_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS}


def _exists(target: Path) -> PresetExists:
    return PresetExists(f"preset {target.stem} already exists ({target}); give --force to replace it")


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened or synced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def preset_from_toml(data: Mapping[str, Any]) -> Preset:
    """The preset a parsed file holds; PresetError names the first bad key."""
    _only(data, {"preset", "settings", "evidence"}, "")
    head = _table(data, "preset")
    _only(head, set(_PRESET_KEYS), "preset.")
    for key, kind in _PRESET_KEYS.items():
        if key not in head:
            raise PresetError(f"preset.{key} is missing")
        _typed(head[key], kind, f"preset.{key}")
    if not all(isinstance(stage, str) for stage in head["stages"]):
        raise PresetError("preset.stages: expected a list of stage names")
    evidence = {}
    for parameter, table in _table(data, "evidence", required=False).items():
        if not isinstance(table, Mapping):
            raise PresetError(f"evidence.{parameter}: expected a table")
        _only(table, set(_EVIDENCE_KEYS), f"evidence.{parameter}.")
        for key, kind in _EVIDENCE_KEYS.items():
            if key not in table:
                raise PresetError(f"evidence.{parameter}.{key} is missing")
            _typed(table[key], kind, f"evidence.{parameter}.{key}")
        try:
            evidence[parameter] = SettingEvidence(**table)
        except PresetError as exc:
            raise PresetError(f"evidence.{parameter}: {exc}") from None
    return Preset(
        name=head["name"],
        pack=head["pack"],
        model=head["model"],
        model_hash=head["model_hash"],
        created=head["created"],
        fingerprint=head["fingerprint"],
        rater=head["rater"],
        stages=tuple(head["stages"]),
        settings=dict(_table(data, "settings")),
        evidence=evidence,
    )


def _table(data: Mapping[str, Any], key: str, *, required: bool = True) -> Mapping[str, Any]:
    if key not in data:
        if required:
            raise PresetError(f"[{key}] table is missing")
        return {}
    if not isinstance(data[key], Mapping):
        raise PresetError(f"{key}: expected a table")
    return data[key]  # type: ignore[no-any-return]


def _only(table: Mapping[str, Any], known: set[str], prefix: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise PresetError(f"{prefix}{unknown[0]}: unknown key (expected some of {', '.join(sorted(known))})")


def _typed(value: object, kind: type | tuple[type, ...], key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise PresetError(f"{key}: wrong type, got {value!r}")


def render(preset: Preset) -> str:
    """The preset as TOML, in a fixed order that ``preset_from_toml`` reads back equal."""
    head = {
        "name": preset.name,
        "pack": preset.pack,
        "model": preset.model,
        "model_hash": preset.model_hash,
        "created": preset.created,
        "fingerprint": preset.fingerprint,
        "rater": preset.rater,
        "stages": list(preset.stages),
    }
    parts = [_HEADER, _section("preset", head.items()), _section("settings", preset.settings.items())]
    for parameter, evidence in preset.evidence.items():
        parts.append(_section(f"evidence.{_key(parameter)}", evidence.to_dict().items()))
    return "\n".join(parts)


def _section(header: str, items: Iterable[tuple[str, Any]]) -> str:
    lines = [f"[{header}]"] + [f"{_key(key)} = {_value(value)}" for key, value in items]
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    bare = key and all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in key)
    return key if bare else _string(key)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'
