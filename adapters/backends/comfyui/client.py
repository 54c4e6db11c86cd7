"""A thin synchronous HTTP client for ComfyUI's routes: timeouts, optional Basic auth, typed errors.

Only reads are retried, and only when no connection could be made; ``POST /prompt`` is sent once.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from adapters.backends.comfyui import errors
from adapters.urls import redact_url

CONTROL_TIMEOUT = 5.0  # /interrupt and /queue deletion when a run is being stopped


class ComfyClient:
    """JSON and file calls to a ComfyUI server; every failure is raised as a domain BackendError."""

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
        self.url = redact_url(url)
        self._base_url = url
        self._auth = httpx.BasicAuth(*auth) if auth else None
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._get_retries = get_retries
        self._retry_delay = retry_delay
        self._http = self._new_http()

    def __repr__(self) -> str:
        return f"ComfyClient(url={self.url!r}, auth={'set' if self._auth else 'none'})"

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

    def reset(self) -> None:
        """Start on a clean connection (an interrupted call may have left one half-read)."""
        self._http.close()
        self._http = self._new_http()

    def get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        response = self._get(path, params)
        if not response.is_success:
            raise errors.from_status(self.url, f"GET {path}", response.status_code, _json_or_none(response))
        return self._json(response, f"GET {path}")

    def get_bytes(self, path: str, params: dict[str, str]) -> bytes:
        response = self._get(path, params)
        if not response.is_success:
            raise errors.from_status(self.url, f"GET {path}", response.status_code, _json_or_none(response))
        return response.content

    def post_json(self, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        """POST once; (status, JSON body or None). A dropped or timed-out call is reported, never re-sent."""
        action = f"POST {path}"
        try:
            response = self._http.post(path, json=payload)
        except httpx.TransportError as exc:
            raise self._transport_error(exc, action) from None
        body = _json_or_none(response)
        if body is None and (response.is_success or response.status_code >= 500):
            raise errors.not_json(self.url, action, response)
        return response.status_code, body

    def upload_image(self, name: str, data: bytes) -> dict[str, Any]:
        """``POST /upload/image`` (multipart ``image``, type ``input``, never overwriting); the answer
        ``{"name", "subfolder", "type"}`` names the file as the server stored it (renamed on collision)."""
        action = "POST /upload/image"
        try:
            response = self._http.post(
                "/upload/image",
                files={"image": (name, data, "image/png")},
                data={"type": "input", "overwrite": "false"},
            )
        except httpx.TransportError as exc:
            raise self._transport_error(exc, action) from None
        body = self._json(response, action) if response.is_success else None
        if not response.is_success:
            raise errors.from_status(self.url, action, response.status_code, _json_or_none(response))
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise errors.bad_answer(self.url, action, "no file name")
        return body

    def control(self, path: str, payload: dict[str, Any]) -> bool:
        """A short POST on a fresh connection (stopping a run); never raises."""
        try:
            with httpx.Client(
                base_url=self._base_url, auth=self._auth, timeout=CONTROL_TIMEOUT, trust_env=False
            ) as http:
                return http.post(path, json=payload).is_success
        except Exception:  # the run is ending anyway; the server may be gone
            return False

    def _get(self, path: str, params: dict[str, str] | None) -> httpx.Response:
        action = f"GET {path}"
        for attempt in range(self._get_retries + 1):
            try:
                return self._http.get(path, params=params)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt == self._get_retries:
                    raise self._transport_error(exc, action) from None
                time.sleep(self._retry_delay * (attempt + 1))
            except httpx.TransportError as exc:
                raise self._transport_error(exc, action) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _transport_error(self, exc: httpx.TransportError, action: str) -> Exception:
        if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
            return errors.connect_timeout(self.url, self._connect_timeout)
        if isinstance(exc, httpx.ConnectError):
            return errors.unreachable(self.url, exc)
        if isinstance(exc, httpx.TimeoutException):
            return errors.read_timeout(self.url, action, self._read_timeout)
        return errors.dropped(self.url, action)

    def _json(self, response: httpx.Response, action: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise errors.not_json(self.url, action, response) from None


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
