"""A stand-in for ComfyUI's HTTP API, for tests. Test-only code, written from documented behaviour."""

from tests.comfyui.standin.server import RunningStandin, run_standin
from tests.comfyui.standin.state import FAULTS, SeenRequest, StandinState

__all__ = ["FAULTS", "RunningStandin", "SeenRequest", "StandinState", "run_standin"]
