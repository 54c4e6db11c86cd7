"""Turn what ComfyUI (or the network) answered into a BackendError with one line and a hint.

Shapes understood (docs/comfyui.md): ``POST /prompt``'s ``{"error": {"type", "message", "details"},
"node_errors": {id: {"class_type", "errors": [{"type", "message", "details", "extra_info":
{"input_name"}}]}}}``, and the history's ``execution_error`` message (``node_id``, ``node_type``,
``exception_type``, ``exception_message``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from adapters.backends.http_client import one_line
from domain.errors import BackendError

_START_HINT = "start ComfyUI (python main.py --listen 127.0.0.1 --port 8188) and check [backend] url"
_CONSOLE = "see the ComfyUI console for details"


def unreachable(url: str, exc: httpx.TransportError) -> BackendError:
    reason = one_line(str(exc)) or type(exc).__name__
    return BackendError(f"cannot reach ComfyUI at {url} ({reason})", hint=_START_HINT, retryable=True)


def connect_timeout(url: str, seconds: float) -> BackendError:
    return BackendError(
        f"cannot reach ComfyUI at {url}: no connection within {seconds:g}s",
        hint=f"{_START_HINT}; raise [backend] connect_timeout for a slow network",
        retryable=True,
    )


def read_timeout(url: str, action: str, seconds: float) -> BackendError:
    return BackendError(
        f"ComfyUI at {url} did not answer {action} within {seconds:g}s",
        hint="the server may be busy or stuck: check its console (nothing was re-sent)",
    )


def dropped(url: str, action: str) -> BackendError:
    return BackendError(
        f"the connection to ComfyUI at {url} dropped during {action}",
        hint="the server may have crashed or restarted: check its console (nothing was re-sent)",
    )


def not_json(url: str, action: str, response: httpx.Response) -> BackendError:
    kind = response.headers.get("content-type", "no content type")
    start = one_line(response.text, 60) if response.content else "an empty body"
    return BackendError(
        f"ComfyUI at {url} answered {action} with HTTP {response.status_code} and a body that is not "
        f"JSON ({kind}: {start!r})",
        hint="check that [backend] url points at ComfyUI itself, not at a proxy or another service",
    )


def bad_answer(url: str, action: str, what: str) -> BackendError:
    return BackendError(
        f"ComfyUI at {url} answered {action} with {what}",
        hint="check that [backend] url points at a ComfyUI server (stablenew backend check)",
    )


def from_status(url: str, action: str, status: int, body: Any) -> BackendError:
    """A non-2xx answer other than a refused prompt."""
    if status == 404:
        return BackendError(
            f"ComfyUI at {url} has no {action} route (404)",
            hint="is [backend] url a ComfyUI server? (stablenew backend check)",
        )
    detail = _error_text(body)
    return BackendError(
        f"ComfyUI at {url} refused {action} (HTTP {status}{': ' + detail if detail else ''})", hint=_CONSOLE
    )


def prompt_refused(body: Any, *, queued: bool) -> BackendError:
    """``POST /prompt`` answered 400, or 200 with ``node_errors`` (``queued``): a failure either way."""
    node = _first_node_error(body)
    what = node or _error_text(body) or "no reason given"
    if queued:
        return BackendError(
            f"ComfyUI accepted the prompt but reported node errors: {what}",
            hint="treated as a failure; the prompt was removed from the queue. " + _input_hint(body),
        )
    return BackendError(f"ComfyUI refused the prompt: {what}", hint=_input_hint(body))


def execution_error(message: Mapping[str, Any]) -> BackendError:
    node_id = message.get("node_id")
    node_type = message.get("node_type") or "?"
    kind = str(message.get("exception_type") or "error")
    text = one_line(str(message.get("exception_message") or ""))
    where = f"node {node_id} ({node_type})" if node_id is not None else str(node_type)
    line = f"ComfyUI failed in {where}: {kind}: {text}".rstrip(": ")
    if "outofmemory" in kind.replace(" ", "").casefold() or "out of memory" in text.casefold():
        return BackendError(
            line.replace("ComfyUI failed", "ComfyUI ran out of GPU memory", 1),
            hint="lower width, height or batch_size, or start ComfyUI with --lowvram",
            retryable=True,
        )
    return BackendError(line, hint="see the ComfyUI console for the traceback")


def interrupted_on_server(prompt_id: str) -> BackendError:
    return BackendError(
        f"ComfyUI interrupted prompt {prompt_id} before it finished",
        hint="someone stopped it from ComfyUI's UI or another client; run again",
    )


def forgotten(url: str, prompt_id: str) -> BackendError:
    return BackendError(
        f"ComfyUI at {url} no longer knows prompt {prompt_id}: it is neither queued nor in the history "
        "(the server restarted)",
        hint="the prompt was not re-sent; check the ComfyUI console, then run again",
    )


def no_images(prompt_id: str) -> BackendError:
    return BackendError(
        f"ComfyUI finished prompt {prompt_id} without any image",
        hint="the graph's SaveImage node produced nothing: " + _CONSOLE,
    )


def deadline(url: str, prompt_id: str, seconds: float) -> BackendError:
    return BackendError(
        f"ComfyUI at {url} did not finish prompt {prompt_id} within {seconds:g}s",
        hint="it may still be running (it was left queued, not re-sent); "
        "raise [backend] read_timeout for long generations",
    )


def _first_node_error(body: Any) -> str:
    nodes = body.get("node_errors") if isinstance(body, dict) else None
    if not isinstance(nodes, dict):
        return ""
    for node_id, entry in nodes.items():
        if not isinstance(entry, dict):
            continue
        class_type = entry.get("class_type") or "?"
        items = entry.get("errors")
        first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
        extra = first.get("extra_info")
        input_name = extra.get("input_name") if isinstance(extra, dict) else None
        message = one_line(str(first.get("message") or "invalid"))
        details = one_line(str(first.get("details") or ""), 160)
        where = f"node {node_id} ({class_type})" + (f" input {input_name}" if input_name else "")
        return f"{where}: {message}" + (f" ({details})" if details else "")
    return ""


def _error_text(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = one_line(str(error.get("message") or error.get("type") or ""))
        details = one_line(str(error.get("details") or ""), 160)
        return message + (f" ({details})" if details else "")
    return one_line(error) if isinstance(error, str) else ""


def _input_hint(body: Any) -> str:
    text = _first_node_error(body).casefold()
    if "not in list" in text or "not in [" in text:
        return "the server lacks that name: pick one `stablenew backend check` lists"
    return "the graph does not fit this ComfyUI version: " + _CONSOLE
