"""Turn what the WebUI (or the network) answered into a BackendError with one line and a hint.

Shapes understood (see docs/a1111.md): A1111's ``{"error", "detail", "body", "errors"}``, Forge's
``{"error", "detail", "body", "message"}`` and plain ``{"detail": ...}``, FastAPI's 422 lists in
pydantic v1 and v2 wording, and SD.Next's extra ``code``.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.backends.http_client import one_line
from domain.errors import BackendError

_START_HINT = "start the WebUI with --api (port 7860) or --nowebui (port 7861) and check [backend] url"


def unreachable(url: str, exc: httpx.TransportError) -> BackendError:
    reason = one_line(str(exc)) or type(exc).__name__
    return BackendError(f"cannot reach the WebUI at {url} ({reason})", hint=_START_HINT, retryable=True)


def connect_timeout(url: str, seconds: float) -> BackendError:
    return BackendError(
        f"cannot reach the WebUI at {url}: no connection within {seconds:g}s",
        hint=f"{_START_HINT}; raise [backend] connect_timeout for a slow network",
        retryable=True,
    )


def read_timeout(url: str, action: str, seconds: float) -> BackendError:
    return BackendError(
        f"the WebUI at {url} did not answer {action} within {seconds:g}s",
        hint="the server may still be working on it (it was not re-sent); "
        "raise [backend] read_timeout for long generations",
    )


def dropped(url: str, action: str) -> BackendError:
    return BackendError(
        f"the connection to the WebUI at {url} dropped during {action}",
        hint="the server may have crashed or restarted: check its console (the request was not re-sent)",
    )


def not_json(url: str, action: str, response: httpx.Response) -> BackendError:
    kind = response.headers.get("content-type", "no content type")
    start = one_line(response.text, 60) if response.content else "an empty body"
    return BackendError(
        f"the WebUI at {url} answered {action} with HTTP {response.status_code} and a body that is not "
        f"JSON ({kind}: {start!r})",
        hint="check that [backend] url points at the WebUI API itself, not at a proxy or another service",
    )


def bad_answer(url: str, action: str, what: str) -> BackendError:
    return BackendError(
        f"the WebUI at {url} answered {action} with {what}",
        hint="check that [backend] url and flavor match the server (stablenew backend check)",
    )


def from_status(url: str, action: str, response: httpx.Response, body: Any) -> BackendError:
    """The BackendError for a non-2xx answer whose body was JSON (or None when it was not)."""
    status = response.status_code
    if status == 401:
        return BackendError(
            f"the WebUI at {url} refused the credentials for {action} "
            f"(401 {_detail(body) or 'Unauthorized'})",
            hint="set [backend] username and password to a pair given to the server's --api-auth",
        )
    if status == 403:
        return BackendError(
            f"the WebUI at {url} forbids {action} (403 {_detail(body) or 'Forbidden'})",
            hint="check the server's access settings (--api, --listen, allowed origins)",
        )
    if status == 422:
        return BackendError(
            f"the WebUI rejected the {action} request (422 {_validation(body)})",
            hint="the server's API differs from what stablenew sends: check [backend] flavor, "
            "or report this field as a bug",
        )
    detail = _detail(body)
    if status == 404 and "init image" in detail.casefold():
        return BackendError(
            f"the WebUI found no init image in the {action} request (404 {detail})",
            hint="img2img needs an input image: give the stage init_images or run txt2img before it",
        )
    if status == 404:
        return BackendError(
            f"the WebUI at {url} has no {action} endpoint (404 {detail or 'Not Found'})",
            hint="is it an AUTOMATIC1111-compatible server started with --api? "
            "check [backend] url and flavor",
        )
    if status >= 500:
        return _server_failure(url, action, status, body)
    return BackendError(
        f"the WebUI at {url} refused {action} (HTTP {status} {detail})".rstrip(),
        hint="see the WebUI console for details",
    )


def _server_failure(url: str, action: str, status: int, body: Any) -> BackendError:
    kind, message = _exception(body)
    text = message.casefold()
    cause = f"{kind}: {message}" if kind and message else (kind or message or "no details")
    if "no checkpoints found" in text:
        return BackendError(
            f"the WebUI has no checkpoint to run {action} with ({status} {cause})",
            hint="put a model in the WebUI's models/Stable-diffusion folder, then restart it or call "
            "/sdapi/v1/refresh-checkpoints",
        )
    if "could not find upscaler" in text:
        return BackendError(
            f"the WebUI does not know the upscaler asked for ({status} {cause})",
            hint="pick an upscaler that `stablenew backend check` lists",
        )
    if "out of memory" in text:
        return BackendError(
            f"the WebUI ran out of GPU memory during {action} ({status} {cause})",
            hint="lower width, height or batch_size, or start the WebUI with --medvram or --lowvram",
            retryable=True,
        )
    if "invalid encoded image" in text:
        return BackendError(
            f"the WebUI could not decode the image sent with {action} ({status} {cause})",
            hint="the input file is not an image the server can read",
        )
    return BackendError(
        f"the WebUI failed during {action} ({status} {cause})",
        hint="see the WebUI console for the traceback",
    )


def _detail(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    detail = body.get("detail")
    if isinstance(detail, str):
        return one_line(detail)
    if detail is not None:
        return _validation(body)
    return ""


def _exception(body: Any) -> tuple[str, str]:
    """(exception class, message) from A1111 (``errors``), Forge (``message``) or plain ``detail``."""
    if not isinstance(body, dict):
        return "", ""
    kind = body.get("error")
    message = next(
        (
            body[key]
            for key in ("errors", "message", "detail")
            if isinstance(body.get(key), str) and body[key]
        ),
        "",
    )
    return one_line(str(kind or "")), one_line(str(message))


def _validation(body: Any) -> str:
    """``body.steps: value is not a valid integer`` from a FastAPI 422 (pydantic v1 or v2 items)."""
    items = body.get("detail") if isinstance(body, dict) else None
    if isinstance(items, str):
        return one_line(items)
    if not isinstance(items, list) or not items:
        return "request not valid"
    parts = []
    for item in items[:3]:
        if not isinstance(item, dict):
            continue
        loc = ".".join(str(part) for part in item.get("loc", ()) if part is not None)
        parts.append(f"field {loc or '?'}: {item.get('msg', 'invalid')}")
    more = f" (+{len(items) - 3} more)" if len(items) > 3 else ""
    return one_line("; ".join(parts) + more) if parts else "request not valid"
