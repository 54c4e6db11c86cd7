"""The image backend for ComfyUI's HTTP API (core nodes only)."""

from adapters.backends.comfyui.backend import ComfyUIImageBackend

__all__ = ["ComfyUIImageBackend"]
