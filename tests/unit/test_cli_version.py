"""``stablenew --version``: the installed version, else the source checkout's pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cli import version


def test_an_uninstalled_checkout_reports_its_pyproject_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "stablenew"\nversion = "9.8.7"\n', encoding="utf-8")
    monkeypatch.setattr(version, "installed_version", lambda: None)
    monkeypatch.setattr(version, "PYPROJECT", pyproject)

    assert version.version_text() == "stablenew 9.8.7"


@pytest.mark.parametrize(
    "content",
    [None, "not = [toml", '[project]\nname = "stablenew"\n', 'project = "x"\n', "[project]\nversion = 3\n"],
    ids=["missing", "not TOML", "no version", "project not a table", "version not text"],
)
def test_an_unreadable_pyproject_gives_no_version(tmp_path: Path, content: str | None) -> None:
    pyproject = tmp_path / "pyproject.toml"
    if content is not None:
        pyproject.write_text(content, encoding="utf-8")

    assert version.source_version(pyproject) is None


def test_neither_installed_nor_readable_says_unknown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(version, "installed_version", lambda: None)
    monkeypatch.setattr(version, "PYPROJECT", tmp_path / "absent.toml")

    assert version.version_text() == "stablenew unknown"
