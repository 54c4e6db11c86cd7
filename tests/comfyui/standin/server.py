"""Run the stand-in with uvicorn on a free loopback port, its worker on a thread beside it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from tests.comfyui.standin.app import create_app
from tests.comfyui.standin.executor import Executor
from tests.comfyui.standin.state import StandinState


@dataclass(frozen=True)
class RunningStandin:
    url: str
    port: int
    state: StandinState


@contextmanager
def run_standin(state: StandinState | None = None, *, port: int = 0) -> Iterator[RunningStandin]:
    state = state or StandinState()
    config = uvicorn.Config(
        create_app(state), host="127.0.0.1", port=port, log_level="critical", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="comfyui-standin", daemon=True)
    executor = Executor(state)
    thread.start()
    executor.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the stand-in ComfyUI did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield RunningStandin(url=f"http://127.0.0.1:{port}", port=port, state=state)
    finally:
        state.interrupt_flag = True
        executor.close()
        server.should_exit = True
        thread.join(timeout=5)
