"""The command-line driving adapter (``stablenew``)."""

from adapters.cli.main import app, main

__all__ = ["app", "main"]
