"""The image backend for the AUTOMATIC1111-compatible WebUI API (A1111, Forge, SD.Next)."""

from adapters.backends.a1111.backend import A1111ImageBackend

__all__ = ["A1111ImageBackend"]
