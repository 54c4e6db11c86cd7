"""SafeFiles: the only files the review server may send are regular files inside chosen folders."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


class SafeFiles:
    """Resolves a stored image path to a real file inside one of ``roots``, or refuses it.

    Symlinks are followed before the check, so a link inside a root that points outside is
    refused; so are ``..`` escapes, devices, folders and paths holding a NUL byte. Relative
    paths are taken from ``base`` (the working directory by default), as the run stored them.
    """

    def __init__(self, roots: Sequence[Path], base: Path | None = None) -> None:
        self.roots = tuple(Path(os.path.realpath(root)) for root in roots)
        self.base = base or Path.cwd()

    def resolve(self, stored_path: str) -> Path | None:
        """The real path to serve; None if no such regular file; raises Refused if it is outside."""
        if not stored_path or "\x00" in stored_path:
            raise Refused("not a usable path")
        candidate = Path(stored_path)
        if not candidate.is_absolute():
            candidate = self.base / candidate
        real = Path(os.path.realpath(candidate))
        if not any(real.is_relative_to(root) for root in self.roots):
            raise Refused(f"{stored_path} is outside the served folders")
        return real if real.is_file() else None

    def serves(self, stored_path: str) -> bool:
        """True if ``stored_path`` lies inside the served folders (whether or not it exists)."""
        try:
            self.resolve(stored_path)
        except Refused:
            return False
        return True


class Refused(PermissionError):
    """A path the review server will not serve."""
