"""ComfyUI's websocket (``/ws?clientId=...``), read on a side thread: the progress bar, and an
early wake-up when a prompt ends. Never the source of truth: ``/history`` is.

The socket is best effort. If it cannot connect, closes, or goes silent (long-lived servers and
proxies drop it), nothing fails: the waiting loop polls ``/history`` with backoff as it would
without it.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from domain.run import StageProgress

logger = logging.getLogger(__name__)
OPEN_TIMEOUT = 2.0
_ENDS = frozenset({"execution_success", "execution_error", "execution_interrupted"})


def ws_url(http_url: str, client_id: str) -> str:
    parts = urlsplit(http_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/") + "/ws", f"clientId={client_id}", ""))


class ProgressEvents:
    """Listens for the events of this client's prompts; ``progress`` and ``wait_until_ended``
    may be called from any thread. ``start`` returns at once; ``close`` stops the thread."""

    def __init__(self, http_url: str, client_id: str, auth: tuple[str, str] | None) -> None:
        self._url = ws_url(http_url, client_id)
        headers = {}
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        self._headers = headers
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._progress: dict[str, StageProgress] = {}
        self._ended: set[str] = set()
        self._socket: ClientConnection | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._attempt_done = threading.Event()
        self.connected = False
        self.messages = 0

    def start(self, settle: float = 1.0) -> None:
        """Connect on a side thread (again, if an earlier socket closed) and wait up to ``settle``
        seconds for the attempt to succeed or fail, so the next prompt's events are not missed."""
        with self._lock:
            if self._closed or (self._thread is not None and self._thread.is_alive()):
                return
            self._attempt_done = threading.Event()
            self._thread = threading.Thread(target=self._listen, name="comfyui-ws", daemon=True)
            self._thread.start()
        self._attempt_done.wait(settle)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            socket = self._socket
        if socket is not None:
            socket.close()
        if self._thread is not None:
            self._thread.join(timeout=OPEN_TIMEOUT + 1)

    def progress(self, prompt_id: str) -> StageProgress | None:
        with self._lock:
            return self._progress.get(prompt_id)

    def ended(self, prompt_id: str) -> bool:
        with self._lock:
            return prompt_id in self._ended

    def wait_until_ended(self, prompt_id: str, seconds: float) -> None:
        """Return when the socket says ``prompt_id`` ended, or after ``seconds``."""
        with self._changed:
            self._changed.wait_for(lambda: prompt_id in self._ended or self._closed, timeout=seconds)

    def forget(self, prompt_id: str) -> None:
        with self._lock:
            self._progress.pop(prompt_id, None)
            self._ended.discard(prompt_id)

    def _listen(self) -> None:
        try:
            with connect(
                self._url, additional_headers=self._headers, open_timeout=OPEN_TIMEOUT, max_size=2**24
            ) as socket:
                with self._lock:
                    if self._closed:
                        return
                    self._socket = socket
                    self.connected = True
                self._attempt_done.set()
                for raw in socket:
                    if isinstance(raw, str):  # binary frames are preview images
                        self.take(raw)
        except (OSError, WebSocketException, TimeoutError) as exc:
            logger.debug("ComfyUI websocket unavailable (%s); polling /history only", type(exc).__name__)
        finally:
            self._attempt_done.set()
            with self._changed:
                self.connected = False
                self._socket = None
                self._changed.notify_all()

    def take(self, raw: str) -> None:
        """One text frame of the socket (JSON ``{"type", "data"}``); anything else is ignored."""
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict) or not isinstance(message.get("data"), dict):
            return
        kind, data = message.get("type"), message["data"]
        prompt_id = data.get("prompt_id")
        if not isinstance(prompt_id, str):
            return
        with self._changed:
            self.messages += 1
            if kind == "progress":
                self._progress[prompt_id] = _progress(data)
            elif kind in _ENDS or (kind == "executing" and data.get("node") is None):
                self._ended.add(prompt_id)
                self._changed.notify_all()


def _progress(data: dict[str, Any]) -> StageProgress:
    value, maximum = data.get("value"), data.get("max")
    if isinstance(value, int) and isinstance(maximum, int) and maximum > 0:
        return StageProgress(fraction=min(1.0, max(0.0, value / maximum)), step=value, steps=maximum)
    return StageProgress(fraction=0.0)
