"""The image backend for ComfyUI's HTTP API (core nodes only)."""

from adapters.backends.comfyui.backend import ComfyServerReport, ComfyUIImageBackend

__all__ = ["ComfyServerReport", "ComfyUIImageBackend"]
