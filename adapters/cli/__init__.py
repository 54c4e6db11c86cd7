"""The command-line driving adapter (``stablenew``)."""

from typing import Any

from adapters.cli.main import main

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    if name == "app":  # built on first use: a process builds only the command it runs
        import importlib

        return importlib.import_module("adapters.cli.main").app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
