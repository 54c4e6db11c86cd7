"""Placeholder until its owner lands the commands of this group."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    return None
