"""A thin synchronous HTTP client for the WebUI API: timeouts, Basic auth, typed errors.

Only idempotent GETs are retried, and only when the connection could not be made: a generation
that may still be running on the server is never sent twice.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.backends.a1111 import errors
from adapters.backends.http_client import HttpClient

API_PREFIX = "/sdapi/v1"
CATALOG_READ_TIMEOUT = 60.0
INTERRUPT_TIMEOUT = 5.0
PROGRESS_TIMEOUT = 1.0


class WebuiClient(HttpClient):
    """JSON calls to ``<url>/sdapi/v1``; every failure is raised as a domain BackendError."""

    errors = errors

    def get(self, path: str, *, missing_ok: bool = False) -> Any:
        """GET ``/sdapi/v1<path>``; with ``missing_ok`` a 404 answers None instead of raising."""
        action = f"GET {API_PREFIX}{path}"
        read = min(self._read_timeout, CATALOG_READ_TIMEOUT)
        response = self._read(
            lambda: self._http.get(API_PREFIX + path, timeout=self._timeout(read)), action, read
        )
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
            with self._fresh_connection(PROGRESS_TIMEOUT) as http:
                response = http.get(API_PREFIX + "/progress", params={"skip_current_image": "true"})
                return response.json() if response.is_success else None
        except Exception:
            return None

    def interrupt(self) -> bool:
        """Ask the server to stop the running job, on a fresh connection; never raises."""
        try:
            with self._fresh_connection(INTERRUPT_TIMEOUT) as http:
                return http.post(API_PREFIX + "/interrupt").is_success
        except Exception:  # the run is ending anyway; the server may be gone
            return False
        finally:
            self.reset()

    def _timeout(self, read: float) -> httpx.Timeout:
        return httpx.Timeout(connect=self._connect_timeout, read=read, write=read, pool=self._connect_timeout)

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
