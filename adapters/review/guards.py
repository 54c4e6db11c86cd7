"""Pure ASGI middleware that guards the review server before any endpoint runs.

Any web page the user visits can send requests to localhost, so: the Host header must name this
server (no DNS rebinding); a request that writes (anything but GET and HEAD) must be
``application/json`` (a cross-site form or no-cors fetch cannot send that without a CORS
preflight, which is never granted) and, where the browser says where it comes from (Origin,
Sec-Fetch-Site), come from this page. A refusal closes the connection, so a body left unread
can never be taken for another request.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.review.page import INERT_POLICY

_SAFE_METHODS = frozenset({"GET", "HEAD"})
_SAME_SITE = frozenset({"same-origin", "none"})


class HostGuard:
    """Refuses (403) a request whose one Host header is not among ``allowed`` (``name:port``)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            hosts = header_values(scope, b"host")
            if len(hosts) != 1 or hosts[0].lower() not in self.allowed:
                await refuse(send, 403, "unexpected Host header")
                return
        await self.app(scope, receive, send)


class WriteGuard:
    """Refuses a writing request from another origin or site (403) or that is not JSON (415)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _SAFE_METHODS:
            refusal = _write_refusal(scope)
            if refusal is not None:
                await refuse(send, *refusal)
                return
        await self.app(scope, receive, send)


def _write_refusal(scope: Scope) -> tuple[int, str] | None:
    origins = header_values(scope, b"origin")
    if origins and origins != [f"http://{header_values(scope, b'host')[0]}"]:
        return 403, "cross-origin request refused"
    sites = header_values(scope, b"sec-fetch-site")
    if sites and not (len(sites) == 1 and sites[0].lower() in _SAME_SITE):
        return 403, "cross-site request refused"
    types = header_values(scope, b"content-type")
    if len(types) != 1 or types[0].split(";", 1)[0].strip().lower() != "application/json":
        return 415, "send application/json"
    return None


class SecurityHeaders:
    """Adds nosniff, no-referrer, same-origin resource policy and (unless set) an inert CSP and no-store."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                defaults = [
                    (b"content-security-policy", INERT_POLICY.encode("ascii")),
                    (b"cache-control", b"no-store"),
                ]
                headers += [(name, value) for name, value in defaults if name not in present]
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def header_values(scope: Scope, name: bytes) -> list[str]:
    """Every value of the header ``name`` (lower-case), in order."""
    return [value.decode("latin-1") for key, value in scope["headers"] if key == name]


async def refuse(send: Send, status: int, message: str) -> None:
    """Answer ``{"error": message}`` and close the connection, whatever is left of the request."""
    body = orjson.dumps({"error": message})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
