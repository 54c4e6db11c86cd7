"""BodyGuard: every request body is read whole, within a size and a time limit, before the app sees it."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.review.guards import header_values, refuse


class BodyGuard:
    """Reads a request's whole body first: 413 beyond ``max_body`` bytes (by Content-Length or
    while a chunked body streams in), 408 if it is not all there within ``timeout`` seconds.

    uvicorn has no timeout for a request body, so without this a client that promises a body
    and sends it slowly, or never, would hold its connection for good.
    """

    def __init__(self, app: ASGIApp, max_body: int, timeout: float) -> None:
        self.app = app
        self.max_body = max_body
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        lengths = header_values(scope, b"content-length")
        if lengths and int(lengths[0]) > self.max_body:
            await refuse(send, 413, f"the body is larger than {self.max_body} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body:
                        await refuse(send, 413, f"the body is larger than {self.max_body} bytes")
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await refuse(send, 408, "the request body did not arrive in time")
            return
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _has_body(scope: Scope) -> bool:
    lengths = header_values(scope, b"content-length")
    return bool(header_values(scope, b"transfer-encoding")) or (bool(lengths) and lengths[0] != "0")


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body once, then whatever the connection says next (a disconnect)."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
