"""The stand-in's state: what it serves, the fault to inject, and what it saw. Tests set and read it."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

CHECKPOINTS = ["v1-5-pruned-emaonly.safetensors", "SDXL/sd_xl_base_1.0.safetensors"]
SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "dpmpp_2m", "dpmpp_2m_sde", "ddim", "uni_pc"]
SCHEDULERS = ["normal", "karras", "exponential", "sgm_uniform", "simple", "ddim_uniform", "beta"]
UPSCALE_MODELS = ["RealESRGAN_x4plus.pth", "4x-UltraSharp.pth"]
RESIZE_METHODS = ["nearest-exact", "bilinear", "area", "bicubic", "lanczos"]

FAULTS = frozenset(
    {
        "execution_error",  # the KSampler raises: history status error with execution_error
        "out_of_memory",  # the KSampler raises torch.OutOfMemoryError
        "interrupted",  # the prompt is interrupted on the server (its UI or another client)
        "restart",  # the server restarts while the prompt runs: queue and history are gone
        "hang",  # the prompt runs until interrupted (a timeout, or Ctrl-C)
        "node_errors_200",  # POST /prompt answers 200 with node_errors and queues the prompt
        "not_json",  # POST /prompt answers 200 with an HTML page
    }
)


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    body: Any


@dataclass
class Entry:
    """A queued prompt: number, id, graph, client id and its SaveImage node ids."""

    number: int
    prompt_id: str
    graph: dict[str, Any]
    client_id: str
    outputs: list[str]


@dataclass
class StandinState:
    """Everything a test may change; ``reset()`` restores the defaults between tests."""

    fault: str | None = None
    delay: float = 0.0
    new_combo_format: bool = False  # ["COMBO", {"options": [...]}] instead of [[...], {...}]
    has_upscale_models: bool = True
    missing_nodes: set[str] = field(default_factory=set)  # core nodes this server lacks
    reject_input: str | None = None  # validation refuses this input's value wherever it appears
    fault_after: tuple[int, str] | None = None  # (n, fault): the fault hits from the n-th prompt run on
    executed: int = 0
    ignores_prompt_id: bool = False  # an older ComfyUI: the client's prompt_id is not taken
    silent_ws: bool = False  # the websocket accepts connections and then never says anything
    sockets: list[Any] = field(default_factory=list)  # (client_id, loop, websocket) of open sockets
    ws_connections: int = 0
    requests: list[SeenRequest] = field(default_factory=list)
    pending: list[Entry] = field(default_factory=list)
    running: Entry | None = None
    history: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[tuple[str, str, str], bytes] = field(default_factory=dict)  # (type, subfolder, name)
    counters: dict[str, int] = field(default_factory=dict)
    cache: dict[str, dict[str, Any]] = field(default_factory=dict)  # graph JSON -> outputs
    interrupt_requests: list[Any] = field(default_factory=list)
    interrupt_flag: bool = False
    number: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    wake: threading.Event = field(default_factory=threading.Event, repr=False)

    def reset(self) -> None:
        with self.lock:
            self.interrupt_flag = True
            self.fault = None
            self.delay = 0.0
            self.new_combo_format = False
            self.has_upscale_models = True
            self.missing_nodes = set()
            self.reject_input = None
            self.fault_after = None
            self.executed = 0
            self.silent_ws = False
            self.ignores_prompt_id = False
            self.ws_connections = 0
            self.requests.clear()
            self.pending.clear()
            self.history.clear()
            self.files.clear()
            self.counters.clear()
            self.cache.clear()
            self.interrupt_requests.clear()
            self.number = 0
            self.running = None

    def restart(self) -> None:
        """What a server restart loses: the queue, the history and the cache (files stay on disk)."""
        with self.lock:
            self.pending.clear()
            self.history.clear()
            self.cache.clear()
            self.running = None

    def send(self, client_id: str | None, kind: str, data: dict[str, Any]) -> None:
        """One event to the sockets of ``client_id`` (None: to every socket), as ComfyUI sends them."""
        if self.silent_ws:
            return
        text = json.dumps({"type": kind, "data": data})
        for sid, loop, socket in list(self.sockets):
            if client_id is None or sid == client_id:
                future = asyncio.run_coroutine_threadsafe(socket.send_text(text), loop)
                try:
                    future.result(timeout=2)
                except Exception:  # a client that went away
                    if (sid, loop, socket) in self.sockets:
                        self.sockets.remove((sid, loop, socket))

    def posted_prompts(self) -> int:
        return sum(1 for r in self.requests if r.method == "POST" and r.path.endswith("/prompt"))

    def input_names(self) -> list[str]:
        with self.lock:
            return [f"{sub}/{name}".lstrip("/") for (kind, sub, name) in self.files if kind == "input"]

    def output_files(self) -> dict[str, bytes]:
        return {
            f"{sub}/{name}".lstrip("/"): data
            for (kind, sub, name), data in self.files.items()
            if kind == "output"
        }
