"""HTTP/1.1 by hand over a raw socket, for requests no well-behaved client would send."""

from __future__ import annotations

import json
import select
import socket
from dataclasses import dataclass
from typing import Any

# Bounds only a failing case (a server that keeps the connection open); a passing one closes first.
WAIT = 5.0


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Exchange:
    responses: list[RawResponse]
    closed: bool  # the server closed the connection (rather than waiting for more)


def request_bytes(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if "Content-Length" not in headers and "Transfer-Encoding" not in headers and (body or method == "POST"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def feedback_request(port: int, body: dict[str, Any]) -> bytes:
    """A complete, well-formed same-origin JSON POST to /api/feedback."""
    return request_bytes(
        port, "POST", "/api/feedback", {"Content-Type": "application/json"}, json.dumps(body).encode()
    )


def exchange(port: int, *parts: bytes, wait: float = WAIT) -> Exchange:
    """Send ``parts`` on one connection; read until the server closes it or is silent for ``wait``."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        for part in parts:
            sock.sendall(part)
        return read_all(sock)


def trickle(port: int, head: bytes, drip: bytes, pause: float = 0.05) -> Exchange:
    """Send ``head``, then ``drip`` a byte every ``pause`` seconds until the server answers or closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(head)
        for byte in drip:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            if select.select([sock], [], [], pause)[0]:
                break
        return read_all(sock)


def read_all(sock: socket.socket) -> Exchange:
    data = b""
    closed = False
    try:
        while chunk := sock.recv(65536):
            data += chunk
        closed = True
    except TimeoutError:
        pass
    except ConnectionResetError:
        closed = True
    return Exchange(parse_responses(data), closed)


def parse_responses(data: bytes) -> list[RawResponse]:
    responses = []
    while data:
        head, separator, rest = data.partition(b"\r\n\r\n")
        if not separator:
            raise AssertionError(f"an incomplete response: {data[:200]!r}")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        responses.append(RawResponse(int(status_line.split()[1]), headers, rest[:length]))
        data = rest[length:]
    return responses
