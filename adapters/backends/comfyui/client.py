"""A thin synchronous HTTP client for ComfyUI's routes: timeouts, optional Basic auth, typed errors.

Only reads are retried, and only when no connection could be made; ``POST /prompt`` is sent once.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.backends.comfyui import errors
from adapters.backends.http_client import HttpClient

CONTROL_TIMEOUT = 5.0  # /interrupt and /queue deletion when a run is being stopped


class ComfyClient(HttpClient):
    """JSON and file calls to a ComfyUI server; every failure is raised as a domain BackendError."""

    errors = errors

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
            raise self._transport_error(exc, action, self._read_timeout) from None
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
            raise self._transport_error(exc, action, self._read_timeout) from None
        body = self._json(response, action) if response.is_success else None
        if not response.is_success:
            raise errors.from_status(self.url, action, response.status_code, _json_or_none(response))
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise errors.bad_answer(self.url, action, "no file name")
        return body

    def control(self, path: str, payload: dict[str, Any]) -> bool:
        """A short POST on a fresh connection (stopping a run); never raises."""
        try:
            with self._fresh_connection(CONTROL_TIMEOUT) as http:
                return http.post(path, json=payload).is_success
        except Exception:  # the run is ending anyway; the server may be gone
            return False

    def _get(self, path: str, params: dict[str, str] | None) -> httpx.Response:
        return self._read(lambda: self._http.get(path, params=params), f"GET {path}", self._read_timeout)

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
