"""What the WebUI and ComfyUI clients share: one httpx connection with the configured timeouts
and optional Basic auth, reads retried only when no connection could be made, and transport
failures turned into the server's own one-line BackendErrors.

Nothing that may have reached the server is sent again: a generation that may still be running
is never started twice.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Protocol

import httpx

from adapters.urls import redact_url
from domain.errors import BackendError

MAX_DETAIL = 240
_SPACES = re.compile(r"\s+")


def one_line(text: str, limit: int = MAX_DETAIL) -> str:
    """Collapse whitespace and cut long server messages so an error stays on one line."""
    flat = _SPACES.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class TransportErrors(Protocol):
    """The errors a server's client raises when the network fails (a backend's ``errors`` module)."""

    def unreachable(self, url: str, exc: httpx.TransportError) -> BackendError: ...

    def connect_timeout(self, url: str, seconds: float) -> BackendError: ...

    def read_timeout(self, url: str, action: str, seconds: float) -> BackendError: ...

    def dropped(self, url: str, action: str) -> BackendError: ...


class HttpClient:
    """A server's HTTP connection; subclasses add its routes and name its ``errors``."""

    errors: TransportErrors  # set by each subclass to its backend's errors module

    def __init__(
        self,
        url: str,
        *,
        auth: tuple[str, str] | None,
        connect_timeout: float,
        read_timeout: float,
        get_retries: int = 2,
        retry_delay: float = 0.2,
    ) -> None:
        self.url = redact_url(url)  # what messages show; callers pass it without credentials anyway
        self._base_url = url
        self._auth = httpx.BasicAuth(*auth) if auth else None
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._get_retries = get_retries
        self._retry_delay = retry_delay
        self._http = self._new_http()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, auth={'set' if self._auth else 'none'})"

    def close(self) -> None:
        self._http.close()

    def reset(self) -> None:
        """Start on a clean connection (an interrupted call may have left one half-read)."""
        self._http.close()
        self._http = self._new_http()

    def _new_http(self) -> httpx.Client:
        timeout = httpx.Timeout(
            connect=self._connect_timeout,
            read=self._read_timeout,
            write=self._read_timeout,
            pool=self._connect_timeout,
        )
        return httpx.Client(base_url=self._base_url, auth=self._auth, timeout=timeout, trust_env=False)

    def _fresh_connection(self, timeout: float) -> httpx.Client:
        """A short-lived connection of its own (progress polls, stopping a run)."""
        return httpx.Client(base_url=self._base_url, auth=self._auth, timeout=timeout, trust_env=False)

    def _read(self, send: Callable[[], httpx.Response], action: str, read: float) -> httpx.Response:
        """``send()`` a read, again (after a pause) when no connection could be made."""
        for attempt in range(self._get_retries + 1):
            try:
                return send()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == self._get_retries:
                    raise self._transport_error(exc, action, read) from None
                time.sleep(self._retry_delay * (attempt + 1))
            except httpx.TransportError as exc:
                raise self._transport_error(exc, action, read) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _transport_error(self, exc: httpx.TransportError, action: str, read: float) -> Exception:
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return self.errors.connect_timeout(self.url, self._connect_timeout)
        if isinstance(exc, httpx.ConnectError):
            return self.errors.unreachable(self.url, exc)
        if isinstance(exc, httpx.TimeoutException):
            return self.errors.read_timeout(self.url, action, read)
        return self.errors.dropped(self.url, action)
