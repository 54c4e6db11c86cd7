"""A thin synchronous HTTP client for the WebUI API: timeouts, Basic auth, typed errors.

Only idempotent GETs are retried, and only when the connection could not be made: a generation
that may still be running on the server is never sent twice.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from adapters.backends.a1111 import errors
from adapters.urls import redact_url

API_PREFIX = "/sdapi/v1"
CATALOG_READ_TIMEOUT = 60.0
INTERRUPT_TIMEOUT = 5.0
PROGRESS_TIMEOUT = 1.0


class WebuiClient:
    """JSON calls to ``<url>/sdapi/v1``; every failure is raised as a domain BackendError."""

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
        return f"WebuiClient(url={self.url!r}, auth={'set' if self._auth else 'none'})"

    def _new_http(self) -> httpx.Client:
        timeout = httpx.Timeout(
            connect=self._connect_timeout,
            read=self._read_timeout,
            write=self._read_timeout,
            pool=self._connect_timeout,
        )
        return httpx.Client(base_url=self._base_url, auth=self._auth, timeout=timeout, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, *, missing_ok: bool = False) -> Any:
        """GET ``/sdapi/v1<path>``; with ``missing_ok`` a 404 answers None instead of raising."""
        action = f"GET {API_PREFIX}{path}"
        read = min(self._read_timeout, CATALOG_READ_TIMEOUT)
        for attempt in range(self._get_retries + 1):
            try:
                response = self._http.get(API_PREFIX + path, timeout=self._timeout(read))
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == self._get_retries:
                    raise self._transport_error(exc, action, read) from None
                time.sleep(self._retry_delay * (attempt + 1))
            except httpx.TransportError as exc:
                raise self._transport_error(exc, action, read) from None
        if missing_ok and response.status_code == 404:
            return None
        return self._json(response, action)

    def post(self, path: str, payload: dict[str, Any], *, action: str) -> Any:
        """POST once; a connection that drops or times out is reported, never re-sent."""
        try:
            response = self._http.post(API_PREFIX + path, json=payload)
        except httpx.TransportError as exc:
            raise self._transport_error(exc, action, self._read_timeout) from None
        return self._json(response, action)

    def progress(self) -> Any:
        """``GET /sdapi/v1/progress`` on a connection of its own, within ``PROGRESS_TIMEOUT``;
        None on any failure (a progress poll never disturbs the generation it watches)."""
        try:
            with httpx.Client(
                base_url=self._base_url, auth=self._auth, timeout=PROGRESS_TIMEOUT, trust_env=False
            ) as http:
                response = http.get(API_PREFIX + "/progress", params={"skip_current_image": "true"})
                return response.json() if response.is_success else None
        except Exception:
            return None

    def interrupt(self) -> bool:
        """Ask the server to stop the running job, on a fresh connection; never raises."""
        try:
            with httpx.Client(
                base_url=self._base_url, auth=self._auth, timeout=INTERRUPT_TIMEOUT, trust_env=False
            ) as http:
                return http.post(API_PREFIX + "/interrupt").is_success
        except Exception:  # the run is ending anyway; the server may be gone
            return False
        finally:
            # The interrupted call may have left its connection half-read: start clean.
            self._http.close()
            self._http = self._new_http()

    def _timeout(self, read: float) -> httpx.Timeout:
        return httpx.Timeout(connect=self._connect_timeout, read=read, write=read, pool=self._connect_timeout)

    def _transport_error(self, exc: httpx.TransportError, action: str, read: float) -> Exception:
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return errors.connect_timeout(self.url, self._connect_timeout)
        if isinstance(exc, httpx.ConnectError):
            return errors.unreachable(self.url, exc)
        if isinstance(exc, httpx.TimeoutException):
            return errors.read_timeout(self.url, action, read)
        return errors.dropped(self.url, action)

    def _json(self, response: httpx.Response, action: str) -> Any:
        try:
            body = response.json()
        except ValueError:
            if response.is_success or response.status_code >= 500 or not response.content:
                raise errors.not_json(self.url, action, response) from None
            body = None
        if not response.is_success:
            raise errors.from_status(self.url, action, response, body)
        return body
