"""``stablenew --version``: the installed distribution's version, else the one in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

DISTRIBUTION = "stablenew"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def version_text() -> str:
    return f"{DISTRIBUTION} {installed_version() or source_version(PYPROJECT) or 'unknown'}"


def installed_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return None


def source_version(pyproject: Path) -> str | None:
    """The ``[project] version`` of a source checkout that is not installed; None if unreadable."""
    import tomllib

    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    version = project.get("version") if isinstance(project, dict) else None
    return version if isinstance(version, str) else None
