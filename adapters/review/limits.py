"""ServerLimits: how much and how long the review server waits for a client, and how many it serves."""

from __future__ import annotations

from dataclasses import dataclass

MAX_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Bounds that keep one slow or hostile client from holding the server.

    ``body_timeout`` covers the whole request body and ``header_timeout`` the request line and
    headers, each counted from its first byte (a new connection's from when it opens);
    ``keep_alive`` is the idle time allowed between requests on one connection. Beyond
    ``max_connections`` open connections a request is answered 503 at once. The usual limit on
    open files is 1,024; a browser opens at most six connections to one server.
    """

    max_body: int = MAX_BODY
    max_json_depth: int = 64
    body_timeout: float = 10.0
    header_timeout: float = 10.0
    keep_alive: int = 5
    max_connections: int = 500
