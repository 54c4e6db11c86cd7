"""A stand-in for the AUTOMATIC1111 WebUI API (and Forge, SD.Next), for tests. Test-only code."""

from tests.a1111.standin.server import RunningStandin, run_standin
from tests.a1111.standin.state import FAILURES, SeenRequest, StandinState

__all__ = ["FAILURES", "RunningStandin", "SeenRequest", "StandinState", "run_standin"]
