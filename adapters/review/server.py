"""ReviewServer: the review page and its JSON API, served by uvicorn, for this machine only by default.

The guards (Host, origin, JSON-only writes, body size and time) are ASGI middleware in
adapters/review/guards.py and body.py; HTTP framing, keep-alive and connection limits are
uvicorn's (its pure-Python h11 protocol, plus a deadline for request headers).
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from adapters.review.api import ReviewApi
from adapters.review.app import build_app
from adapters.review.insights_page import load_insights_page
from adapters.review.limits import ServerLimits
from adapters.review.page import load_page
from adapters.review.protocol import with_header_timeout

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_STARTUP_SECONDS = 10.0


class ReviewServer:
    """Serves ``api`` on ``host:port`` (port 0 picks a free one) from a background thread or the caller's.

    The socket is bound here, so ``port`` and ``url`` are known (and connections queue) before
    serving starts; binding raises OSError.
    """

    def __init__(
        self, api: ReviewApi, host: str = "127.0.0.1", port: int = 8765, limits: ServerLimits | None = None
    ) -> None:
        self.api = api
        self.host = host
        self.limits = limits or ServerLimits()
        self._socket = _listen(host, port)
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            build_app(api, self.allowed_hosts(), self.limits, load_page(), load_insights_page()),
            http=with_header_timeout(self.limits.header_timeout),
            ws="none",
            lifespan="off",
            interface="asgi3",
            proxy_headers=False,
            server_header=False,
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_keep_alive=self.limits.keep_alive,
            limit_concurrency=self.limits.max_connections,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{_shown(self.host)}:{self.port}/"

    def allowed_hosts(self) -> set[str]:
        """The Host header values this server answers: ``name:port`` for loopback names and its host."""
        names = {*LOOPBACK_NAMES, _bracketed(self.host)}
        return {f"{name}:{self.port}" for name in names}

    def serve_forever(self) -> None:
        """Serve until ``stop`` or, in the main thread, Ctrl-C (which then raises KeyboardInterrupt)."""
        self._server.run(sockets=[self._socket])

    def start(self) -> ReviewServer:
        self._thread = threading.Thread(target=self.serve_forever, name="review-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the review server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop a server started with ``start`` and close its socket."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.stop_listening()

    def stop_listening(self) -> None:
        self._socket.close()


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host`` (IPv4 preferred for a name; ``[::1]`` style accepted)."""
    name = host.strip("[]") or None
    infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, address = next((i for i in infos if i[0] == socket.AF_INET), infos[0])
    return socket.create_server(address[:2], family=family, backlog=128)


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _shown(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host.strip("[]") == "::":
        return "[::1]"
    return _bracketed(host)
